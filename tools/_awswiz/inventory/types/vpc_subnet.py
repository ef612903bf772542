"""vpc:subnet: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/network.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:subnet", order=80, service="ec2", call="describe_subnets",
    items="Subnets[]", id="SubnetId",
    state="State",
    # no created: DescribeSubnets' Subnet has no creation time (botocore ec2 model)
    fields={"vpc": "VpcId", "cidr": "CidrBlock", "az": "AvailabilityZone", "default": "DefaultForAz"},
    first=("ec2:instance", "vpc:nat-gateway", "vpc:endpoint", "vpc:network-interface"),
    removal=(
        "terminate.py: its free interfaces and route table association first; instances or NAT gateways in it are "
        "refused, named"
    ),
    cost="free",
)
