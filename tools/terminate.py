#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Permanently delete resources of any type the scan lists (plan first, then --confirm TOKEN)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.guard import accounts, regional, targets
from _awswiz.removal import removers
from _awswiz.shell import hints
from _awswiz.shell.errors import AwsWizError, BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
OPTION_FLAGS = {"snapshot": "--snapshot", "target_groups": "--with-target-groups"}
TAGS_SHOWN = 30  # keys of data.tags_in_use when a tag matches nothing, and values of each (most used first)


def check_options(rem, opts: dict) -> None:
    for opt, flag in OPTION_FLAGS.items():
        if opts[opt] and opt not in rem.options:
            raise BadInput(f"{flag} does not apply to --type {rem.type}", f"drop {flag}")


def by_tag(ctx, tags: dict[str, str], rem, opts: dict, confirm: str | None, max_: int) -> Result:
    """Everything removable carrying the tags, in the run's regions (bulk.py): one plan, one token; across accounts
    (--accounts), each account's part planned with its own clients and applied there (guard/accounts.py)."""
    from _awswiz.removal import bulk

    if rem is not None:
        check_options(rem, opts)
    owners: dict[int, dict] = {}  # id(the Ctx of an account) -> {(op, id): the remover's do}
    seen: dict = {}
    words = [w for k, v in tags.items() for w in ("--tag", f"{k}={v}")]
    scope = {"tags": tags, "type": rem and rem.type, **{k: v for k, v in opts.items() if v}}

    def build_in(c, _ids) -> guard.Plan:
        owner = owners[id(c)] = {}
        regions = regional.regions(c)
        seen.setdefault("regions", {}).update(dict.fromkeys(regions))
        with c.progress("listing", 0) as bar:
            chosen, errors, answered, in_use = bulk.tagged(c, tags, bulk.removable(rem and rem.type), regions, bar)
        for k, values in in_use.items():
            for v, n in values.items():
                seen.setdefault("in_use", {}).setdefault(k, {}).setdefault(v, 0)
                seen["in_use"][k][v] += n
        seen.setdefault("in_use", {})
        if errors and not answered:
            if ctx.multi:  # that account's error (exit 3), the other accounts planned
                return guard.Plan(actions=[], scope={**scope, "regions": regions}, errors=errors)
            e = errors[0]
            raise AwsWizError(f"listing what carries the tags failed: {e['code']}: {e['message']}",
                              e.get("hint") or "retry, or narrow --region", region=e.get("region"))
        here = {r: k for r, k in chosen.items() if r is not None}
        plan = regional.plan(c, list(here), lambda r, _ids: bulk.plan_region(c, r, here[r], opts, owner),
                             scope=scope) if here else guard.Plan(actions=[], scope=dict(scope))
        plan.scope["regions"] = regions
        if None in chosen:
            part = bulk.plan_region(c, None, chosen[None], opts, owner)
            plan.actions += part.actions
            plan.skipped += part.skipped
            plan.errors += part.errors
        plan.errors += errors
        return plan

    build_each, do = accounts.across(ctx, build_in, lambda c, a: owners[id(c)][(a.op, a.id)](c, a))

    def build() -> guard.Plan:
        seen.clear()
        plan = build_each()
        plan.scope = {**scope, **plan.scope}  # across accounts too, the tags are the plan's selector
        return plan

    result = guard.run(ctx, build, do, confirm=confirm, max_count=max_,
                       explicit=False, verify=[hints.command(ctx, "scan", *words, region=ctx.region_spec)])
    data = result.data
    if isinstance(data, dict) and data.get("applied") is False and not data.get("plan") and "in_use" in seen:
        regions = list(seen["regions"])
        where = ", ".join(regions) if len(regions) < 4 else f"{len(regions)} regions"
        if ctx.multi:
            where += f" of {len(ctx.members()[0])} accounts"
        data["tags_in_use"] = {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[:TAGS_SHOWN])
                               for k, v in sorted(seen["in_use"].items())[:TAGS_SHOWN]}
        data["message"] = (f"nothing removable carries {' '.join(words[1::2])} in {where}"
                           + ("" if seen["in_use"] else " (no resource there carries any tag)")
                           + ("; data.tags_in_use lists the tags there are" if seen["in_use"] else ""))
        if not ctx.region_spec:
            result.next.append(hints.command(ctx, "terminate", *words, *(["--type", rem.type] if rem else []),
                                             region="all"))
    return result


@cli.command(app, "terminate", accounts=True)
def main(
    ctx: cli.Ctx,
    type_: Annotated[str | None, typer.Option(
        "--type", metavar="TYPE", help="What to delete: a type as scan names it (ec2:volume, vpc:nat-gateway, "
        "elb:load-balancer, ...; `--type list` lists them), or ec2 "
        "(= ec2:instance) or s3 (= s3:bucket). Needed with --id; with --tag: only this type.")] = None,
    id: Annotated[list[str] | None, typer.Option(
        "--id", help="Id(s) or name(s) as scan shows them: repeat or comma-separate. Load balancers, target "
        "groups and ECS clusters: the ARN or the name.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="KEY=VALUE", help="Instead of --id: everything removable carrying this tag (repeatable: "
        "all must match), of every type (or --type's), in --region (default the home region; all: every enabled "
        "one; with --accounts, in each account), what must go first first, in one plan; protected ones are skipped "
        "and listed.")] = None,
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
    (--region keeps to buckets in that region). Other types: what must go first is planned first. --tag KEY=VALUE
    instead of --id: every removable resource carrying it, of every type, in --region (default the home region),
    in one plan, dependencies first; protected ones are skipped and listed; a tag nothing carries is an empty
    plan naming the tags in use."""
    if type_ is not None and type_.strip() == "list":
        return Result(data={"types": {t: (r.unsupported or "removable") for t, r in
                                      sorted(removers.registry().items())}, "aliases": removers.ALIASES})
    if id is not None and tag is not None:
        raise BadInput("--id and --tag select in two ways: give one of them", "e.g. --tag project=x, or --type "
                       "ec2 --id i-0abc")
    opts = {"snapshot": snapshot, "target_groups": target_groups}
    if ctx.multi and tag is None and type_ and removers.get(type_).scope == "global":
        ctx = accounts.only_one(ctx, "a global type by --id")
    if tag is not None:
        return by_tag(ctx, cli.parse_tags(tag, strict=True), removers.get(type_) if type_ else None, opts,
                      confirm, max_)
    if type_ is None:
        raise BadInput("say what to delete: --type TYPE --id ID, or --tag KEY=VALUE",
                       "name the types: " + hints.command(ctx, "terminate", "--type", "list"))
    rem = removers.get(type_)
    ids = removers.check_ids(ctx, rem, targets.split_ids(ctx, id))
    if not ids:
        raise BadInput("say what to delete: --id ID (repeat or comma-separate), or --tag KEY=VALUE",
                       "find ids: " + hints.command(ctx, "scan", "--service", rem.type))
    check_options(rem, opts)
    verify = [regional.verify_scan(ctx, "--service", rem.type)]
    if rem.scope == "global":
        region = targets.one_region(ctx) if ctx.region_spec else None
        return guard.run(ctx, lambda: rem.plan(ctx, region, ids, opts), lambda a: rem.do(ctx, a),
                         confirm=confirm, max_count=max_, verify=verify)

    def build_in(c, ids) -> guard.Plan:
        located = regional.locate(c, ids, lambda r, ids: rem.find(c, r, ids), rem.type)
        return regional.plan(c, located, lambda r, ids: rem.plan(c, r, ids, opts),
                             scope={"type": rem.type, "ids": ids, **{k: v for k, v in opts.items() if v}})

    build, do = accounts.across(ctx, build_in, lambda c, a: rem.do(c, a), ids, rem.find, rem.type)
    return guard.run(ctx, build, do, confirm=confirm, max_count=max_, verify=verify)


if __name__ == "__main__":
    cli.main(app, "terminate")
