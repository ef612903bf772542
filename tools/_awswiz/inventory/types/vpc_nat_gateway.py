"""vpc:nat-gateway: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/nat_endpoint.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:nat-gateway", order=110, service="ec2", call="describe_nat_gateways",
    items="NatGateways[]", id="NatGatewayId",
    state="State",
    # created: NatGateway.CreateTime (botocore ec2 model)
    fields={"vpc": "VpcId", "subnet": "SubnetId", "public_ip": "NatGatewayAddresses[0].PublicIp",
            "created": "CreateTime"},
    removal="terminate.py: deleted and waited for; its Elastic IPs released only if AwsWiz made them",
    cost="per hour while it exists, plus per GB processed, plus its public IPv4 address per hour",
)
