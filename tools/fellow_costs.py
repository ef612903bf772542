#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "tomlkit>=0.13", "plotly>=5.24"]
# ///
"""Consolidated cost statements for every fellow in .state/fellows.toml, read concurrently: per month and
service, net and gross, credits used and left, budget used, when the credits run out. Written to
.state/reports/DATE/ as Markdown, CSV, JSON and one offline HTML page with a chart."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def render(console, data) -> None:
    from _awswiz.shell.output import table

    def usd(v):
        return "-" if v is None else f"${v:,.2f}"

    rows = [[f["name"], f["account"], usd(f["totals"]["net"]), usd(f["totals"]["gross"]), usd(f.get("credits_left")),
             f.get("credits_run_out") or "-", f"{f['budget_used_pct']}%" if f.get("budget_used_pct") is not None
             else "-"] for f in data["fellows"]]
    console.print(table(f"Fellows, {', '.join(data['months'])}", ["fellow", "account", "net", "gross",
                                                                  "credits left", "credits run out", "budget used"],
                        rows))
    for ext, path in data["files"].items():
        console.print(f"{ext}: {path}")


@cli.command(app, "fellow_costs")
def main(
    ctx: cli.Ctx,
    months: Annotated[int, typer.Option("--months", min=1, max=12,
                                        help="Whole months before this one (plus this month to date).")] = 3,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ask Cost Explorer again even if today's answers "
                                                            "are cached.")] = False,
) -> Result:
    """Statements for every fellow (.state/fellows.toml); one failing fellow is reported, the rest still appear."""
    from _awswiz.aws.fanout import FanOut
    from _awswiz.money import explorer as costs_core
    from _awswiz.money import fellows, reports, statements
    from _awswiz.shell.errors import EXIT_FAILED, EXIT_PARTIAL, BadInput, error_entry

    people = fellows.load(scope=ctx)
    if not people:
        raise BadInput(f"{fellows.path()} lists no [[fellow]]", "see data.template",
                               data={"template": fellows.TEMPLATE})
    if any(f.get("role_arn") for f in people):
        ctx.aws.account_id()  # the roles are assumed with the lead's credentials: the envelope names that account
    fan = FanOut(ctx.aws.workers)
    for f in people:
        fan.submit(f["name"], lambda f=f: statements.statement(ctx.aws, f, months, refresh), None,
                   f"fellow {f['name']} ({f['account']})")
    results, errors = fan.wait()
    done = [results[f["name"]] for f in people if f["name"] in results]
    failed = []
    for f in people:
        if f["name"] not in results:
            err = next((e for e in errors if f"fellow {f['name']} (" in e["message"]), None) or \
                error_entry("Failed", "no answer", "")
            failed.append({"name": f["name"], "account": str(f["account"]), "code": err["code"],
                           "message": err["message"]})
    now = costs_core.today()
    doc = {"date": now.isoformat(), "months": [costs_core.month_start(now, k).isoformat()[:7]
                                               for k in range(months, -1, -1)],
           "fellows": done, "failed": failed}
    files = reports.write(doc)
    keep = ("name", "account", "totals", "month_to_date", "credits", "credits_used", "credits_left", "credits_run_out",
            "credits_unknown", "monthly_budget", "budget_used", "budget_used_pct", "month_at_this_rate",
            "over_budget_at_this_rate")
    data = {**doc, "fellows": [{k: f[k] for k in keep if k in f} | {"months": [
        {k: m.get(k) for k in ("month", "net", "gross", "credits", "change_pct")} for m in f["months"]]}
        for f in done], "files": files}  # the whole statements are in the files
    errs = [error_entry(e["code"], e["message"], "check this fellow's entry in fellows.toml and its credentials",
                        account=e["account"]) for e in failed]
    code = None if not failed else (EXIT_PARTIAL if done else EXIT_FAILED)
    return Result(data=data, errors=errs, exit_code=code, render=render)


if __name__ == "__main__":
    cli.main(app, "fellow_costs")
