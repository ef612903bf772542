"""AWS Budgets as AWS answers it, where moto 5 does not: methods put on moto's own BudgetsResponse (as costs/explorer.py
does for Cost Explorer), so the budgets are moto's and the account is the caller's.

Rules followed (AWS Budgets API Reference and botocore's budgets model):
- Budget.BudgetName: 1-100 characters, pattern ^(?![^:\\\\]*/action/|(?i).*<script>.*</script>.*)[^:\\\\]+$ (no ':' or
  '\\', no "/action/"); moto stores any name. A refused name is InvalidParameterException.
- NotificationWithSubscribers: "A notification can have one SNS subscriber and up to 10 email subscribers, for a
  total of 11 subscribers"; moto accepts any number. CreateBudget and CreateNotification refuse more.
- DescribeBudgets pages: MaxResults 1-1000, "The default is 100", NextToken; moto answers every budget at once.
- CreateBudget ResourceTags, ListTagsForResource, TagResource, UntagResource on the budget's ARN
  arn:aws:budgets::ACCOUNT:budget/NAME (Service Authorization Reference, AWS Budget Service: resource type
  budget); moto has none of them. A missing budget is NotFoundException. The tags go with the budget.
- DescribeSubscribersForNotification: the notification's Subscribers (moto keeps them, answers none).
- CalculatedSpend (DescribeBudget, DescribeBudgets): moto answers 0, or what the creator passed. Here it is computed
  from the ledger Cost Explorer answers from (ledger.py: one cost source, so budget.py list and costs.py agree):
  ActualSpend is the budget period to date (Budget.TimeUnit; "The actual cost or usage that you've incurred during
  the budget period", Spend), ForecastedSpend that plus the forecast of the rest of the period GetCostForecast gives
  (ledger.daily_mean; none where Cost Explorer has none); credits and refunds count as CostTypes say
  (IncludeCredit, IncludeRefund: "The default value is true"). CostFilters are not applied (budget.py sets none).
"""

from __future__ import annotations

import datetime as _dt
import json
import re

from moto.budgets.responses import BudgetsResponse
from moto.core.exceptions import JsonRESTError

from ..answers import answer_the_rest
from ..ledger import LEDGER, can_forecast, daily_mean, today

MAX_EMAILS, MAX_SNS = 10, 1
PAGE_DEFAULT, PAGE_MAX = 100, 1000
ARN_RE = re.compile(r"^arn:aws:budgets::(\d{12}):budget/(.+)$")


class _Error(JsonRESTError):
    code = 400

    def __init__(self, kind: str, message: str):
        super().__init__(kind, message)


def _invalid(message: str) -> _Error:
    return _Error("InvalidParameterException", message)


def _check_name(name) -> None:
    name = name if isinstance(name, str) else ""
    if not 1 <= len(name) <= 100 or set(name) & {":", "\\"} or "/action/" in name or \
            re.search(r"<script>.*</script>", name, re.IGNORECASE | re.DOTALL):
        raise _invalid(f"Invalid budget name {name!r}: 1-100 characters, without ':', '\\' or '/action/'")


def _check_subscribers(subscribers: list) -> None:
    kinds = [s.get("SubscriptionType") for s in subscribers or []]
    if kinds.count("EMAIL") > MAX_EMAILS or kinds.count("SNS") > MAX_SNS:
        raise _invalid(f"A notification can have at most {MAX_EMAILS} email subscribers and {MAX_SNS} SNS "
                       f"subscriber (got {kinds.count('EMAIL')} email, {kinds.count('SNS')} SNS)")


def _budget(self, arn: str):
    m = ARN_RE.match(arn or "")
    found = self.backend.budgets[m.group(1)].get(m.group(2)) if m else None
    if found is None:
        raise _Error("NotFoundException", f"Unable to find resource {arn}")
    return found


PERIOD_MONTHS = {"MONTHLY": 1, "QUARTERLY": 3, "ANNUALLY": 12}


def budget_period(unit: str, day: _dt.date) -> tuple[_dt.date, _dt.date]:
    """[start, end) of the budget period holding day: the day, or the calendar month, quarter or year."""
    if unit == "DAILY":
        return day, day + _dt.timedelta(days=1)
    months = PERIOD_MONTHS.get(unit, 1)
    start = _dt.date(day.year, (day.month - 1) // months * months + 1, 1)
    m = start.month - 1 + months
    return start, _dt.date(start.year + m // 12, m % 12 + 1, 1)


def _usd(amount: float) -> dict:
    return {"Amount": f"{amount:.2f}", "Unit": "USD"}


def calculated_spend(account: str, budget: dict) -> dict:
    """CalculatedSpend of a COST budget from the ledger (see the module's docstring)."""
    costs = budget.get("CostTypes") or {}
    kinds = ["Usage"] + [k for k, flag in (("Credit", "IncludeCredit"), ("Refund", "IncludeRefund"))
                         if costs.get(flag, True)]
    now = today()
    start, end = budget_period(budget.get("TimeUnit") or "MONTHLY", now)
    actual = sum(i["amount"] for i in LEDGER
                 if i["account"] == account and start <= i["date"] < now and i["record"] in kinds)
    out = {"ActualSpend": _usd(actual)}
    if can_forecast(account):  # none where Cost Explorer has none (too little history)
        rest = daily_mean(account, lambda i: i["record"] in kinds) * (end - now).days
        out["ForecastedSpend"] = _usd(actual + rest)
    return out


def _with_spend(account: str, budget: dict) -> dict:
    if budget.get("BudgetType") == "COST":
        budget["CalculatedSpend"] = calculated_spend(account, budget)
    return budget


_create_budget = BudgetsResponse.create_budget
_create_notification = BudgetsResponse.create_notification


def create_budget(self) -> str:
    budget = self._get_param("Budget") or {}
    _check_name(budget.get("BudgetName"))
    for n in self._get_param("NotificationsWithSubscribers", []) or []:
        _check_subscribers(n.get("Subscribers"))
    out = _create_budget(self)
    made = self.backend.budgets[self._get_param("AccountId")][budget["BudgetName"]]
    made.awswiz_tags = {t["Key"]: t["Value"] for t in self._get_param("ResourceTags", []) or []}
    return out


def create_notification(self) -> str:
    _check_subscribers(self._get_param("Subscribers"))
    return _create_notification(self)


def describe_budgets(self) -> str:
    size, token = int(self._get_param("MaxResults") or PAGE_DEFAULT), self._get_param("NextToken")
    if not 1 <= size <= PAGE_MAX:
        raise _invalid(f"MaxResults must be 1-{PAGE_MAX}")
    if token is not None and not str(token).isdigit():
        raise _invalid("Invalid NextToken")
    account = self._get_param("AccountId")
    every = [_with_spend(account, b) for b in self.backend.describe_budgets(account_id=account)]
    start = int(token or 0)
    out = {"Budgets": every[start:start + size]}
    if start + size < len(every):
        out["NextToken"] = str(start + size)
    return json.dumps(out)


def describe_budget(self) -> str:
    account = self._get_param("AccountId")
    budget = self.backend.describe_budget(account_id=account, budget_name=self._get_param("BudgetName"))
    return json.dumps({"Budget": _with_spend(account, budget)})


def describe_subscribers_for_notification(self) -> str:
    """The subscribers moto keeps with each notification (moto has no DescribeSubscribersForNotification)."""
    budget = self.backend.budgets[self._get_param("AccountId")].get(self._get_param("BudgetName"))
    wanted = self._get_param("Notification") or {}
    found = next((n for n in (budget.notifications if budget else []) if all(
        n.details.get(k) == v for k, v in wanted.items())), None)
    if found is None:
        raise _Error("NotFoundException", "Unable to find the notification")
    return json.dumps({"Subscribers": found.subscribers})


def list_tags_for_resource(self) -> str:
    tags = getattr(_budget(self, self._get_param("ResourceARN")), "awswiz_tags", {})
    return json.dumps({"ResourceTags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]})


def tag_resource(self) -> str:
    b = _budget(self, self._get_param("ResourceARN"))
    b.awswiz_tags = {**getattr(b, "awswiz_tags", {}),
                     **{t["Key"]: t["Value"] for t in self._get_param("ResourceTags", []) or []}}
    return json.dumps({})


def untag_resource(self) -> str:
    b = _budget(self, self._get_param("ResourceARN"))
    gone = set(self._get_param("ResourceTagKeys", []) or [])
    b.awswiz_tags = {k: v for k, v in getattr(b, "awswiz_tags", {}).items() if k not in gone}
    return json.dumps({})


BudgetsResponse.create_budget = create_budget
BudgetsResponse.create_notification = create_notification
BudgetsResponse.describe_budgets = describe_budgets
BudgetsResponse.describe_budget = describe_budget
BudgetsResponse.describe_subscribers_for_notification = describe_subscribers_for_notification
BudgetsResponse.list_tags_for_resource = list_tags_for_resource
BudgetsResponse.tag_resource = tag_resource
BudgetsResponse.untag_resource = untag_resource
answer_the_rest(BudgetsResponse, "budgets")
