#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15"]
# ///
"""Delete non-default VPCs with all their dependencies, in dependency order (plan, then --confirm TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard, targets, vpc_apply, vpc_teardown
from _awswiz.errors import BadInput
from _awswiz.output import Result

app = cli.make_app(__doc__)


@cli.command(app, "cleanup_vpc")
def main(
    ctx: cli.Ctx,
    all_: Annotated[bool, typer.Option("--all", help="Every non-default VPC in the region.")] = False,
    id: Annotated[list[str] | None, typer.Option(
        "--id", help="VPC id(s): repeat or comma-separate (vpc-0abc,vpc-0def).")] = None,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to delete more VPCs than this.")] = 10,
) -> Result:
    """NAT gateways and endpoints (waited for until deleted), the NAT gateways' Elastic IPs, interfaces,
    internet, egress-only and carrier gateways, VPN gateways (detached), subnets, route tables, network ACLs,
    peerings, security groups, then the VPC. Default VPCs are never touched; a VPC with instances, load
    balancers, other services' interfaces or any protected part is refused, naming them. Killed half-way:
    plan and confirm again."""
    ids = targets.check_ids(targets.split_ids(id), targets.VPC_ID, "VPC id", "vpc-0123456789abcdef0")
    if bool(ids) == all_:
        raise BadInput("say which VPCs: --all or --id VPC_ID (not both)", "uv run tools/scan.py lists them")
    region = targets.one_region(ctx)
    return guard.run(ctx, lambda: vpc_teardown.plan(ctx.aws, region, ids or None),
                     lambda a: vpc_apply.do(ctx.aws, a), confirm=confirm, max_count=max_,
                     explicit=bool(ids), verify=[f"uv run tools/scan.py --region {region}"])


if __name__ == "__main__":
    cli.main(app, "cleanup_vpc")
