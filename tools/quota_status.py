#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Quota increase requests across regions: open ones (pending, case opened) by default, every one with --all;
status, desired value, dates, and console links."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def render(console, data) -> None:
    from _awswiz.shell.output import table

    rows = [[r["region"], r["code"], r["name"], r["desired"], r["status"], (r["created"] or "")[:10],
             (r["updated"] or "")[:10], r["id"], r["case_id"], r.get("case_console") or r["console"]]
            for r in data["requests"]]
    what = "all quota requests" if data["all"] else "open quota requests (add --all for closed ones)"
    console.print(table(what.capitalize(), ["Region", "Code", "Quota", "Desired", "Status", "Created", "Updated",
                                            "Request", "Case", "Link"], rows))


@cli.command(app, "quota_status")
def main(
    ctx: cli.Ctx,
    all_: Annotated[bool, typer.Option("--all", help="Include closed requests (approved, denied, closed).")] = False,
    service: Annotated[str | None, typer.Option(
        "--service", help="Only this Service Quotas service code, e.g. ec2 (default: every service).")] = None,
) -> Result:
    """Pending (and with --all, historical) quota requests in every enabled region (default --region all)."""
    from _awswiz.shell.errors import BadInput

    if service is not None and not service.replace("-", "").isalnum():
        raise BadInput(f"--service must be a Service Quotas service code such as ec2 (got {service!r})",
                       "e.g. --service ec2")
    regions, skipped = ctx.regions()

    from _awswiz.aws.fanout import FanOut
    from _awswiz.compute import quotas

    with ctx.progress("reading quota requests", 0) as bar:
        fan = FanOut(ctx.aws.workers, bar)
        fan.submit("account", ctx.aws.account_id, ctx.aws.home_region, "sts:GetCallerIdentity")
        for r in regions:
            sq = ctx.aws.client("service-quotas", r)
            fan.submit(r, lambda sq=sq, r=r: quotas.history(sq, r, service), r,
                       "ListRequestedServiceQuotaChangeHistory")
        results, errors = fan.wait()
    found = [q for r in regions for q in results.get(r, [])]
    shown = [q for q in found if all_ or q["status"] in quotas.OPEN_STATUSES]
    shown.sort(key=lambda q: q["created"] or "", reverse=True)
    counts: dict[str, int] = {}
    for q in found:
        counts[q["status"]] = counts.get(q["status"], 0) + 1
    data = {"regions": regions, "skipped_regions": skipped, "all": all_, "counts": counts, "requests": shown}
    return Result(data=data, errors=errors, render=render,
                  next=[] if all_ or len(shown) == len(found) else [hints.command(ctx, "quota_status", "--all")])


if __name__ == "__main__":
    cli.main(app, "quota_status")
