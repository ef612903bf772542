"""What the EC2 and VPC removers share: id patterns, one Filters call per region to find or read ids, the
protection a VPC passes on to what is in it, and the commands a blocked action names."""

from __future__ import annotations

import re

from .. import guard, hints
from ..aws import paginate
from ..resources import tag_map


def id_pattern(prefix: str) -> re.Pattern:
    """EC2 ids: a prefix and 8 or 17 hex digits (vol-0123abcd, vol-0123456789abcdef0)."""
    return re.compile(rf"^{prefix}-(?:[0-9a-f]{{8}}|[0-9a-f]{{17}})$")


def lookup(ec2, call: str, key: str, filter_name: str, ids: list[str], **kwargs) -> list[dict]:
    """The items of one describe call filtered by id (an unknown id is missing, not an error)."""
    return paginate(ec2, call, key, Filters=[{"Name": filter_name, "Values": list(ids)}], **kwargs)


def finder(call: str, key: str, filter_name: str, id_field: str, alive=lambda item: True, **kwargs):
    """A Remover.find: one Filters call per region, returning the ids that region holds (alive ones)."""
    def find(ctx, region: str, ids: list[str]) -> set[str]:
        items = lookup(ctx.aws.client("ec2", region), call, key, filter_name, ids, **kwargs)
        return {i[id_field] for i in items if alive(i)}

    return find


def vpc_guard(ec2, items: list[dict]) -> dict[str, dict]:
    """{VPC id: its tags} for the VPCs these items sit in (protection is inherited from the VPC)."""
    vpcs = sorted({i["VpcId"] for i in items if i.get("VpcId")})
    if not vpcs:
        return {}
    return {v["VpcId"]: tag_map(v.get("Tags")) for v in lookup(ec2, "describe_vpcs", "Vpcs", "vpc-id", vpcs)}


def inherited(tags: dict, vpc: str | None, vpc_tags: dict[str, dict]) -> str | None:
    return guard.inherited_protection(tags, {f"VPC {vpc}": vpc_tags.get(vpc, {})} if vpc else None)


def terminate(ctx, type_: str, rid: str, region: str) -> str:
    """The terminate command for another resource (repeats --sandbox and --profile of the run)."""
    return hints.command(ctx, "terminate", "--type", type_, "--id", rid, region=region)
