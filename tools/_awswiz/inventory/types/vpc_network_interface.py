"""vpc:network-interface: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/network.py."""

from __future__ import annotations

from _awswiz.inventory.defaults import interface_made_by_aws
from _awswiz.inventory.table import Row


def shape(rec: dict, item: dict) -> None:
    rec["default"] = interface_made_by_aws(item)  # a primary or AWS-managed interface (defaults.py)


ROW = Row(
    type="vpc:network-interface", order=130, service="ec2", call="describe_network_interfaces",
    items="NetworkInterfaces[]", id="NetworkInterfaceId",
    state="Status", tags="TagSet",
    # no created: DescribeNetworkInterfaces' NetworkInterface has no creation time (botocore ec2 model)
    fields={
        "vpc": "VpcId", "subnet": "SubnetId", "attached_to": "Attachment.InstanceId", "interface_type": "InterfaceType",
        "description": "Description",
    },
    shape=shape, shape_reads=("Attachment", "RequesterManaged"),
    first=("ec2:instance",),
    removal="terminate.py, once detached; one another service manages goes with its owner",
    cost="free itself; a public IPv4 address on it per hour",
)
