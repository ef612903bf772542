#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""What the account spent (Cost Explorer: per month, net and gross, month to date with a forecast), or with
--now what it is costing right now (live inventory x list prices, per resource)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def _usd(v) -> str:
    return "-" if v is None else f"${v:,.2f}"


def _rate(v) -> str:
    return f"${v:,.4f}" if v < 1 else f"${v:,.2f}"


def _pct(v) -> str:
    return "" if v is None else f" ({v:+.1f}%)"


def render(console, data) -> None:
    from _awswiz.shell.fit import Col
    from _awswiz.shell.output import table

    if "burn" in data:
        return render_now(console, data)
    months = [m["month"] + ("*" if m["partial"] else "") for m in data["months"]]
    rows = [[g["key"], *[_usd(g["net"][m["month"]]) for m in data["months"]], _usd(g["total_net"]),
             _usd(g["total_gross"]), g["trend"], (_usd(g["change"]) + _pct(g.get("change_pct"))) if "change" in g
             else ""] for g in data["groups"]]
    rows.append(["Total (net)", *[_usd(m["net"]) for m in data["months"]], _usd(data["totals"]["net"]),
                 _usd(data["totals"]["gross"]), "", ""])
    rows.append(["Total (gross)", *[_usd(m["gross"]) for m in data["months"]], "", "", "", ""])
    console.print(table(f"Spend by {data['group_by']} (net; * month to date)",
                        # the months and totals stay longest; long service names are shortened
                        [Col(data["group_by"], 1000, flex=data["group_by"] == "service"),
                         *[Col(m, 900 + i) for i, m in enumerate(months)], Col("net", 990), Col("gross", 50),
                         Col("trend", 40), Col("last change", 60)], rows))
    if data["top_movers"]:
        console.print(table("Top movers (last two whole months, net)", ["", "change"],
                            [[m["key"], _usd(m["change"]) + _pct(m["change_pct"])] for m in data["top_movers"]]))
    if mtd := data.get("month_to_date"):
        console.print(f"Month to date {mtd['month']}: net {_usd(mtd['net'])}, gross {_usd(mtd['gross'])}; "
                      f"forecast for the month (net) {_usd(mtd['forecast_month_net'])}"
                      + (_pct(mtd.get("change_vs_last_month_pct")) + " vs last month"
                         if "change_vs_last_month" in mtd else "")
                      + (f" ({mtd['forecast_unavailable']})" if mtd.get("forecast_unavailable") else ""))
    if data.get("daily"):
        console.print(table("Daily", ["date", "net", "gross"],
                            [[d["date"], _usd(d["net"]), _usd(d["gross"])] for d in data["daily"]]))
    console.print(f"[dim]Cost Explorer calls sent {data['ce_calls']['sent']}, from today's cache "
                  f"{data['ce_calls']['cached']} (each sent call costs $0.01; --refresh to bypass the cache)[/]")


def render_now(console, data) -> None:
    from _awswiz.shell.output import table

    rows = [[b["region"], b["type"], b["id"], b.get("name"), b["what"], _rate(b["per_hour"]), _usd(b["per_month"]),
             b["price_source"]] for b in data["burn"]]
    console.print(table("Burn rate right now", ["region", "type", "id", "name", "what", "per hour", "per month",
                                                "price"], rows))
    t = data["totals"]
    console.print(f"Total: {_usd(t['per_hour'])}/h, {_usd(t['per_month'])}/month at this rate")


@cli.command(app, "costs", accounts="each")
def main(
    ctx: cli.Ctx,
    months: Annotated[int, typer.Option("--months", min=1, max=12,
                                        help="Whole months before this one to show (plus this month to date).")] = 3,
    group_by: Annotated[str, typer.Option("--group-by", metavar="service|region|account|tag:KEY",
                                          help="Split spend by this (default service).")] = "service",
    daily: Annotated[int | None, typer.Option("--daily", metavar="N", min=1, max=90,
                                              help="Also show the last N days, net and gross.")] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ask Cost Explorer again even if today's answers "
                                                            "are cached in .state/cache.")] = False,
    now: Annotated[bool, typer.Option("--now", help="Burn rate of what runs right now (live resources x list "
                                                    "prices), per resource; no Cost Explorer call.")] = False,
) -> Result:
    """Spend per month by service (or --group-by), net (after credits and refunds) and gross, month-over-month
    change, month to date with a forecast; --now: what is running costs per hour and per month."""
    from _awswiz.money import explorer as costs_core

    if now:
        from _awswiz.money import burn

        data, errors = burn.run(ctx)
        return Result(data=data, errors=errors, render=render,
                      next=[hints.command(ctx, "scan", region=ctx.region_spec or "all")])
    group = costs_core.group_spec(group_by)
    ex = costs_core.Explorer(ctx.aws.client("ce", "us-east-1"), ctx.aws.account_id(), refresh)
    rows, groups = costs_core.monthly(ex, months, group)
    doc = costs_core.summarize(rows, groups, costs_core.forecast_rest_of_month(ex, rows))
    doc = {"group_by": group_by, **doc}
    if daily:
        doc["daily"] = costs_core.daily(ex, daily)
    doc["ce_calls"] = {"sent": ex.sent, "cached": ex.cached}
    return Result(data=doc, render=render, next=[hints.command(ctx, "costs", "--now")])


if __name__ == "__main__":
    cli.main(app, "costs")
