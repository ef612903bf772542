"""Cost Explorer for the sandbox: GetCostAndUsage, GetCostForecast, GetDimensionValues and GetTags answered as AWS
answers them, computed from the ledger (ledger.py: daily line items of the lab account and its fellows).

Why not moto's seeding endpoint (/moto-api/static/ce/cost-and-usage-results): moto hands the queued results
out in the order requests arrive, whatever they ask (moto/ce/models.py get_cost_and_usage: "A request ... will
take the first result from that queue"); a tool that asks for March grouped by REGION would get whatever was
queued first. AWS answers the query that was asked, so the sandbox computes each answer from the ledger.
moto has no GetCostForecast at all. Both are answered by methods put on moto's own CostExplorerResponse
(the same way as ec2/offerings.py), so the account is moto's: the caller's, or the one a role was assumed in.

Rules followed (AWS Cost Explorer API Reference):
- GetCostAndUsage: TimePeriod Start inclusive, End exclusive; Granularity DAILY|MONTHLY|HOURLY; Metrics
  required; at most two GroupBy of type DIMENSION or TAG; a tag group key is "KEY$value" ("KEY$" untagged);
  with GroupBy, each ResultsByTime has Groups and an empty Total; Filter is an Expression (And, Or, Not,
  Dimensions, Tags); RECORD_TYPE values include Usage, Credit, Refund (credits and refunds are negative).
  Each metric is its own (MetricValue Amount and Unit): the cost metrics in USD (the Net ones are after
  discounts, and the ledger has none, so they equal the others), UsageQuantity in the usage's unit (Hrs, GB-Mo;
  "N/A" where units mix), so GroupBy USAGE_TYPE gives meaningful quantities. Results of the
  open billing month are Estimated. NextPageToken: "Amazon Web Services provides the token when the response
  ... has more results than the maximum page size"; AWS does not publish that size, the sandbox closes a page
  after PAGE_GROUPS groups (a period's groups may continue on the next page), so the lab's answers come in
  pages and a client that drops one is caught. A token from another query is InvalidNextTokenException.
- GetDimensionValues: Dimension (the botocore enum), TimePeriod, SearchString; DimensionValues [{Value,
  Attributes}], ReturnSize, TotalSize, NextPageToken.
- GetCostForecast: Metric one of AMORTIZED_COST, BLENDED_COST, NET_AMORTIZED_COST, NET_UNBLENDED_COST,
  UNBLENDED_COST; Granularity DAILY|MONTHLY; "The start date must be equal to or no later than the current
  date" (the forecast covers today onwards; a past start is a ValidationException). A new account's forecast is
  DataUnavailableException ("Insufficient amount of historical data"): the sandbox's young fellow (YOUNG) has
  YOUNG_DAYS of data, under the FORECAST_MIN_DAYS this sandbox asks for (AWS does not publish its own figure).
- Organizations: the management account decides whether a member account may use Cost Explorer (AWS Cost
  Management user guide, "Controlling access to Cost Explorer"); a member without it gets AccessDeniedException on
  every call (NO_CE). Credits applied at the payer may be invisible to a member: its ledger has no Credit lines
  (HIDDEN_CREDITS), though its usage was paid by credits.
"""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json

from moto.ce.responses import CostExplorerResponse
from moto.core.exceptions import JsonRESTError

from ..answers import answer_the_rest
from ..ledger import LEDGER, NO_CE, can_forecast, daily_mean, month_start, today

PAGE_GROUPS = 20
METRICS = {"AmortizedCost", "BlendedCost", "NetAmortizedCost", "NetUnblendedCost", "NormalizedUsageAmount",
           "UnblendedCost", "UsageQuantity"}
FORECAST_METRICS = {"AMORTIZED_COST", "BLENDED_COST", "NET_AMORTIZED_COST", "NET_UNBLENDED_COST", "UNBLENDED_COST"}
COST_METRICS = METRICS - {"NormalizedUsageAmount", "UsageQuantity"}
DIMENSIONS = {"SERVICE": "service", "REGION": "region", "LINKED_ACCOUNT": "account", "RECORD_TYPE": "record",
              "USAGE_TYPE": "usage_type", "INSTANCE_TYPE": "instance_type"}
NORMALIZATION = {"xlarge": 8}  # EC2 normalization factor of the size (instance size flexibility table)


class CeError(JsonRESTError):
    def __init__(self, code: str, message: str):
        super().__init__(code, message)


class ValidationException(CeError):
    def __init__(self, message: str):
        super().__init__("ValidationException", message)


def _allowed(account: str) -> None:
    if account == NO_CE:
        raise CeError("AccessDeniedException", "Linked account doesn't have access to cost explorer: the "
                                               "management account of its organization has not enabled it")


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


def _money(amount: float, unit: str = "USD") -> dict:
    return {"Amount": f"{amount:.10f}".rstrip("0").rstrip(".") or "0", "Unit": unit}


def _metric(name: str, items: list[dict]) -> dict:
    """One metric over the items, in its own unit: the costs in USD; UsageQuantity in the usage's unit ("N/A"
    where the units differ); NormalizedUsageAmount in EC2 normalized units."""
    if name in COST_METRICS:
        return _money(sum(i["amount"] for i in items))
    units = {i["unit"] for i in items if i["quantity"]}
    if name == "UsageQuantity":
        return _money(sum(i["quantity"] for i in items), units.pop() if len(units) == 1 else "N/A")
    factor = [NORMALIZATION.get(i["instance_type"].rpartition(".")[2], 0) for i in items]
    return _money(sum(i["quantity"] * f for i, f in zip(items, factor, strict=True)), "N/A")


def _token(params: dict, at: int) -> str:
    query = {k: v for k, v in params.items() if k != "NextPageToken"}
    digest = hashlib.sha256(json.dumps(query, sort_keys=True).encode()).hexdigest()[:16]
    return base64.urlsafe_b64encode(json.dumps({"q": digest, "at": at}).encode()).decode()


def _offset(params: dict) -> int:
    raw = params.get("NextPageToken")
    if not raw:
        return 0
    try:
        at = json.loads(base64.urlsafe_b64decode(raw.encode()))["at"]
    except (ValueError, KeyError, TypeError):
        at = None
    if not isinstance(at, int) or _token(params, at) != raw:
        raise CeError("InvalidNextTokenException", "The pagination token is invalid. Try again without a "
                                                   "pagination token.")
    return at


def cost_and_usage(account: str, params: dict) -> dict:
    _allowed(account)
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
    open_month = month_start(today())  # the billing period still open: its figures are estimates
    units = []  # (period entry, group or None): what the pages are cut from
    for lo, hi in _buckets(start, end, "DAILY" if granularity == "HOURLY" else granularity):
        inside = [i for i in items if lo <= i["date"] < hi]
        entry = {"TimePeriod": {"Start": lo.isoformat(), "End": hi.isoformat()}, "Estimated": hi > open_month}
        if groups:
            sums: dict[tuple, list] = {}
            for i in inside:
                sums.setdefault(tuple(_group_key(i, g) for g in groups), []).append(i)
            entry["Total"] = {}
            cells = [{"Keys": list(k), "Metrics": {m: _metric(m, v) for m in metrics}} for k, v in sorted(sums.items())]
            units += [(entry, c) for c in cells] or [(entry, None)]
        else:
            entry["Total"] = {m: _metric(m, inside) for m in metrics}
            units.append((entry, None))
    at = _offset(params)
    results: list[dict] = []
    for entry, cell in units[at:at + PAGE_GROUPS]:
        if not results or results[-1]["TimePeriod"] != entry["TimePeriod"]:
            results.append({**entry, "Groups": []})
        if cell is not None:
            results[-1]["Groups"].append(cell)
    out = {"ResultsByTime": results, "DimensionValueAttributes": []}
    if groups:
        out["GroupDefinitions"] = [{"Type": g["Type"], "Key": g["Key"]} for g in groups]
    if at + PAGE_GROUPS < len(units):
        out["NextPageToken"] = _token(params, at + PAGE_GROUPS)
    return out


DIMENSION_ENUM = {"AZ", "INSTANCE_TYPE", "LINKED_ACCOUNT", "PAYER_ACCOUNT", "LINKED_ACCOUNT_NAME", "OPERATION",
                  "PURCHASE_TYPE", "REGION", "SERVICE", "SERVICE_CODE", "USAGE_TYPE", "USAGE_TYPE_GROUP",
                  "RECORD_TYPE", "OPERATING_SYSTEM", "TENANCY", "SCOPE", "PLATFORM", "SUBSCRIPTION_ID",
                  "LEGAL_ENTITY_NAME", "DEPLOYMENT_OPTION", "DATABASE_ENGINE", "CACHE_ENGINE", "INSTANCE_TYPE_FAMILY",
                  "BILLING_ENTITY", "RESERVATION_ID", "RESOURCE_ID", "RIGHTSIZING_TYPE", "SAVINGS_PLANS_TYPE",
                  "SAVINGS_PLAN_ARN", "PAYMENT_OPTION", "AGREEMENT_END_DATE_TIME_AFTER",
                  "AGREEMENT_END_DATE_TIME_BEFORE", "INVOICING_ENTITY", "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                  "ANOMALY_TOTAL_IMPACT_PERCENTAGE", "PRODUCT_ATTRIBUTE"}  # botocore ce model, shape Dimension


def dimension_values(account: str, params: dict) -> dict:
    _allowed(account)
    start, end = _period(params)
    dim = params.get("Dimension")
    if dim not in DIMENSION_ENUM:
        raise ValidationException(f"Dimension must be one of {', '.join(sorted(DIMENSION_ENUM))} (got {dim!r})")
    if params.get("Context", "COST_AND_USAGE") not in ("COST_AND_USAGE", "RESERVATIONS", "SAVINGS_PLANS"):
        raise ValidationException("Context must be one of COST_AND_USAGE, RESERVATIONS, SAVINGS_PLANS")
    search = (params.get("SearchString") or "").lower()
    values = sorted({i[DIMENSIONS[dim]] for i in LEDGER if i["account"] == account and start <= i["date"] < end
                     and matches(i, params.get("Filter"))} if dim in DIMENSIONS else set())  # none of the others
    values = [v for v in values if search in v.lower()]
    at, size = _offset(params), int(params.get("MaxResults") or 1000)
    page = values[at:at + size]
    out = {"DimensionValues": [{"Value": v, "Attributes": {}} for v in page], "ReturnSize": len(page),
           "TotalSize": len(values)}
    if at + size < len(values):
        out["NextPageToken"] = _token(params, at + size)
    return out


def cost_forecast(account: str, params: dict) -> dict:
    _allowed(account)
    start, end = _period(params)
    if start < today():
        raise ValidationException("The start date must be equal to or no later than the current date")
    if params.get("Metric") not in FORECAST_METRICS:
        raise ValidationException(f"Metric must be one of {', '.join(sorted(FORECAST_METRICS))}")
    if params.get("Granularity") not in ("DAILY", "MONTHLY"):
        raise ValidationException("Granularity must be DAILY or MONTHLY")
    if not can_forecast(account):
        raise CeError("DataUnavailableException", "Insufficient amount of historical data to generate forecast.")
    # the mean of the last 14 days of the ledger, carried forward (ledger.daily_mean).
    # The ledger has no discounts, so the NET_ metrics (after discounts) equal the others, as in GetCostAndUsage.
    per_day = daily_mean(account, lambda i: matches(i, params.get("Filter")))
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


def _get_dimension_values(self) -> str:
    return json.dumps(dimension_values(self.current_account, json.loads(self.body or "{}")))


CostExplorerResponse.get_cost_and_usage = _get_cost_and_usage
CostExplorerResponse.get_cost_forecast = _get_cost_forecast
CostExplorerResponse.get_dimension_values = _get_dimension_values


def get_tags(account: str, params: dict) -> dict:
    """GetTags: the tag keys of the period's costs, or with TagKey that key's values ("" untagged is left out)."""
    _allowed(account)
    start, end = _period(params)
    mine = [i for i in LEDGER if i["account"] == account and start <= i["date"] < end]
    key = params.get("TagKey")
    found = {v for i in mine for v in ([i["tags"].get(key, "")] if key else i["tags"])} - {""}
    tags = sorted(t for t in found if (params.get("SearchString") or "").lower() in t.lower())
    at, size = _offset(params), int(params.get("MaxResults") or 1000)
    out = {"Tags": tags[at:at + size], "ReturnSize": len(tags[at:at + size]), "TotalSize": len(tags)}
    if at + size < len(tags):
        out["NextPageToken"] = _token(params, at + size)
    return out


def _get_tags(self) -> str:
    return json.dumps(get_tags(self.current_account, json.loads(self.body or "{}")))


CostExplorerResponse.get_tags = _get_tags


answer_the_rest(CostExplorerResponse, "ce")
