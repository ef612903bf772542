"""A NAT gateway's connectivity type as AWS answers it; taught to moto (5.2) in place.

CreateNatGateway's ConnectivityType: "Indicates whether the NAT gateway supports public or private connectivity.
The default is public connectivity" (EC2 API Reference, CreateNatGateway), and DescribeNatGateways answers it for
every gateway (NatGateway.connectivityType). moto stores the parameter as given, None when it is left out, and then
answers no connectivityType at all: Terraform's aws_nat_gateway, imported, reads it as unset and plans to replace
the gateway (issue 21). Here a gateway made without it is public, as in AWS.

DescribeNatGateways' filters include "tag:<key> - The key/value combination of a tag assigned to the resource" and
"tag-key" (EC2 API Reference, DescribeNatGateways, Filter.N); moto reads only nat-gateway-id, vpc-id, subnet-id and
state, and answers every gateway for a tag filter. Here the tag filters select as AWS does.
"""

from __future__ import annotations


def _teach_moto() -> None:
    from moto.ec2.models.nat_gateways import NatGateway

    init = NatGateway.__init__

    def __init__(self, *args, **kwargs):
        init(self, *args, **kwargs)
        if not self.connectivity_type:
            self.connectivity_type = "public"

    NatGateway.__init__ = __init__

    from moto.ec2.models.nat_gateways import NatGatewayBackend

    describe = NatGatewayBackend.describe_nat_gateways

    def describe_nat_gateways(self, filters, nat_gateway_ids):
        found = describe(self, filters, nat_gateway_ids)
        for name, values in (filters or {}).items():
            if name.startswith("tag:"):
                found = [n for n in found if _tags(n).get(name[4:]) in values]
            elif name == "tag-key":
                found = [n for n in found if set(values) & set(_tags(n))]
        return found

    NatGatewayBackend.describe_nat_gateways = describe_nat_gateways


def _tags(nat) -> dict:
    return {t["key"]: t["value"] for t in nat.get_tags()}


_teach_moto()
