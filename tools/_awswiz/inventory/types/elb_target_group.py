"""elb:target-group: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/elb.py."""

from __future__ import annotations

from _awswiz.inventory.collect import elb_tags
from _awswiz.inventory.table import Row

ROW = Row(
    type="elb:target-group", order=190, service="elbv2", call="describe_target_groups",
    items="TargetGroups[]", id="TargetGroupArn",
    name="TargetGroupName", tags=None, follow=elb_tags,
    # no created: DescribeTargetGroups' TargetGroup has no creation time (botocore elbv2 model)
    fields={
        "protocol": "Protocol", "port": "Port", "vpc": "VpcId", "target_type": "TargetType",
        "load_balancers": "LoadBalancerArns",
    },
    first=("elb:load-balancer",),
    removal="terminate deletes it; refused while a load balancer forwards to it",
    cost="free (its targets are billed as themselves)",
)
