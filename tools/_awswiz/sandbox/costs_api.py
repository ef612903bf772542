"""Cost Explorer for the sandbox: a ledger of daily line items (several months, services, regions, a project
tag, credits and refunds) for the lab account and two fellow accounts, answered by GetCostAndUsage and
GetCostForecast as AWS answers them.

Why not moto's seeding endpoint (/moto-api/static/ce/cost-and-usage-results): moto hands the queued results
out in the order requests arrive, whatever they ask (moto/ce/models.py get_cost_and_usage: "A request ... will
take the first result from that queue"); a tool that asks for March grouped by REGION would get whatever was
queued first. AWS answers the query that was asked, so the sandbox computes each answer from the ledger.
moto has no GetCostForecast at all. Both are answered by methods put on moto's own CostExplorerResponse
(the same way as offerings_api.py), so the account is moto's: the caller's, or the one a role was assumed in.

Rules followed (AWS Cost Explorer API Reference):
- GetCostAndUsage: TimePeriod Start inclusive, End exclusive; Granularity DAILY|MONTHLY|HOURLY; Metrics
  required; at most two GroupBy of type DIMENSION or TAG; a tag group key is "KEY$value" ("KEY$" untagged);
  with GroupBy, each ResultsByTime has Groups and an empty Total; Filter is an Expression (And, Or, Not,
  Dimensions, Tags); RECORD_TYPE values include Usage, Credit, Refund (credits and refunds are negative).
- GetCostForecast: Metric one of AMORTIZED_COST, BLENDED_COST, NET_AMORTIZED_COST, NET_UNBLENDED_COST,
  UNBLENDED_COST; Granularity DAILY|MONTHLY; "The start date must be equal to or no later than the current
  date" (the forecast covers today onwards; a past start is a ValidationException).
"""

from __future__ import annotations

import datetime as _dt
import json
import os

from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError

from .handlers import seeder

LAB_ACCOUNT = "123456789012"
FELLOW_ACCOUNTS = {"210987654321": "ada", "345678901234": "grace"}  # assume awswiz-auditor there (moto allows)
MONTHS_OF_DATA = 6  # whole months before the current one
METRICS = {"AmortizedCost", "BlendedCost", "NetAmortizedCost", "NetUnblendedCost", "NormalizedUsageAmount",
           "UnblendedCost", "UsageQuantity"}
FORECAST_METRICS = {"AMORTIZED_COST", "BLENDED_COST", "NET_AMORTIZED_COST", "NET_UNBLENDED_COST", "UNBLENDED_COST"}
DIMENSIONS = {"SERVICE": "service", "REGION": "region", "LINKED_ACCOUNT": "account", "RECORD_TYPE": "record"}
EC2 = "Amazon Elastic Compute Cloud - Compute"

# Per account: (service, region, project tag, USD per day in the oldest month, growth per month).
PROFILES = {
    LAB_ACCOUNT: [(EC2, "us-east-1", "llm", 40.0, 0.10), (EC2, "us-west-2", "vision", 25.0, -0.05),
                  ("EC2 - Other", "us-east-1", "llm", 6.0, 0.02), ("Amazon Simple Storage Service", "us-west-2", "",
                                                                   2.5, 0.15),
                  ("Amazon SageMaker", "us-west-2", "vision", 8.0, 0.20),
                  ("Amazon Relational Database Service", "eu-west-1", "", 4.0, 0.0)],
    "210987654321": [(EC2, "us-east-1", "protein", 30.0, 0.25), ("Amazon Simple Storage Service", "us-east-1",
                                                                 "protein", 1.5, 0.05)],
    "345678901234": [(EC2, "eu-west-1", "speech", 12.0, -0.10), ("Amazon SageMaker", "eu-west-1", "speech", 5.0,
                                                                 0.0)],
}
CREDIT_SHARE = {LAB_ACCOUNT: 0.30, "210987654321": 1.0, "345678901234": 0.5}  # share of usage paid by credits
REFUNDS = {LAB_ACCOUNT: (2, EC2, "us-east-1", -25.0), "345678901234": (1, EC2, "eu-west-1", -10.0)}
LEDGER: list[dict] = []


def today() -> _dt.date:
    """AWSWIZ_TODAY=YYYY-MM-DD freezes the ledger's today, as it does the cost tools' (the tests set it)."""
    raw = os.environ.get("AWSWIZ_TODAY", "").strip()
    return _dt.date.fromisoformat(raw) if raw else _dt.datetime.now(_dt.UTC).date()


def month_start(d: _dt.date, back: int = 0) -> _dt.date:
    y, m = d.year, d.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return _dt.date(y, m, 1)


@seeder
def seed_ledger(_state: dict) -> None:
    """Daily items from MONTHS_OF_DATA months back to yesterday (Cost Explorer lags about a day)."""
    LEDGER.clear()
    now = today()
    first = month_start(now, MONTHS_OF_DATA)
    day = first
    while day < now:
        back = (now.year - day.year) * 12 + now.month - day.month  # 0: this month
        age = MONTHS_OF_DATA - back
        for account, rows in PROFILES.items():
            for service, region, project, base, growth in rows:
                usage = round(base * (1 + growth * age), 4)
                item = {"date": day, "account": account, "service": service, "region": region,
                        "tags": {"project": project} if project else {}}
                LEDGER.append({**item, "record": "Usage", "amount": usage})
                credit = round(-usage * CREDIT_SHARE[account], 4)
                if credit:
                    LEDGER.append({**item, "record": "Credit", "amount": credit})
            if account in REFUNDS and back == REFUNDS[account][0] and day.day == 15:
                _, service, region, amount = REFUNDS[account]
                LEDGER.append({"date": day, "account": account, "service": service, "region": region,
                               "tags": {}, "record": "Refund", "amount": amount})
        day += _dt.timedelta(days=1)


class ValidationException(JsonRESTError):
    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _date(value, what: str) -> _dt.date:
    try:
        return _dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationException(f"{what} must be a date YYYY-MM-DD (got {value!r})") from None


def _period(params: dict) -> tuple[_dt.date, _dt.date]:
    tp = params.get("TimePeriod") or {}
    start, end = _date(tp.get("Start"), "Start"), _date(tp.get("End"), "End")
    if start >= end:
        raise ValidationException("Start date must be before End date")
    return start, end


def matches(item: dict, expr: dict | None) -> bool:
    """An Expression: exactly one of And, Or, Not, Dimensions, Tags."""
    if not expr:
        return True
    if "And" in expr:
        return all(matches(item, e) for e in expr["And"])
    if "Or" in expr:
        return any(matches(item, e) for e in expr["Or"])
    if "Not" in expr:
        return not matches(item, expr["Not"])
    if "Dimensions" in expr:
        key = expr["Dimensions"].get("Key")
        if key not in DIMENSIONS:
            raise ValidationException(f"the sandbox filters on {', '.join(DIMENSIONS)} only (got {key})")
        return item[DIMENSIONS[key]] in expr["Dimensions"].get("Values", [])
    if "Tags" in expr:
        return item["tags"].get(expr["Tags"].get("Key"), "") in expr["Tags"].get("Values", [])
    raise ValidationException("an Expression needs one of And, Or, Not, Dimensions, Tags")


def _group_key(item: dict, g: dict) -> str:
    if g.get("Type") == "TAG":
        return f"{g['Key']}${item['tags'].get(g['Key'], '')}"
    return item[DIMENSIONS[g["Key"]]]


def _buckets(start: _dt.date, end: _dt.date, granularity: str) -> list[tuple[_dt.date, _dt.date]]:
    out, cur = [], start
    while cur < end:
        if granularity == "MONTHLY":
            nxt = min(end, _dt.date(cur.year + cur.month // 12, cur.month % 12 + 1, 1))
        else:
            nxt = cur + _dt.timedelta(days=1)
        out.append((cur, nxt))
        cur = nxt
    return out


def _money(amount: float) -> dict:
    return {"Amount": f"{amount:.10f}".rstrip("0").rstrip(".") or "0", "Unit": "USD"}


def cost_and_usage(account: str, params: dict) -> dict:
    start, end = _period(params)
    granularity = params.get("Granularity")
    if granularity not in ("DAILY", "MONTHLY", "HOURLY"):
        raise ValidationException("Granularity must be one of DAILY, MONTHLY, HOURLY")
    metrics = params.get("Metrics") or []
    if not metrics or set(metrics) - METRICS:
        raise ValidationException(f"Metrics must be one or more of {', '.join(sorted(METRICS))}")
    groups = params.get("GroupBy") or []
    if len(groups) > 2:
        raise ValidationException("You can group by at most two dimensions or tag keys")
    for g in groups:
        if g.get("Type") not in ("DIMENSION", "TAG") or (g.get("Type") == "DIMENSION" and g.get("Key") not in
                                                         DIMENSIONS):
            raise ValidationException(f"unsupported GroupBy {g} (the sandbox groups by TAG or by DIMENSION "
                                      f"{', '.join(DIMENSIONS)})")
    items = [i for i in LEDGER if i["account"] == account and start <= i["date"] < end and
             matches(i, params.get("Filter"))]
    now = today()
    results = []
    for lo, hi in _buckets(start, end, "DAILY" if granularity == "HOURLY" else granularity):
        inside = [i for i in items if lo <= i["date"] < hi]
        entry = {"TimePeriod": {"Start": lo.isoformat(), "End": hi.isoformat()}, "Estimated": hi > now}
        if groups:
            sums: dict[tuple, float] = {}
            for i in inside:
                k = tuple(_group_key(i, g) for g in groups)
                sums[k] = sums.get(k, 0.0) + i["amount"]
            entry["Total"] = {}
            entry["Groups"] = [{"Keys": list(k), "Metrics": {m: _money(v) for m in metrics}}
                               for k, v in sorted(sums.items())]
        else:
            total = sum(i["amount"] for i in inside)
            entry["Total"] = {m: _money(total) for m in metrics}
            entry["Groups"] = []
        results.append(entry)
    out = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if groups:
        out["GroupDefinitions"] = [{"Type": g["Type"], "Key": g["Key"]} for g in groups]
    return out


def cost_forecast(account: str, params: dict) -> dict:
    start, end = _period(params)
    if start < today():
        raise ValidationException("The start date must be equal to or no later than the current date")
    if params.get("Metric") not in FORECAST_METRICS:
        raise ValidationException(f"Metric must be one of {', '.join(sorted(FORECAST_METRICS))}")
    if params.get("Granularity") not in ("DAILY", "MONTHLY"):
        raise ValidationException("Granularity must be DAILY or MONTHLY")
    # the mean of the last 14 days of the ledger, carried forward (AWS's model is its own; the shape is AWS's)
    lo = today() - _dt.timedelta(days=14)
    recent = [i for i in LEDGER if i["account"] == account and lo <= i["date"] < today() and
              matches(i, params.get("Filter"))]
    per_day = sum(i["amount"] for i in recent) / 14
    by_time = []
    for a, b in _buckets(start, end, params["Granularity"]):
        mean = per_day * (b - a).days
        by_time.append({"TimePeriod": {"Start": a.isoformat(), "End": b.isoformat()}, "MeanValue": f"{mean:.4f}",
                        "PredictionIntervalLowerBound": f"{mean * 0.9:.4f}",
                        "PredictionIntervalUpperBound": f"{mean * 1.1:.4f}"})
    total = per_day * (end - start).days
    return {"Total": _money(total), "ForecastResultsByTime": by_time}


def _get_cost_and_usage(self) -> str:
    return json.dumps(cost_and_usage(self.current_account, json.loads(self.body or "{}")))


def _get_cost_forecast(self) -> str:
    return json.dumps(cost_forecast(self.current_account, json.loads(self.body or "{}")))


CostExplorerResponse.get_cost_and_usage = _get_cost_and_usage
CostExplorerResponse.get_cost_forecast = _get_cost_forecast
