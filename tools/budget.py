#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15"]
# ///
"""Monthly cost budgets with e-mail alerts (AWS Budgets): list them; create or delete one (plan first, then
--confirm TOKEN)."""

from __future__ import annotations

import re
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.errors import BadInput, error_entry
from _awswiz.output import Result

app = cli.make_app(__doc__)
ACTIONS = ["create", "list", "delete"]
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def render(console, data) -> None:
    from _awswiz.output import table

    console.print(table("Budgets", ["name", "limit", "spent this month", "forecast", "alerts"],
                        [[b["name"], b["limit"], b["actual"], b["forecast"], ", ".join(b["alerts"])]
                         for b in data["budgets"]]))


def thresholds(value: str) -> list[float]:
    try:
        out = [float(v) for v in value.split(",") if v.strip()]
    except ValueError:
        out = []
    if not out or any(not 0 < t <= 1000 for t in out):
        raise BadInput(f"--threshold must be percentages of the budget, comma-separated, each in 0-1000 (got "
                       f"{value!r})", "e.g. --threshold 50,80,100")
    return sorted(set(out))


def describe(budgets, account: str) -> list[dict]:
    """Every budget with its limit, spend, forecast and alerts (DescribeBudgets, DescribeNotificationsForBudget)."""
    out = []
    for b in budgets.describe_budgets(AccountId=account).get("Budgets", []):
        notes = budgets.describe_notifications_for_budget(AccountId=account, BudgetName=b["BudgetName"])
        spend = b.get("CalculatedSpend") or {}

        def usd(m):
            return f"{float(m['Amount']):.2f} {m['Unit']}" if m else None

        out.append({"name": b["BudgetName"], "type": b.get("BudgetType"), "time_unit": b.get("TimeUnit"),
                    "limit": usd(b.get("BudgetLimit")), "actual": usd(spend.get("ActualSpend")),
                    "forecast": usd(spend.get("ForecastedSpend")),
                    "alerts": [f"{n['NotificationType'].lower()} > {n['Threshold']:g}%"
                               for n in notes.get("Notifications", [])]})
    return out


@cli.command(app, "budget")
def main(
    ctx: cli.Ctx,
    action: Annotated[str, typer.Argument(metavar="create|list|delete", help="What to do.")],
    name: Annotated[str | None, typer.Option("--name", help="Budget name (create, delete).")] = None,
    amount: Annotated[float | None, typer.Option("--amount", min=0.01, metavar="USD",
                                                 help="Monthly limit in USD (create).")] = None,
    email: Annotated[list[str] | None, typer.Option("--email", help="Alert recipient (create; repeatable).")] = None,
    threshold: Annotated[str, typer.Option("--threshold", metavar="PCT,PCT",
                                           help="Alert when actual spend passes these % of the limit.")] = "80,100",
    confirm: Annotated[str | None, typer.Option("--confirm", metavar="TOKEN",
                                                help="Apply the plan printed by the run without --confirm.")] = None,
) -> Result:
    """list: every budget; create --name --amount --email [--threshold]; delete --name. Changes are guarded."""
    from _awswiz import hints

    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})", "e.g. budget.py list")
    if action != "list" and not (name and len(name) <= 100 and not set(name) & {":", "\\"}):
        # AWS Budgets API Reference, Budget.BudgetName: 1-100 characters, no ':' or '\'
        raise BadInput(f"{action} needs --name: 1-100 characters without ':' or '\\'", "e.g. --name lab-monthly")
    emails = [e.strip() for v in email or [] for e in v.split(",") if e.strip()]
    levels = thresholds(threshold)
    if action == "create":
        if amount is None or not emails:
            raise BadInput("create needs --amount USD and at least one --email", "e.g. --amount 500 --email me@lab.org")
        # AWS Budgets API Reference (botocore model): at most 11 subscribers per notification, at most 10
        # notifications per CreateBudget
        if len(emails) > 11 or len(levels) > 10:
            raise BadInput("at most 11 --email and 10 --threshold values per budget", "send alerts to a list address")
        bad = [e for e in emails if not EMAIL_RE.match(e)]
        if bad:
            raise BadInput(f"not an e-mail address: {', '.join(bad)}", "e.g. --email me@lab.org")
    budgets = ctx.aws.client("budgets", "us-east-1")
    account = ctx.aws.account_id()
    if action == "list":
        return Result(data={"budgets": describe(budgets, account)}, render=render)
    existing = {b["BudgetName"] for b in budgets.describe_budgets(AccountId=account).get("Budgets", [])}

    def build() -> guard.Plan:
        plan = guard.Plan(actions=[], scope={"ids": [name], "action": action})
        if action == "create" and name in existing:
            plan.errors.append(error_entry("DuplicateRecord", f"budget {name} already exists", "delete it first, or "
                                           "choose another --name"))
        elif action == "delete" and name not in existing:
            plan.errors.append(error_entry("NotFound", f"no budget named {name}",
                                           f"uv run tools/budget.py list{hints.scope(ctx)}"))
        else:
            detail = {"limit_usd": amount, "emails": emails, "thresholds_pct": levels} if action == "create" else {}
            plan.actions.append(guard.Action(op=action, type="budgets:budget", id=name, region="global",
                                             detail=detail, state={"exists": name in existing}))
        return plan

    def do(a: guard.Action) -> None:
        if a.op == "delete":
            budgets.delete_budget(AccountId=account, BudgetName=name)
            return
        budgets.create_budget(
            AccountId=account,
            Budget={"BudgetName": name, "BudgetLimit": {"Amount": f"{amount:.2f}", "Unit": "USD"},
                    "TimeUnit": "MONTHLY", "BudgetType": "COST"},
            NotificationsWithSubscribers=[{
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                                 "Threshold": t, "ThresholdType": "PERCENTAGE"},
                "Subscribers": [{"SubscriptionType": "EMAIL", "Address": e} for e in emails]} for t in levels])

    return guard.run(ctx, build, do, confirm=confirm, max_count=1,
                     verify=[f"uv run tools/budget.py list{hints.scope(ctx)}"])


if __name__ == "__main__":
    cli.main(app, "budget")
