"""vpc:security-group: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/vpc_security_group.py."""

from __future__ import annotations

from _awswiz.inventory.open_rules import open_ports
from _awswiz.inventory.table import Row


def shape(rec: dict, item: dict) -> None:
    rec["default"] = item.get("GroupName") == "default"
    if ports := open_ports(item.get("IpPermissions")):
        rec["open_to_world"] = ports
    refs = {g["GroupId"] for p in item.get("IpPermissions", []) for g in p.get("UserIdGroupPairs", [])}
    if refs - {item["GroupId"]}:
        rec["references"] = sorted(refs - {item["GroupId"]})


ROW = Row(
    type="vpc:security-group", order=140, service="ec2", call="describe_security_groups",
    items="SecurityGroups[]", id="GroupId",
    name="GroupName",
    # no created: DescribeSecurityGroups' SecurityGroup has no creation time (botocore ec2 model)
    fields={"vpc": "VpcId", "description": "Description"},
    shape=shape, shape_reads=("GroupName", "IpPermissions", "GroupId"),
    first=("ec2:instance", "vpc:network-interface", "elb:load-balancer"),
    removal=(
        "terminate.py: other groups' rules that refer to it revoked first; one in use or a default group is refused"
    ),
    cost="free",
)
