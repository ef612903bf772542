"""A NAT gateway's connectivity type as AWS answers it; taught to moto (5.2) in place.

CreateNatGateway's ConnectivityType: "Indicates whether the NAT gateway supports public or private connectivity.
The default is public connectivity" (EC2 API Reference, CreateNatGateway), and DescribeNatGateways answers it for
every gateway (NatGateway.connectivityType). moto stores the parameter as given, None when it is left out, and then
answers no connectivityType at all: Terraform's aws_nat_gateway, imported, reads it as unset and plans to replace
the gateway (issue 21). Here a gateway made without it is public, as in AWS.
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


_teach_moto()
