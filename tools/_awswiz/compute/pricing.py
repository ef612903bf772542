"""On-demand prices from the Pricing API (one call per instance type, every region at once), cached in
.state/cache/pricing.json with the date they were fetched; and the latest spot prices of a region."""

from __future__ import annotations

import datetime as _dt
import json
import threading

from _awswiz.shell import cache

PRICING_REGION = "us-east-1"  # the Pricing API answers in a few regions only; us-east-1 has every price
_FILTERS = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
            "licenseModel": "No License required"}
_lock = threading.Lock()


def load_cache() -> dict:
    return cache.load("pricing")


def save_cache(entries: dict) -> None:
    cache.save("pricing", entries, merge=True)


def parse_price_list(items: list[str]) -> dict[str, float]:
    """{region: USD per hour} from Pricing GetProducts PriceList entries (each a JSON string)."""
    out: dict[str, float] = {}
    for raw in items:
        doc = json.loads(raw) if isinstance(raw, str) else raw
        region = doc.get("product", {}).get("attributes", {}).get("regionCode")
        for term in doc.get("terms", {}).get("OnDemand", {}).values():
            for dim in term.get("priceDimensions", {}).values():
                usd = dim.get("pricePerUnit", {}).get("USD")
                if region and usd is not None and float(usd) > 0:
                    out[region] = min(float(usd), out.get(region, float("inf")))
    return out


def fetch_on_demand(pricing, instance_type: str) -> dict[str, float]:
    """One GetProducts query (paginated) for a type: its Linux on-demand price in every region."""
    filters = [{"Type": "TERM_MATCH", "Field": "instanceType", "Value": instance_type}]
    filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in _FILTERS.items()]
    items: list[str] = []
    for page in pricing.get_paginator("get_products").paginate(ServiceCode="AmazonEC2", Filters=filters,
                                                              FormatVersion="aws_v1"):
        items.extend(page["PriceList"])
    return parse_price_list(items)


def record(doc: dict, instance_type: str, prices: dict[str, float]) -> dict:
    entry = {"date": cache.today(), "prices": prices}
    with _lock:
        doc[instance_type] = entry
    return entry


def spot_by_az(ec2, types: list[str]) -> dict[str, dict[str, dict]]:
    """{type: {az: {price, az, at}}}: the current Linux spot price of each type in each AZ of the client's region
    (a spot price is per AZ: EC2 User Guide, "Spot Instance pricing history")."""
    if not types:
        return {}
    now = _dt.datetime.now(_dt.UTC)
    latest: dict[tuple[str, str], dict] = {}
    pages = ec2.get_paginator("describe_spot_price_history").paginate(
        InstanceTypes=sorted(set(types)), ProductDescriptions=["Linux/UNIX"], StartTime=now)
    for page in pages:
        for p in page["SpotPriceHistory"]:
            key = (p["InstanceType"], p["AvailabilityZone"])
            if key not in latest or p["Timestamp"] > latest[key]["Timestamp"]:
                latest[key] = p
    out: dict[str, dict[str, dict]] = {}
    for (itype, az), p in latest.items():
        out.setdefault(itype, {})[az] = {"price": float(p["SpotPrice"]), "az": az,
                                         "at": p["Timestamp"].isoformat(timespec="seconds")}
    return out


def latest_spot(ec2, types: list[str]) -> dict[str, dict]:
    """{type: {price, az, at}}: the cheapest current Linux spot price in the client's region."""
    return {t: min(by_az.values(), key=lambda p: p["price"]) for t, by_az in spot_by_az(ec2, types).items()}
