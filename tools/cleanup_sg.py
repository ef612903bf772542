#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Delete unused non-default security groups (plan first, then --confirm TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.aws.client import paginate
from _awswiz.guard import regional
from _awswiz.inventory.table import tag_map
from _awswiz.security import sg_rules
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def plan_cleanup(aws, region: str, groups: list[dict] | None = None) -> guard.Plan:
    """Unused = no network interface or load balancer, and no rule of a kept group refers to it.

    Kept groups are the default ones, those in use, and protected ones: by their own tags or their VPC's
    (protection is inherited); a group a kept group refers to is kept too (to a fixed point). Rules by
    which unused groups refer to each other are revoked first.
    """
    ec2 = aws.client("ec2", region)
    groups = {g["GroupId"]: g for g in (groups if groups is not None else
                                         paginate(ec2, "describe_security_groups", "SecurityGroups"))}
    vpcs = {v["VpcId"]: guard.protection(tag_map(v.get("Tags"))) for v in paginate(ec2, "describe_vpcs", "Vpcs")}
    used = sg_rules.groups_in_use(aws, region)
    plan = guard.Plan(actions=[])
    kept: dict[str, str] = {}
    for gid, g in groups.items():
        if g.get("GroupName") == "default":
            kept[gid] = "default group"
        elif gid in used:
            kept[gid] = f"in use by {used[gid]}"
        elif reason := guard.protection(tag_map(g.get("Tags"))):
            kept[gid] = reason
        elif reason := vpcs.get(g.get("VpcId")):
            kept[gid] = f"protected: in VPC {g['VpcId']}, {reason.removeprefix('protected: ')}"
    changed = True
    while changed:
        changed = False
        for gid in [k for k in kept]:
            for ref in sg_rules.refs(groups[gid]) & (groups.keys() - kept.keys()):
                kept[ref] = f"referenced by {gid}"
                changed = True
    unused = [g for gid, g in groups.items() if gid not in kept]
    names = {gid: groups[gid].get("GroupName") for gid in kept}
    plan.skipped = [{"id": gid, "region": region, "type": "vpc:security-group", "name": names[gid], "reason": why}
                    for gid, why in sorted(kept.items()) if why.startswith(("protected", "referenced"))]
    among = {g["GroupId"] for g in unused}
    plan.actions = sg_rules.revoke_actions(unused, among, region) + \
        [sg_rules.delete_action(g, region) for g in unused]
    return plan


def count_unused(aws, region: str) -> int:
    """Groups the plan would delete in region, for regional.elsewhere: one call where there is no
    non-default group (most regions), the plan's own reading where there is."""
    groups = paginate(aws.client("ec2", region), "describe_security_groups", "SecurityGroups")
    if all(g.get("GroupName") == "default" for g in groups):
        return 0
    return sum(a.op == "delete" for a in plan_cleanup(aws, region, groups).actions)


@cli.command(app, "cleanup_sg")
def main(
    ctx: cli.Ctx,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to delete more groups than this.")] = 10,
) -> Result:
    """Delete non-default security groups nothing uses (no network interface, no reference from a group
    that stays); rules by which unused groups refer to each other are revoked first. In the home region,
    saying where else unused groups are (data.elsewhere); --region a,b|all plans there at once."""
    verify = [regional.verify_scan(ctx, "--service", "vpc:security-group")]
    result = guard.run(ctx, lambda: regional.plan(ctx, regional.regions(ctx), lambda r, _: plan_cleanup(ctx.aws, r)),
                       lambda a: sg_rules.do(ctx.aws.client("ec2", a.region), a), confirm=confirm,
                       max_count=max_, explicit=False, verify=verify)
    return regional.elsewhere(ctx, result, lambda r: count_unused(ctx.aws, r), confirm, "unused security groups")


if __name__ == "__main__":
    cli.main(app, "cleanup_sg")
