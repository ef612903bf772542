#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Find what is billed and does nothing, in every enabled region, with its monthly cost and the command that
removes it."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


@cli.command(app, "waste", accounts="each")
def main(
    ctx: cli.Ctx,
    idle_hours: Annotated[int, typer.Option(
        "--idle-hours", metavar="N", min=1, max=1440,
        help="A running GPU instance whose hourly CPU average (GPU utilisation, where the CloudWatch agent "
             "publishes nvidia_smi_utilization_gpu) stayed under 5% this long is idle; NAT gateways and load "
             "balancers with no traffic this long are idle.")] = 24,
    ami_days: Annotated[int, typer.Option(
        "--ami-days", metavar="N", min=0, max=3650, help="Own AMIs older than N days are listed.")] = 180,
    min_usd: Annotated[float, typer.Option(
        "--min-usd", metavar="X", min=0, max=1e9, help="Only items costing at least X USD a month.")] = 0.0,
) -> Result:
    """Unattached volumes, unassociated Elastic IPs, orphaned snapshots, stopped instances still paying for
    volumes and IPs, idle GPU instances, NAT gateways and load balancers without traffic, old AMIs; each with
    its monthly USD cost and `next` (the terminate or stop command), totals per region and kind. Prices come
    from the Pricing API for each region (cached in .state/cache with the date fetched); where it does not
    answer, from a dated table of us-east-1 list prices (each item's price_basis and price_date say which).
    Traffic-based charges are left out: a floor. JSON, or a table sorted by money with --pretty. Default
    --region all."""
    from _awswiz.money.waste import find
    from _awswiz.money.waste_view import render

    ctx.aws.account_id()  # the envelope names the account it looked at (DESIGN.md: account)
    data, errors = find(ctx, idle_hours, ami_days, min_usd)
    nxt = list(dict.fromkeys(i["next"] for i in data["items"] if i["next"]))[:5]
    return Result(data=data, errors=errors, next=nxt, render=render, records=("items",))


if __name__ == "__main__":
    cli.main(app, "waste")
