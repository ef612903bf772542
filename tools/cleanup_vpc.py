#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Delete non-default VPCs with all their dependencies, in dependency order (plan, then --confirm TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.aws.client import paginate
from _awswiz.guard import regional, targets
from _awswiz.removal import vpc_apply, vpc_teardown
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def find(ctx, region: str, ids: list[str]) -> set[str]:
    flt = [{"Name": "vpc-id", "Values": ids}]
    return {v["VpcId"] for v in paginate(ctx.aws.client("ec2", region), "describe_vpcs", "Vpcs", Filters=flt)}


def count_non_default(ctx, region: str) -> int:
    """VPCs --all would tear down in region (for regional.elsewhere): one DescribeVpcs call, counted here
    by IsDefault (the filter's name is spelled isDefault in older references, is-default in newer)."""
    return sum(not v.get("IsDefault") for v in paginate(ctx.aws.client("ec2", region), "describe_vpcs", "Vpcs"))


@cli.command(app, "cleanup_vpc")
def main(
    ctx: cli.Ctx,
    all_: Annotated[bool, typer.Option("--all", help="Every non-default VPC in the home region (or --region "
                                       "a,b|all); the plan says where else non-default VPCs are.")] = False,
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
    plan and confirm again. With --id and no --region, each VPC is found in whichever enabled region holds it."""
    ids = targets.check_ids(ctx, targets.split_ids(ctx, id), targets.VPC_ID, "VPC id", "vpc-0123456789abcdef0")
    if bool(ids) == all_:
        raise BadInput("say which VPCs: --all or --id VPC_ID (not both)",
                       "list them: " + hints.command(ctx, "scan", "--service", "vpc"))

    def build() -> guard.Plan:
        per_region = regional.where(ctx, ids, lambda r, ids: find(ctx, r, ids), "vpc:vpc")
        return regional.plan(ctx, per_region, lambda r, ids: vpc_teardown.plan(ctx, r, ids or None),
                             scope={"ids": ids or "all"})

    result = guard.run(ctx, build, lambda a: vpc_apply.do(ctx.aws, a), confirm=confirm, max_count=max_,
                       explicit=bool(ids), verify=[regional.verify_scan(ctx, "--service", "vpc")])
    if ids:
        return result
    return regional.elsewhere(ctx, result, lambda r: count_non_default(ctx, r), confirm, "non-default VPCs")


if __name__ == "__main__":
    cli.main(app, "cleanup_vpc")
