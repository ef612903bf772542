"""What a changing tool acts on: --id values checked before any call, the one region it acts in, and
lookups that turn unknown ids into BadInput naming the region that was searched."""

from __future__ import annotations

import re

from _awswiz.aws.client import paginate
from _awswiz.shell.errors import BadInput

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
VPC_ID = re.compile(r"^vpc-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
BUCKET_NAME = re.compile(r"^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def split_ids(values: list[str] | None, flag: str = "--id") -> list[str]:
    """--id a --id b,c into [a, b, c] (order kept, duplicates dropped). A flag that was given but holds
    no id at all (--id "", --id ",") is bad input: an empty selection never means everything."""
    out = [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]
    if values is not None and values != [] and not out:
        raise BadInput(f"{flag} was given but names nothing (got {', '.join(repr(v) for v in values)})",
                       f"give at least one id: {flag} ID (find ids with uv run tools/scan.py)")
    return list(dict.fromkeys(out))


def check_ids(ids: list[str], pattern: re.Pattern, what: str, example: str, flag: str = "--id") -> list[str]:
    bad = [i for i in ids if not pattern.match(i)]
    if bad:
        raise BadInput(f"{flag} {', '.join(bad)}: not a valid {what} (expected something like {example})",
                       "find ids with: uv run tools/scan.py")
    return ids


def one_region(ctx) -> str:
    """The single region a changing tool acts in: --region, else the home region."""
    regions, _ = ctx.regions(default=ctx.aws.home_region)
    if len(regions) != 1:
        raise BadInput(f"this tool changes one region at a time (got --region {ctx.region_spec})",
                       "e.g. --region us-east-1")
    return regions[0]


def require_found(asked: list[str], found: set[str], what: str, region: str) -> None:
    missing = [i for i in asked if i not in found]
    if missing:
        raise BadInput(f"{what} {', '.join(missing)} not found in {region} (the region searched)",
                       "check the id with uv run tools/scan.py, or pass the region it lives in: --region REGION",
                       region=region)


def instances(ec2, ids: list[str] | None = None, filters: list[dict] | None = None) -> list[dict]:
    """Instances by id (Filters, so an unknown id is missing rather than an error) or by filters."""
    f = list(filters or [])
    if ids:
        f.append({"Name": "instance-id", "Values": ids})
    if not f:  # no ids and no filters would list every instance: never a selection by accident
        raise BadInput("no instances selected (empty --id and no --tag)", "name them: --id ID or --tag KEY=VALUE")
    return [i for r in paginate(ec2, "describe_instances", "Reservations", Filters=f) for i in r["Instances"]]
