#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Snapshot the account: EC2, VPC, S3, IAM, ELB, RDS, Lambda, ECS, EKS, SageMaker, in every enabled region."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)

SINCE_FORMS = "a count of minutes, hours or days back from now (90m, 24h, 7d) or a UTC date YYYY-MM-DD (2026-11-01)"
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def since_start(value: str, now: _dt.datetime) -> _dt.datetime:
    """--since: the window's start, in UTC (relative forms count back from `now`); anything else is BadInput."""
    rel = re.fullmatch(r"(\d{1,6})([mhd])", value.strip())
    try:
        if rel:
            return now - _dt.timedelta(**{_UNITS[rel[2]]: int(rel[1])})
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return _dt.datetime.fromisoformat(value.strip()).replace(tzinfo=_dt.UTC)
    except (ValueError, OverflowError):
        pass
    raise BadInput(f"--since must be {SINCE_FORMS} (got {value!r})", "e.g. --since 24h")


def created_at(value) -> _dt.datetime | None:
    """A record's `created`: a timestamp (botocore's datetime) or an ISO 8601 string (an image's CreationDate)."""
    if isinstance(value, str):
        try:
            value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if not isinstance(value, _dt.datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=_dt.UTC)


def tag_counts(records: list[dict]) -> dict[str, dict[str, int]]:
    """--tags: each tag key in use, its values and how many resources carry each (keys by name, values most
    used first)."""
    seen: dict[str, dict[str, int]] = {}
    for r in records:
        for k, v in r["tags"].items():
            seen.setdefault(k, {})[v] = seen.setdefault(k, {}).get(v, 0) + 1
    return {k: dict(sorted(seen[k].items(), key=lambda kv: (-kv[1], kv[0]))) for k in sorted(seen)}


SHORT = 20  # keys or values named when a --tag matches nothing


def unmatched(wanted: dict[str, str], counts: dict[str, dict[str, int]]) -> list[dict]:
    """Why --tag matched nothing: for each KEY=VALUE no resource carries, the keys in use (when none has KEY)
    or KEY's values with their counts (at most SHORT of either); all of them at once when only the
    combination matches nothing."""
    out = []
    for k, v in wanted.items():
        if k not in counts:
            keys = list(counts)
            out.append({"tag": f"{k}={v}", "why": f"no resource has the tag key {k!r}", "keys": keys[:SHORT],
                        **({"more_keys": len(keys) - SHORT} if len(keys) > SHORT else {})})
        elif v not in counts[k]:
            values = dict(list(counts[k].items())[:SHORT])
            out.append({"tag": f"{k}={v}", "why": f"no resource has {k}={v}", "values": values,
                        **({"more_values": len(counts[k]) - SHORT} if len(counts[k]) > SHORT else {})})
    if not out:
        out.append({"tag": " ".join(f"{k}={v}" for k, v in wanted.items()),
                    "why": "each tag is in use, but no resource carries them all"})
    return out


def keep_since(records: list[dict], start: _dt.datetime) -> tuple[list[dict], dict]:
    """The records created (or, instances, launched) at or after `start`, and what --since says in data: the
    window's start and the records left out for want of a creation time, counted by type."""
    kept, undated = [], {}
    for r in records:
        when = created_at(r.get("created"))
        if when is None:
            undated[r["type"]] = undated.get(r["type"], 0) + 1
        elif when >= start:
            kept.append(r)
    return kept, {"from": start.isoformat(timespec="seconds"), "undated": sum(undated.values()),
                  "undated_types": undated}


@cli.command(app, "scan", accounts=True)
def main(
    ctx: cli.Ctx,
    service: Annotated[str | None, typer.Option(
        "--service", metavar="LIST",
        help="Only these services (ec2,vpc,s3,iam,elb,rds,lambda,ecs,eks,sagemaker) or types (ec2:volume).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="KEY=VALUE",
        help="Only resources with this tag, KEY=VALUE (repeatable: all must match).")] = None,
    tags_only: Annotated[bool, typer.Option(
        "--tags", help="Only the tags in use: data.tags {key: {value: count}} (no resources, no findings).")] = False,
    since: Annotated[str | None, typer.Option(
        "--since", metavar="WHEN",
        help="Only resources created (instances: launched) since WHEN: 90m, 24h, 7d back from now, or a UTC date "
             "YYYY-MM-DD; those without a creation time are left out, counted in data.since.")] = None,
    include_defaults: cli.IncludeDefaults = False,
) -> Result:
    """Snapshot the account across all enabled regions (default --region all); JSON, or tables with --pretty."""
    from _awswiz.inventory import table as resources
    from _awswiz.scan.view import render, render_tags

    wanted_tags = cli.parse_tags(tag)
    start = since_start(since, _dt.datetime.now(_dt.UTC)) if since is not None else None  # before any call
    services = cli.parse_list(service, resources.GROUPS + list(resources.BY_TYPE), "--service")
    rows = resources.select(services)
    members, places, entry_errors = None, None, []
    if ctx.multi:  # several accounts (issue 22): each entered once, then every (account x region) on one pool
        from _awswiz.aws.accounts import regions_of

        members, entry_errors = ctx.members()
        places, skipped, region_errors = regions_of(members, ctx.region_spec or "all")
        entry_errors += region_errors
        regions = sorted({r for _, _, rs in places for r in rs})
    else:
        regions, skipped = ctx.regions()

    from _awswiz.inventory.collect import collect
    from _awswiz.money import leftovers
    from _awswiz.scan.findings import findings, stop_refusals

    prices: dict = {}

    def ask_prices(fan) -> None:  # the leftovers' list prices: cached, or asked at once with the collection
        if {r.type for r in rows} & leftovers.PRICED_TYPES:
            prices["doc"], prices["stale"] = leftovers.ask_prices(ctx, fan)

    with ctx.progress("scanning", 0) as bar:
        records, errors, succeeded = collect(ctx.aws, regions, rows, bar, tags=bool(wanted_tags) or tags_only,
                                             also=None if tags_only else ask_prices, members=places)
    errors = entry_errors + errors
    leftovers.keep_prices(prices.get("doc", {}), prices.get("stale", []))
    # a Pricing API that does not answer (no pricing:GetProducts, a timeout) costs the findings their fresh prices,
    # not the inventory: they fall back to the dated table (each says its basis) and the scan is not partial for it
    price_errors = [e for e in errors if e.get("message", "").startswith(leftovers.PRICE_CALL)]
    errors = [e for e in errors if e not in price_errors]
    window = None
    if start is not None:
        records, window = keep_since(records, start)
    from _awswiz.shell.hints import Scope, command

    no_match = []
    if wanted_tags:
        everything = records
        records = [r for r in records if all(r["tags"].get(k) == v for k, v in wanted_tags.items())]
        if not records and everything:
            no_match = unmatched(wanted_tags, tag_counts(everything))
    counts: dict[str, int] = {}
    for r in records:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    failed = errors and not succeeded  # nothing answered (no credentials, no network): a failure, not partial
    several = {}
    if members is not None:
        from _awswiz.aws.accounts import summary

        several = {"accounts": summary(members, records)}
    if tags_only:
        data = {**several, "regions": regions, "skipped_regions": skipped, "counts": counts,
                "tags": tag_counts(records),
                **({"since": window} if window else {}), **({"unmatched_tags": no_match} if no_match else {})}
        return Result(data=data, errors=errors, render=render_tags, exit_code=1 if failed else None)

    if members is None:
        found = findings(records, Scope.of(ctx), stop_refusals(ctx.aws, records), prices.get("doc"))
    else:
        found = account_findings(ctx, members, records, prices.get("doc"))
    from _awswiz.inventory import defaults

    listed, folded = defaults.fold(records)
    # counts: everything there is; defaults: how many of those AWS made by itself (listed only with the flag)
    data = {**several, "regions": regions, "skipped_regions": skipped, "counts": counts,
            **({"defaults": folded} if folded else {}), "resources": records if include_defaults else listed,
            "findings": found, **({"since": window} if window else {}),
            **({"unmatched_tags": no_match} if no_match else {}),
            **({"price_errors": price_errors} if price_errors else {})}
    nxt = list(dict.fromkeys(f["next"] for f in found if f.get("next")))[:5]
    if members is not None:  # --pretty: each account's view under its heading, then a total line
        from _awswiz.shell.several import render_each

        render = render_each(render, by_account(members, data, records))
    if no_match:  # the whole list of tags in use, for the scope asked
        nxt = [command(ctx, "scan", "--tags", *(["--service", service] if service else []),
                       region=ctx.region_spec)] + nxt
    return Result(data=data, errors=errors, next=nxt, render=render, exit_code=1 if failed else None,
                  records=("resources", "findings"))


def by_account(members: list, data: dict, records: list[dict]) -> list[tuple[str, str | None, dict]]:
    """[(account, name, that account's part of data)]: its resources, findings and counts (counts of everything
    there, AWS's defaults too, as data.counts)."""
    parts = []
    for m in members:
        mine = [r for r in data["resources"] if r.get("account") == m.account]
        counts: dict[str, int] = {}
        for r in records:
            if r.get("account") == m.account:
                counts[r["type"]] = counts.get(r["type"], 0) + 1
        parts.append((m.account, m.name, dict(data, resources=mine, counts=counts,
                                              findings=[f for f in data["findings"] if f.get("account") == m.account])))
    return parts


def account_findings(ctx: cli.Ctx, members: list, records: list[dict], prices: dict | None) -> list[dict]:
    """The findings of each account's records, each naming its account, its next command scoped to that account
    alone; ordered by money and risk across all of them."""
    import shlex

    from _awswiz.scan.findings import findings, order, stop_refusals
    from _awswiz.shell.hints import ACCOUNT_TOOLS, Scope

    scope, own = Scope.of(ctx), ctx.aws.account_id_or_none()
    found = []
    for m in members:
        mine = [r for r in records if r.get("account") == m.account]
        there = scope.in_account(m.account, own, ctx.selection, m.profile)
        for f in findings(mine, there, stop_refusals(m.aws, mine), prices):
            tool = shlex.split(f["next"])[2].removeprefix("tools/").removesuffix(".py") if f.get("next") else None
            if tool and tool not in ACCOUNT_TOOLS and m.account != own and not m.profile:
                # that tool acts in the caller's account only: a command that would miss the resource is no hint
                f = {k: v for k, v in f.items() if k != "next"}
                f["why_no_next"] = (f"{tool}.py acts in one account: run it with credentials of account {m.account} "
                                    f"(e.g. a profile with role_arn = arn:aws:iam::{m.account}:role/"
                                    f"{ctx.selection.role})")
            found.append(dict(f, account=m.account))
    return order(found, {r["id"]: r for r in records})


if __name__ == "__main__":
    cli.main(app, "scan")
