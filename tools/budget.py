#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Monthly cost budgets with e-mail alerts (AWS Budgets): list them; create or delete one (plan first, then
--confirm TOKEN). A budget made here counts gross spend, usage before credits and refunds (CostTypes IncludeCredit
and IncludeRefund false), as fellow_costs' budget_used does: a lab living on credits is warned on what it uses."""

from __future__ import annotations

import math
import re
import time
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.shell.errors import BadInput, error_entry
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
ACTIONS = ["create", "list", "delete"]
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# AWS Budgets API Reference, NotificationWithSubscribers: "one SNS subscriber and up to 10 email subscribers";
# CreateBudget NotificationsWithSubscribers: at most 10 (botocore budgets model, NotificationWithSubscribersList)
MAX_EMAILS, MAX_NOTIFICATIONS = 10, 10
# Gross: usage before credits and refunds (AWS Budgets API Reference, CostTypes: IncludeCredit and IncludeRefund
# default true, which would net a credit-funded lab down to $0 and never alert)
GROSS = {"IncludeCredit": False, "IncludeRefund": False}


def name_problem(name: str | None) -> str | None:
    """botocore budgets model, BudgetName: 1-100 characters, pattern
    ^(?![^:\\\\]*/action/|(?i).*<script>.*</script>.*)[^:\\\\]+$ (no ':' or '\\', no "/action/", no script tag)."""
    if not name or len(name) > 100 or set(name) & {":", "\\"} or "/action/" in name or \
            re.search(r"<script>.*</script>", name, re.IGNORECASE | re.DOTALL):
        return "1-100 characters without ':', '\\' or '/action/'"
    return None


def arn(account: str, name: str) -> str:
    """Service Authorization Reference, AWS Budget Service: arn:${Partition}:budgets::${Account}:budget/${BudgetName}"""
    return f"arn:aws:budgets::{account}:budget/{name}"


def every_budget(budgets, account: str) -> list[dict]:
    """DescribeBudgets pages (MaxResults default 100, NextToken): every page."""
    from _awswiz.aws.client import paginate

    return paginate(budgets, "describe_budgets", "Budgets", AccountId=account)


def render(console, data) -> None:
    from _awswiz.shell.output import table

    console.print(table("Budgets", ["name", "limit", "counts", "spent this month", "forecast", "alerts"],
                        [[b["name"], b["limit"], b["counts"], b["actual"], b["forecast"], ", ".join(b["alerts"])]
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
    from _awswiz.aws.client import paginate

    out = []
    for b in every_budget(budgets, account):
        notes = paginate(budgets, "describe_notifications_for_budget", "Notifications", AccountId=account,
                         BudgetName=b["BudgetName"])
        spend = b.get("CalculatedSpend") or {}

        def usd(m):
            return f"{float(m['Amount']):.2f} {m['Unit']}" if m else None

        costs = b.get("CostTypes") or {}
        out.append({"name": b["BudgetName"], "type": b.get("BudgetType"), "time_unit": b.get("TimeUnit"),
                    "counts": "gross" if costs.get("IncludeCredit") is False else "net",
                    "limit": usd(b.get("BudgetLimit")), "actual": usd(spend.get("ActualSpend")),
                    "forecast": usd(spend.get("ForecastedSpend")),
                    "alerts": [f"{n['NotificationType'].lower()} > {n['Threshold']:g}%" for n in notes]})
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
    from _awswiz.shell import hints

    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})", "e.g. budget.py list")
    if action != "list" and (problem := name_problem(name)):
        raise BadInput(f"{action} needs --name: {problem} (got {name!r})", "e.g. --name lab-monthly")
    emails = [e.strip() for v in email or [] for e in v.split(",") if e.strip()]
    levels = thresholds(threshold)
    if action == "create":
        if amount is None or not emails:
            raise BadInput("create needs --amount USD and at least one --email", "e.g. --amount 500 --email me@lab.org")
        if not math.isfinite(amount):  # botocore budgets model, Spend.Amount: a decimal number ([0-9]*\.)?[0-9]+
            raise BadInput(f"--amount must be a finite number of USD (got {amount})", "e.g. --amount 500")
        if len(emails) > MAX_EMAILS or len(levels) > MAX_NOTIFICATIONS:
            raise BadInput(f"at most {MAX_EMAILS} --email and {MAX_NOTIFICATIONS} --threshold values per budget "
                           f"(got {len(emails)} and {len(levels)})", "send alerts to a list address")
        bad = [e for e in emails if not EMAIL_RE.match(e)]
        if bad:
            raise BadInput(f"not an e-mail address: {', '.join(bad)}", "e.g. --email me@lab.org")
    budgets = ctx.aws.client("budgets", "us-east-1")
    account = ctx.aws.account_id()
    if action == "list":
        return Result(data={"budgets": describe(budgets, account)}, render=render)
    existing = {b["BudgetName"] for b in every_budget(budgets, account)}
    if action == "delete" and name not in existing:
        raise BadInput(f"no budget named {name!r}; the budgets are: {', '.join(sorted(existing)) or 'none'}",
                       hints.command(ctx, "budget", "list"))

    def build() -> guard.Plan:
        plan = guard.Plan(actions=[], scope={"ids": [name], "action": action})
        if action == "create" and name in existing:
            plan.errors.append(error_entry("DuplicateRecord", f"budget {name} already exists", "delete it first, or "
                                           "choose another --name"))
        else:
            detail = {"limit_usd": amount, "emails": emails, "thresholds_pct": levels, "counts": "gross"} \
                if action == "create" else {}
            # the budget's own tags (ListTagsForResource), so the guard refuses a protected one
            tags = {} if action == "create" else {t["Key"]: t["Value"] for t in budgets.list_tags_for_resource(
                ResourceARN=arn(account, name)).get("ResourceTags", [])}
            plan.actions.append(guard.Action(op=action, type="budgets:budget", id=name, region="global", tags=tags,
                                             detail=detail, state={"exists": name in existing}))
        return plan

    def do(a: guard.Action) -> None:
        if a.op == "delete":
            budgets.delete_budget(AccountId=account, BudgetName=name)
            return
        budgets.create_budget(
            AccountId=account,
            Budget={"BudgetName": name, "BudgetLimit": {"Amount": f"{amount:.2f}", "Unit": "USD"},
                    "TimeUnit": "MONTHLY", "BudgetType": "COST", "CostTypes": GROSS},
            ResourceTags=[{"Key": "awswiz:managed", "Value": "true"}, {"Key": "awswiz:owner", "Value": "budget"},
                          {"Key": "awswiz:created-at", "Value": guard.iso(time.time())}],
            NotificationsWithSubscribers=[{
                "Notification": {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN",
                                 "Threshold": t, "ThresholdType": "PERCENTAGE"},
                "Subscribers": [{"SubscriptionType": "EMAIL", "Address": e} for e in emails]} for t in levels])

    return guard.run(ctx, build, do, confirm=confirm, max_count=1,
                     verify=[hints.command(ctx, "budget", "list")])


if __name__ == "__main__":
    cli.main(app, "budget")
