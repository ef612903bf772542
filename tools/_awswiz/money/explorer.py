"""Cost Explorer: monthly spend per group, net and gross, month over month, month to date with a forecast,
daily spend; every answer cached in .state/cache for the day (each Cost Explorer request costs $0.01).

Net is what the bill says (credits and refunds included, as negative amounts); gross is the spend before
them, so that an account living on credits does not look free. One GetCostAndUsage question per view,
grouped by the asked group and RECORD_TYPE, gives both; its answer comes in pages (NextPageToken), every page
is read (Explorer.pages) and each page is a billed request.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import threading

from _awswiz.shell import cache, settings
from _awswiz.shell.errors import BadInput

GROUPS = {"service": ("DIMENSION", "SERVICE"), "region": ("DIMENSION", "REGION"),
          "account": ("DIMENSION", "LINKED_ACCOUNT")}
NOT_GROSS = {"Credit", "Refund"}  # RECORD_TYPE values that are not spend
METRIC = "UnblendedCost"
# GetCostForecast Metric: net as the month to date is (AWS Cost Explorer API Reference, GetCostForecast Metric)
FORECAST_METRIC = "NET_UNBLENDED_COST"
MAX_PAGES = 500
CACHE = "costs"
SPARK = "▁▂▃▄▅▆▇█"
_CACHE_LOCK = threading.Lock()  # fellow_costs reads several accounts at once; one writer of the cache file


def today() -> _dt.date:
    return settings.today()


def month_start(d: _dt.date, back: int = 0) -> _dt.date:
    """The first day of the month `back` months before d's (negative: after)."""
    y, m = divmod(d.year * 12 + d.month - 1 - back, 12)
    return _dt.date(y, m + 1, 1)


def next_month(d: _dt.date) -> _dt.date:
    return _dt.date(d.year + d.month // 12, d.month % 12 + 1, 1)


def group_spec(value: str) -> dict:
    """--group-by service|region|account|tag:KEY as a Cost Explorer GroupDefinition."""
    if value in GROUPS:
        kind, key = GROUPS[value]
        return {"Type": kind, "Key": key}
    if value.startswith("tag:") and value[4:].strip():
        return {"Type": "TAG", "Key": value[4:].strip()}
    raise BadInput(f"--group-by must be one of: service, region, account, tag:KEY (got {value!r})",
                   "e.g. --group-by service, or --group-by tag:project")


class Explorer:
    """Cost Explorer calls for one account, answered from the day's cache unless refresh."""

    def __init__(self, ce, account: str, refresh: bool = False):
        self.ce, self.account, self.refresh = ce, account, refresh
        self.sent = 0
        self.cached = 0

    def call(self, op: str, params: dict) -> dict:
        """One request that does not page (GetCostForecast); a paged one goes through pages."""
        return self._cached(op, params, lambda: (self._send(op, params), 1))

    def pages(self, op: str, params: dict) -> dict:
        """Every page of a GetCostAndUsage answer (NextPageToken), merged: a period split over pages is one
        result with all its groups. Cached as one answer; each page counts as a sent (billed) request."""
        def fetch():
            pages, token = [], None
            while True:
                page = self._send(op, {**params, **({"NextPageToken": token} if token else {})})
                pages.append(page)
                token = page.pop("NextPageToken", None)
                if not token:
                    return merge_pages(pages), len(pages)
                if len(pages) >= MAX_PAGES:
                    raise RuntimeError(f"Cost Explorer {op} gave more than {MAX_PAGES} pages; narrow the question")
        return self._cached(f"{op} (every page)", params, fetch)  # not a first page cached by an older version

    def _send(self, op: str, params: dict) -> dict:
        response = getattr(self.ce, op)(**params)
        response.pop("ResponseMetadata", None)
        self.sent += 1
        return response

    def _cached(self, what: str, params: dict, fetch) -> dict:
        key = hashlib.sha256(json.dumps([self.account, what, params], sort_keys=True).encode()).hexdigest()[:32]
        with _CACHE_LOCK:
            entry = cache.load(CACHE).get(key)
        if not self.refresh and cache.fresh(entry, max_age_days=1):
            self.cached += entry.get("requests", 1)
            return entry["response"]
        response, requests = fetch()
        today_ = cache.today()
        with _CACHE_LOCK:
            kept = {k: v for k, v in cache.load(CACHE).items() if v.get("date") == today_}  # older answers go
            kept[key] = {"date": today_, "response": response, "requests": requests}
            cache.save(CACHE, kept)
        return response


def merge_pages(pages: list[dict]) -> dict:
    by_period: dict[tuple, dict] = {}
    for page in pages:
        for r in page.get("ResultsByTime", []):
            key = (r["TimePeriod"]["Start"], r["TimePeriod"]["End"])
            if key in by_period:
                by_period[key]["Groups"] += r.get("Groups", [])
            else:
                by_period[key] = {**r, "Groups": list(r.get("Groups", []))}
    return {**pages[0], "ResultsByTime": list(by_period.values())}


def _amount(group: dict) -> float:
    return float(group["Metrics"][METRIC]["Amount"])


def monthly(ex: Explorer, months: int, group: dict) -> tuple[list[dict], dict[str, dict]]:
    """(months [{month, start, end, partial, net, gross, credits, refunds}], groups {key: {month: {net, gross}}})
    for `months` whole months before this one and this month to date."""
    now = today()
    start = month_start(now, months)
    resp = ex.pages("get_cost_and_usage", {
        "TimePeriod": {"Start": start.isoformat(), "End": max(now, start + _dt.timedelta(days=1)).isoformat()},
        "Granularity": "MONTHLY", "Metrics": [METRIC], "GroupBy": [group, {"Type": "DIMENSION", "Key": "RECORD_TYPE"}]})
    rows, groups = [], {}
    for r in resp["ResultsByTime"]:
        month = r["TimePeriod"]["Start"][:7]
        row = {"month": month, "start": r["TimePeriod"]["Start"], "end": r["TimePeriod"]["End"],
               "partial": month == now.isoformat()[:7], "estimated": bool(r.get("Estimated")), "net": 0.0,
               "gross": 0.0, "credits": 0.0, "refunds": 0.0}
        for g in r.get("Groups", []):
            key, record = g["Keys"][0], g["Keys"][1]
            if group["Type"] == "TAG":  # Cost Explorer says "project$llm", and "project$" when untagged
                key = key.partition("$")[2] or "(untagged)"
            amount = _amount(g)
            cell = groups.setdefault(key, {}).setdefault(month, {"net": 0.0, "gross": 0.0})
            cell["net"] += amount
            row["net"] += amount
            if record in NOT_GROSS:
                row["credits" if record == "Credit" else "refunds"] += amount
            else:
                cell["gross"] += amount
                row["gross"] += amount
        rows.append(row)
    return rows, groups


def forecast_rest_of_month(ex: Explorer, rows: list[dict]) -> tuple[float | None, str | None]:
    """(net spend forecast from today to the end of the month, None; or None, why there is none). Not asked
    (each request costs $0.01) when no month to date is shown (the 1st: no day of it in the data yet) or the
    month ends today. A young account has no forecast: Cost Explorer answers DataUnavailableException."""
    now = today()
    end = next_month(now)
    if not rows or not rows[-1]["partial"]:
        return None, "no day of this month is in Cost Explorer yet"
    if (end - now).days <= 1:
        return None, "the month ends today: nothing left to forecast"
    try:
        resp = ex.call("get_cost_forecast", {"TimePeriod": {"Start": now.isoformat(), "End": end.isoformat()},
                                             "Metric": FORECAST_METRIC, "Granularity": "MONTHLY"})
    except Exception as exc:  # noqa: BLE001 - only the one AWS answer is expected here; the rest go up
        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "DataUnavailableException":
            raise
        why = exc.response["Error"].get("Message") or "the requested data is unavailable"
        return None, f"Cost Explorer has no forecast for this account: {why} (a new account needs more history)"
    return float(resp["Total"]["Amount"]), None


def daily(ex: Explorer, days: int) -> list[dict]:
    now = today()
    resp = ex.pages("get_cost_and_usage", {
        "TimePeriod": {"Start": (now - _dt.timedelta(days=days)).isoformat(), "End": now.isoformat()},
        "Granularity": "DAILY", "Metrics": [METRIC], "GroupBy": [{"Type": "DIMENSION", "Key": "RECORD_TYPE"}]})
    out = []
    for r in resp["ResultsByTime"]:
        net = sum(_amount(g) for g in r.get("Groups", []))
        gross = sum(_amount(g) for g in r.get("Groups", []) if g["Keys"][0] not in NOT_GROSS)
        out.append({"date": r["TimePeriod"]["Start"], "net": round(net, 2), "gross": round(gross, 2)})
    return out


def change(new: float, old: float) -> tuple[float, float | None]:
    """(absolute, percent) change; percent is None from zero."""
    return round(new - old, 2), (round((new - old) / abs(old) * 100, 1) if old else None)


def spark(values: list[float]) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1
    return "".join(SPARK[int((v - lo) / span * (len(SPARK) - 1))] for v in values)


def summarize(rows: list[dict], groups: dict[str, dict], forecast: tuple[float | None, str | None]) -> dict:
    """The document costs.py prints: months with changes, groups with totals and trend, movers, MTD."""
    complete = [r for r in rows if not r["partial"]]
    prev = None
    for r in rows:
        for k in ("net", "gross", "credits", "refunds"):
            r[k] = round(r[k], 2)
        if prev is not None and not r["partial"]:
            r["change"], r["change_pct"] = change(r["net"], prev["net"])
        prev = r
    months = [r["month"] for r in rows]
    by_group = []
    for key, cells in groups.items():
        series = [round(cells.get(m, {}).get("net", 0.0), 2) for m in months]
        gross = [round(cells.get(m, {}).get("gross", 0.0), 2) for m in months]
        whole = [v for v, r in zip(series, rows, strict=True) if not r["partial"]]
        entry = {"key": key, "net": dict(zip(months, series, strict=True)),
                 "gross": dict(zip(months, gross, strict=True)), "total_net": round(sum(series), 2),
                 "total_gross": round(sum(gross), 2), "trend": spark(whole)}  # whole months only
        if len(complete) >= 2:
            a, b = complete[-2]["month"], complete[-1]["month"]
            entry["change"], entry["change_pct"] = change(entry["net"][b], entry["net"][a])
        by_group.append(entry)
    by_group.sort(key=lambda g: -g["total_gross"])
    movers = sorted((g for g in by_group if g.get("change")), key=lambda g: -abs(g["change"]))[:5]
    doc = {"months": rows, "groups": by_group,
           "top_movers": [{"key": g["key"], "change": g["change"], "change_pct": g["change_pct"]} for g in movers],
           "totals": {k: round(sum(r[k] for r in rows), 2) for k in ("net", "gross", "credits", "refunds")}}
    current = rows[-1] if rows and rows[-1]["partial"] else None
    if current is not None:
        forecast_rest, why = forecast
        mtd = {"month": current["month"], "net": current["net"], "gross": current["gross"],
               "forecast_rest_net": None if forecast_rest is None else round(forecast_rest, 2),
               "forecast_month_net": None if forecast_rest is None else round(current["net"] + forecast_rest, 2)}
        if why:
            mtd["forecast_unavailable"] = why
        if complete and forecast_rest is not None:
            mtd["change_vs_last_month"], mtd["change_vs_last_month_pct"] = change(mtd["forecast_month_net"],
                                                                                  complete[-1]["net"])
        doc["month_to_date"] = mtd
    return doc
