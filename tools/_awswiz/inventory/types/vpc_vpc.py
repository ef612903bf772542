"""vpc:vpc: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/vpc_vpc.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:vpc", order=70, service="ec2", call="describe_vpcs",
    items="Vpcs[]", id="VpcId",
    state="State",
    # no created: DescribeVpcs' Vpc has no creation time (botocore ec2 model)
    fields={"cidr": "CidrBlock", "default": "IsDefault"},
    first=(
        "ec2:instance", "elb:load-balancer", "vpc:nat-gateway", "vpc:endpoint", "vpc:network-interface",
        "vpc:internet-gateway", "vpc:subnet", "vpc:route-table", "vpc:security-group",
    ),
    removal=(
        "terminate.py (as cleanup_vpc.py): everything in it first; a default VPC, or one with instances or load "
        "balancers, is refused"
    ),
    cost="free itself; what is in it (NAT gateways, endpoints, public IPv4 addresses) is billed",
)
