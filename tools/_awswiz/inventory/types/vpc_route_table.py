"""vpc:route-table: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/network.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:route-table", order=90, service="ec2", call="describe_route_tables",
    items="RouteTables[]", id="RouteTableId",
    # no created: DescribeRouteTables' RouteTable has no creation time (botocore ec2 model)
    fields={"vpc": "VpcId", "main": "Associations[?Main] | length(@) > `0`", "subnets": "Associations[].SubnetId"},
    removal="terminate.py: its associations first; the main route table goes only with its VPC",
    cost="free",
)
