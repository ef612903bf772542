"""What a changing tool acts on: --id values checked before any call, the one region it acts in, and
lookups that turn unknown ids into BadInput naming the region that was searched."""

from __future__ import annotations

import re

from _awswiz.aws.client import paginate
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def split_ids(ctx, values: list[str] | None, flag: str = "--id") -> list[str]:
    """--id a --id b,c into [a, b, c] (order kept, duplicates dropped). A flag that was given but holds
    no id at all (--id "", --id ",") is bad input: an empty selection never means everything.
    ctx: the run (or its hints.Scope), for the hint's command."""
    out = [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    if values is not None and values != [] and not out:
        raise BadInput(f"{flag} was given but names nothing (got {', '.join(repr(v) for v in values)})",
                       f"give at least one id: {flag} ID; find ids with: {hints.command(ctx, 'scan')}")
    return list(dict.fromkeys(out))


def check_ids(ctx, ids: list[str], pattern: re.Pattern, what: str, example: str, flag: str = "--id") -> list[str]:
    bad = [i for i in ids if not pattern.match(i)]
    if bad:
        raise BadInput(f"{flag} {', '.join(bad)}: not a valid {what} (expected something like {example})",
                       f"find ids with: {hints.command(ctx, 'scan')}")
    return ids


def one_region(ctx, reads: str | None = None) -> str:
    """The single region a tool acts in: --region, else the home region. A changing tool "changes one region at a
    time"; a reading one names what it reads (reads="an export": "--region must name one region for an export").
    Names are checked against botocore's region list (no call); `all` is refused before any call (it would ask
    DescribeRegions only to refuse). The hint names the regions given and is the same command in the first."""
    spec = (ctx.region_spec or "").strip()
    lead = f"--region must name one region for {reads}" if reads else "this tool changes one region at a time"
    if spec == "all":
        home = ctx.aws.home_region
        raise BadInput(f"{lead} (got --region all)", f"name one, e.g. the home region: {hints.again(region=home)}")
    regions, _ = ctx.regions(default=ctx.aws.home_region)
    if len(regions) != 1:
        raise BadInput(f"{lead} (got --region {spec}: {', '.join(regions)})",
                       f"name one of {', '.join(regions)}: {hints.again(region=regions[0])}")
    return regions[0]


def require_found(ctx, asked: list[str], found: set[str], what: str, region: str) -> None:
    missing = [i for i in asked if i not in found]
    if missing:
        raise BadInput(f"{what} {', '.join(missing)} not found in {region} (the region searched)",
                       "pass the region it lives in (--region REGION); find it with: "
                       + hints.command(ctx, "scan", region="all"), region=region)


def instances(ec2, ids: list[str] | None = None, filters: list[dict] | None = None) -> list[dict]:
    """Instances by id (Filters, so an unknown id is missing rather than an error) or by filters."""
    f = list(filters or [])
    if ids:
        f.append({"Name": "instance-id", "Values": ids})
    if not f:  # no ids and no filters would list every instance: never a selection by accident
        raise BadInput("no instances selected (empty --id and no --tag)", "name them: --id ID or --tag KEY=VALUE")
    return [i for r in paginate(ec2, "describe_instances", "Reservations", Filters=f) for i in r["Instances"]]
