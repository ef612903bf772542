#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15"]
# ///
"""Permanently delete resources of any type the scan lists (plan first, then --confirm TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.guard import regional, targets
from _awswiz.removal import removers
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
OPTION_FLAGS = {"snapshot": "--snapshot", "target_groups": "--with-target-groups"}


@cli.command(app, "terminate")
def main(
    ctx: cli.Ctx,
    type_: Annotated[str, typer.Option(
        "--type", metavar="TYPE", help="What to delete: a type as scan names it (ec2:volume, vpc:nat-gateway, "
        "elb:load-balancer, ...; `--type list` lists them), or ec2 "
        "(= ec2:instance) or s3 (= s3:bucket).")],
    id: Annotated[list[str] | None, typer.Option(
        "--id", help="Id(s) or name(s) as scan shows them: repeat or comma-separate. Load balancers, target "
        "groups and ECS clusters: the ARN or the name.")] = None,
    snapshot: Annotated[bool, typer.Option(
        "--snapshot", help="ec2: snapshot every attached EBS volume first (and wait for it).")] = False,
    target_groups: Annotated[bool, typer.Option(
        "--with-target-groups", help="elb:load-balancer: also delete the target groups only it uses (after it).")
    ] = False,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to delete more resources than this.")] = 10,
) -> Result:
    """Delete resources for good. With --id and no --region, each id is found in whichever enabled region holds
    it; --region a,b|all narrows the search. ec2: terminate instances (listing what stays behind; a persistent
    spot request or maintain fleet is cancelled first). s3: empty and delete buckets, versions included
    (--region keeps to buckets in that region). Other types: what must go first is planned first."""
    if type_.strip() == "list":
        return Result(data={"types": {t: (r.unsupported or "removable") for t, r in
                                      sorted(removers.registry().items())}, "aliases": removers.ALIASES})
    rem = removers.get(type_)
    ids = removers.check_ids(ctx, rem, targets.split_ids(ctx, id))
    if not ids:
        raise BadInput("say what to delete: --id ID (repeat or comma-separate)",
                       "find ids: " + hints.command(ctx, "scan", "--service", rem.type))
    opts = {"snapshot": snapshot, "target_groups": target_groups}
    for opt, flag in OPTION_FLAGS.items():
        if opts[opt] and opt not in rem.options:
            raise BadInput(f"{flag} does not apply to --type {rem.type}", f"drop {flag}")
    verify = [regional.verify_scan(ctx, "--service", rem.type)]
    if rem.scope == "global":
        region = targets.one_region(ctx) if ctx.region_spec else None
        return guard.run(ctx, lambda: rem.plan(ctx, region, ids, opts), lambda a: rem.do(ctx, a),
                         confirm=confirm, max_count=max_, verify=verify)

    def build() -> guard.Plan:
        located = regional.locate(ctx, ids, lambda r, ids: rem.find(ctx, r, ids), rem.type)
        return regional.plan(ctx, located, lambda r, ids: rem.plan(ctx, r, ids, opts),
                             scope={"type": rem.type, "ids": ids, **{k: v for k, v in opts.items() if v}})

    return guard.run(ctx, build, lambda a: rem.do(ctx, a), confirm=confirm, max_count=max_, verify=verify)


if __name__ == "__main__":
    cli.main(app, "terminate")
