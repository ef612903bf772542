"""ec2:elastic-ip: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/ec2_elastic_ip.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row


def shape(rec: dict, item: dict) -> None:
    rec["state"] = "associated" if item.get("AssociationId") else "unassociated"


ROW = Row(
    type="ec2:elastic-ip", order=50, service="ec2", call="describe_addresses",
    items="Addresses[]", id="AllocationId",
    # no created: DescribeAddresses' Address has no creation time (botocore ec2 model)
    fields={
        "public_ip": "PublicIp", "instance": "InstanceId", "association": "AssociationId", "eni": "NetworkInterfaceId",
    },
    shape=shape, shape_reads=("AssociationId",),
    first=("vpc:nat-gateway",),
    removal="terminate.py: disassociated if associated, then released; one a NAT gateway holds is refused",
    cost="per hour per public IPv4 address, associated or idle",
)
