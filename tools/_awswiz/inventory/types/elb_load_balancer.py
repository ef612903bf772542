"""elb:load-balancer: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/elb.py."""

from __future__ import annotations

from _awswiz.inventory.collect import elb_tags
from _awswiz.inventory.table import Row

ROW = Row(
    type="elb:load-balancer", order=180, service="elbv2", call="describe_load_balancers",
    items="LoadBalancers[]", id="LoadBalancerArn",
    name="LoadBalancerName", state="State.Code", tags=None, follow=elb_tags,
    # created: LoadBalancer.CreatedTime (botocore elbv2 model)
    fields={"lb_type": "Type", "scheme": "Scheme", "vpc": "VpcId", "dns": "DNSName", "created": "CreatedTime"},
    # costs --now and waste also read what decides its public IPv4 addresses: its AZs, those whose address is an
    # Elastic IP of the account (an NLB's SubnetMappings AllocationId: priced as that address), and its IpAddressType
    # (elbv2 IpAddressType: "dualstack-without-public-ipv4" holds none)
    cost_fields={
        "azs": "AvailabilityZones[].ZoneName", "ip_type": "IpAddressType",
        "eip_azs": "AvailabilityZones[?LoadBalancerAddresses[?AllocationId]].ZoneName",
    },
    removal=(
        "terminate deletes it with its listeners (deletion protection blocks it); its target groups stay unless "
        "--with-target-groups"
    ),
    cost="per hour while it exists, plus per capacity-unit-hour used",
)
