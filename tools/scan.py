#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15"]
# ///
"""Snapshot the account: EC2, VPC, S3, IAM, ELB, RDS, Lambda, ECS, EKS, SageMaker, in every enabled region."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


@cli.command(app, "scan")
def main(
    ctx: cli.Ctx,
    service: Annotated[str | None, typer.Option(
        "--service", metavar="LIST",
        help="Only these services (ec2,vpc,s3,iam,elb,rds,lambda,ecs,eks,sagemaker) or types (ec2:volume).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", metavar="KEY=VALUE",
        help="Only resources with this tag, KEY=VALUE (repeatable: all must match).")] = None,
) -> Result:
    """Snapshot the account across all enabled regions (default --region all); JSON, or tables with --pretty."""
    from _awswiz.inventory import table as resources
    from _awswiz.scan.view import render

    wanted_tags = cli.parse_tags(tag)
    services = cli.parse_list(service, resources.GROUPS + list(resources.BY_TYPE), "--service")
    rows = resources.select(services)
    regions, skipped = ctx.regions()

    from _awswiz.inventory.collect import collect
    from _awswiz.money import leftovers
    from _awswiz.scan.findings import findings, stop_refusals

    prices: dict = {}

    def ask_prices(fan) -> None:  # the leftovers' list prices: cached, or asked at once with the collection
        if {r.type for r in rows} & leftovers.PRICED_TYPES:
            prices["doc"], prices["stale"] = leftovers.ask_prices(ctx, fan)

    with ctx.progress("scanning", 0) as bar:
        records, errors, succeeded = collect(ctx.aws, regions, rows, bar, tags=bool(wanted_tags), also=ask_prices)
    leftovers.keep_prices(prices.get("doc", {}), prices.get("stale", []))
    # a Pricing API that does not answer (no pricing:GetProducts, a timeout) costs the findings their fresh prices,
    # not the inventory: they fall back to the dated table (each says its basis) and the scan is not partial for it
    price_errors = [e for e in errors if e.get("message", "").startswith(leftovers.PRICE_CALL)]
    errors = [e for e in errors if e not in price_errors]
    if wanted_tags:
        records = [r for r in records if all(r["tags"].get(k) == v for k, v in wanted_tags.items())]
    from _awswiz.shell.hints import Scope

    found = findings(records, Scope.of(ctx), stop_refusals(ctx.aws, records), prices.get("doc"))
    counts: dict[str, int] = {}
    for r in records:
        counts[r["type"]] = counts.get(r["type"], 0) + 1
    data = {"regions": regions, "skipped_regions": skipped, "counts": counts, "resources": records,
            "findings": found, **({"price_errors": price_errors} if price_errors else {})}
    nxt = list(dict.fromkeys(f["next"] for f in found if f.get("next")))[:5]
    failed = errors and not succeeded  # nothing answered (no credentials, no network): a failure, not partial
    return Result(data=data, errors=errors, next=nxt, render=render, exit_code=1 if failed else None)


if __name__ == "__main__":
    cli.main(app, "scan")
