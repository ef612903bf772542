#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""A training network: create one (plan, then --confirm TOKEN) or list the ones AwsWiz made. Removal is
cleanup_vpc.py's job (--id VPC), killed half-way creates included."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
ACTIONS = ["create", "list"]


def render(console, data) -> None:
    from _awswiz.shell.output import table

    console.print(table("Networks", ["name", "region", "vpc", "cidr", "azs", "public", "private", "nat", "s3"],
                        [[n["name"], n["region"], n["vpc"], n["cidr"], ", ".join(n["azs"]), len(n["public_subnets"]),
                          len(n["private_subnets"]), len(n["nat_gateways"]), "yes" if n["s3_endpoint"] else "no"]
                         for n in data["networks"]]))


@cli.command(app, "network")
def main(
    ctx: cli.Ctx,
    action: Annotated[str, typer.Argument(metavar="create|list", help="What to do.")],
    name: Annotated[str | None, typer.Option("--name", help="create: the network's name (tag Name and "
                                                            "awswiz:network on every part).")] = None,
    cidr: Annotated[str | None, typer.Option("--cidr", metavar="CIDR", help="create: the VPC's IPv4 block, /16 "
                                             "to /28 (split into equal public and private subnets).")] = None,
    azs: Annotated[int, typer.Option("--azs", metavar="N", help="create: AZs, one public and one private "
                                     "subnet in each.")] = 2,
    nat: Annotated[str, typer.Option("--nat", metavar="single|per-az|none", help="create: NAT gateways for the "
                                     "private subnets: one, one per AZ, or none.")] = "single",
    s3_endpoint: Annotated[bool, typer.Option("--s3-endpoint", help="create: an S3 gateway endpoint on the "
                                              "private route tables (free; S3 traffic skips the NAT).")] = False,
    confirm: Annotated[str | None, typer.Option("--confirm", metavar="TOKEN",
                                                help="Apply the plan printed by the run without --confirm.")] = None,
) -> Result:
    """create --name --cidr [--azs N] [--nat single|per-az|none] [--s3-endpoint]: a VPC with DNS, a public and a
    private subnet per AZ, an internet gateway, NAT gateway(s) with Elastic IPs, route tables, an optional S3
    gateway endpoint; the plan prices what bills by the hour. list: the networks made here (default --region
    all)."""
    from _awswiz.compute import network_plan
    from _awswiz.guard import targets
    from _awswiz.shell import hints

    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})",
                       f"e.g. {hints.command(ctx, 'network', 'list')}")
    if action == "list":
        from _awswiz.compute import network_list

        return Result(data=network_list.listing(ctx), render=render)
    net = network_plan.check_args(name, cidr, azs, nat)
    region = targets.one_region(ctx)  # the core's rule: one region, `all` refused before any call
    listing = hints.command(ctx, "network", "list", region=region)
    cost: dict = {}

    def build() -> guard.Plan:
        plan, found = network_plan.plan(ctx, region, name, net, azs, nat, s3_endpoint, listing)
        cost.update(found)
        return plan

    from _awswiz.compute.network_run import Apply

    apply = Apply(ctx, region, name, ctx.aws.identity()["Arn"])
    result = guard.run(ctx, build, apply, confirm=confirm, max_count=1, verify=[listing])
    if isinstance(result.data, dict):
        result.data["monthly_cost"] = cost
        if apply.made.get(name) and result.data.get("summary", {}).get("failed"):
            result.next = [hints.command(ctx, "cleanup_vpc", "--id", apply.made[name], region=region), *result.next]
    return result


if __name__ == "__main__":
    cli.main(app, "network")
