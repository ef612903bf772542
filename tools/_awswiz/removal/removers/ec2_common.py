"""What the EC2 and VPC removers share: id patterns, one Filters call per region to find or read ids, the
VPC an action touches (Action.touches: the guard applies its protection), and the commands a blocked action names."""

from __future__ import annotations

import re

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints


def id_pattern(prefix: str) -> re.Pattern:
    """EC2 ids: a prefix and 8 or 17 hex digits (vol-0123abcd, vol-0123456789abcdef0)."""
    return re.compile(rf"^{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})$")


def lookup(ec2, call: str, key: str, filter_name: str | None, ids: list[str], id_field: str | None = None,
           **kwargs) -> list[dict]:
    """The items of one describe call filtered by id (an unknown id is missing, not an error). Without a filter
    name (moto lacks some filters), the region's items are listed and matched on id_field."""
    if filter_name is None:
        return [i for i in paginate(ec2, call, key, **kwargs) if i.get(id_field) in ids]
    return paginate(ec2, call, key, Filters=[{"Name": filter_name, "Values": list(ids)}], **kwargs)


def finder(call: str, key: str, filter_name: str | None, id_field: str, alive=lambda item: True, **kwargs):
    """A Remover.find: one Filters call per region, returning the ids that region holds (alive ones)."""
    def find(ctx, region: str, ids: list[str]) -> set[str]:
        items = lookup(ctx.aws.client("ec2", region), call, key, filter_name, ids, id_field, **kwargs)
        return {i[id_field] for i in items if alive(i)}

    return find


def vpc_guard(ec2, items: list[dict]) -> dict[str, dict]:
    """{VPC id: its tags} for the VPCs these items sit in (protection is inherited from the VPC)."""
    vpcs = sorted({i["VpcId"] for i in items if i.get("VpcId")})
    if not vpcs:
        return {}
    return {v["VpcId"]: tag_map(v.get("Tags")) for v in lookup(ec2, "describe_vpcs", "Vpcs", "vpc-id", vpcs)}


def in_vpc(vpc: str | None, vpc_tags: dict[str, dict]) -> dict[str, dict]:
    """Action.touches for a part of a VPC: the VPC with its own tags (a protected VPC protects its parts; the
    guard applies it)."""
    return {f"VPC {vpc}": vpc_tags.get(vpc, {})} if vpc else {}


def terminate(ctx, type_: str, rid: str, region: str) -> str:
    """The terminate command for another resource (repeats --sandbox and --profile of the run)."""
    return hints.command(ctx, "terminate", "--type", type_, "--id", rid, region=region)


def settle(actions: list[guard.Action]) -> guard.Plan:
    """The plan: a target with a blocked step shows only its last action (the resource named), carrying every
    reason, as vpc_teardown does: steps that cannot all run are not listed one by one."""
    reasons: dict[str, list[str]] = {}
    for a in actions:
        why = a.blocked or guard.inherited_protection(a.tags, a.touches)
        if why and why not in reasons.setdefault(a.target_id, []):
            reasons[a.target_id].append(why)
    last = {a.target_id: a for a in actions}
    out = []
    for a in actions:
        if reasons.get(a.target_id):
            if last[a.target_id] is not a:
                continue
            a.blocked = "; ".join(reasons[a.target_id])
        out.append(a)
    return guard.Plan(actions=out)
