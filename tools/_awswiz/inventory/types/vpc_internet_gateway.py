"""vpc:internet-gateway: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/network.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:internet-gateway", order=100, service="ec2", call="describe_internet_gateways",
    items="InternetGateways[]", id="InternetGatewayId",
    state="Attachments[0].State",
    # no created: DescribeInternetGateways' InternetGateway has no creation time (botocore ec2 model)
    fields={"vpcs": "Attachments[].VpcId"},
    removal="terminate.py: detached from its VPC, then deleted",
    cost="free itself; data out to the internet per GB",
)
