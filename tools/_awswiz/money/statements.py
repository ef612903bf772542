"""Per-fellow statements for fellow_costs.py: each fellow's Cost Explorer months (costs_core) turned into
totals, credits used and left, budget used, and the month the credits run out at the current rate."""

from __future__ import annotations

import datetime as _dt

from _awswiz.money import explorer as costs_core
from _awswiz.shell.errors import DENIED_CODES


def session_for(aws, fellow: dict):
    """A boto3 session in the fellow's account: an assumed role (from our own credentials), a profile, or keys."""
    import boto3

    if fellow.get("role_arn"):
        creds = aws.client("sts").assume_role(RoleArn=fellow["role_arn"],
                                              RoleSessionName="awswiz-fellow-costs")["Credentials"]
        return boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                             aws_session_token=creds["SessionToken"])
    if fellow.get("profile"):
        return boto3.Session(profile_name=fellow["profile"])
    return boto3.Session(aws_access_key_id=fellow["access_key_id"], aws_secret_access_key=fellow["secret_access_key"])


def _client(aws, session, service: str):
    from _awswiz.shell import deadline

    c = session.client(service, region_name="us-east-1", config=aws.config)
    c.meta.events.register("before-send", deadline.check, unique_id="awswiz-deadline")
    return c


class WrongAccount(Exception):
    pass


class CostExplorerDenied(Exception):
    """Cost Explorer refused the fellow's account: its costs are unknown (not $0)."""


# AWS Cost Management user guide, "Controlling access to Cost Explorer" and "Credits" in Organizations: the
# management account decides whether member accounts may use Cost Explorer and whether credits are shared
ORG_DENIED = ("either the auditor lacks ce:Get* (create_auditor.py grants it), or the account is a member of an AWS "
              "Organization whose management account has not enabled Cost Explorer for member accounts; read its "
              "costs from the management account, or ask it to enable member access")
CREDITS_UNSEEN = ("Cost Explorer shows no credit line items for this account although fellows.toml grants it "
                  "credits: in an AWS Organization the management account decides whether credits are shared with "
                  "(and shown to) member accounts; read the credits from the management account")


def statement(aws, fellow: dict, months: int, refresh: bool) -> dict:
    session = session_for(aws, fellow)
    actual = _client(aws, session, "sts").get_caller_identity()["Account"]
    if actual != str(fellow["account"]):
        raise WrongAccount(f"the credentials of {fellow['name']} belong to account {actual}, "
                           f"not {fellow['account']} as fellows.toml says")
    ex = costs_core.Explorer(_client(aws, session, "ce"), actual, refresh)
    try:
        rows, groups = costs_core.monthly(ex, months, {"Type": "DIMENSION", "Key": "SERVICE"})
        doc = costs_core.summarize(rows, groups, costs_core.forecast_rest_of_month(ex, rows))
    except Exception as exc:  # noqa: BLE001 - only a refusal is explained here; the rest go up as they are
        error = getattr(exc, "response", {}).get("Error", {})
        if error.get("Code") not in DENIED_CODES:
            raise
        raise CostExplorerDenied(f"Cost Explorer refused account {actual} ({error.get('Code')}: "
                                 f"{error.get('Message')}), so its costs and credits are unknown: "
                                 f"{ORG_DENIED}") from None
    return {"name": fellow["name"], "account": actual, **doc, **money_left(fellow, doc),
            "ce_calls": {"sent": ex.sent, "cached": ex.cached}}


def add_months(d: _dt.date, n: int) -> _dt.date:
    return costs_core.month_start(d, -n)


def money_left(fellow: dict, doc: dict) -> dict:
    """Credits used (over the months shown) and left, budget used this month, when the credits run out."""
    out: dict = {}
    whole = [m for m in doc["months"] if not m["partial"]]
    mtd = doc.get("month_to_date") or {}
    if "credits" in fellow and fellow["credits"] > 0 and not doc["totals"]["credits"] and doc["totals"]["gross"] > 0:
        # spend, a grant, and not one credit line: the credits are not visible here, so unknown (never "all left")
        out.update(credits=fellow["credits"], credits_used=None, credits_left=None, credits_run_out=None,
                   credits_unknown=CREDITS_UNSEEN)
    elif "credits" in fellow:
        used = round(-doc["totals"]["credits"], 2)
        left = round(fellow["credits"] - used, 2)
        rate = -whole[-1]["credits"] if whole else 0.0  # credits consumed in the last whole month
        out.update(credits=fellow["credits"], credits_used=used, credits_left=left)
        if left <= 0:
            out["credits_run_out"] = "already"
        elif rate > 0:
            out["credits_run_out"] = add_months(costs_core.today(), int(left // rate)).isoformat()[:7]
        else:
            out["credits_run_out"] = None
    if "monthly_budget" in fellow:
        budget, gross = fellow["monthly_budget"], mtd.get("gross", 0.0)
        now = costs_core.today()
        days = (now - costs_core.month_start(now)).days  # whole days so far (Cost Explorer lags a day)
        length = (costs_core.next_month(now) - costs_core.month_start(now)).days
        pace = round(gross / days * length, 2) if days else None  # the month's gross at this month's rate
        out.update(monthly_budget=budget, budget_used=gross,
                   budget_used_pct=round(gross / budget * 100, 1) if budget else None,
                   month_at_this_rate=pace, over_budget_at_this_rate=None if pace is None else pace > budget)
    return out
