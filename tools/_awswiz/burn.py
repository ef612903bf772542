"""costs.py --now: what the account costs right now, per resource, from the live inventory (snapshot.collect
over the resource table) and list prices: instances from the Pricing API (on-demand) or the current spot
price of their region; volumes, public IPv4 addresses, NAT gateways and load balancers from the list prices
below. Cost Explorer lags about a day; this does not. It leaves out what depends on traffic (data transfer,
NAT data processing, load balancer capacity units, S3 requests) and provisioned IOPS/throughput above a
volume's baseline: a floor, not a bill.
"""

from __future__ import annotations

from . import cache, pricing
from .fanout import FanOut
from .list_prices import DATE as LIST_PRICE_DATE  # us-east-1 list prices with their date and pages
from .list_prices import EBS_GB_MONTH, HOURS_PER_MONTH, LB_HOUR, NAT_GATEWAY_HOUR, PUBLIC_IPV4_HOUR
from .output import Result
from .resources import ROWS
from .snapshot import collect

TYPES = ("ec2:instance", "ec2:volume", "ec2:elastic-ip", "vpc:nat-gateway", "elb:load-balancer")
RUNNING = {"running", "pending"}


def _line(rec: dict, what: str, per_hour: float, source: str) -> dict:
    return {"type": rec["type"], "id": rec["id"], "region": rec["region"], "name": rec.get("name"), "what": what,
            "per_hour": round(per_hour, 4), "per_month": round(per_hour * HOURS_PER_MONTH, 2),
            "price_source": source}


def instance_prices(ctx, regions: list[str], records: list[dict]) -> tuple[dict, dict, list[dict]]:
    """({type: {region: on-demand USD/h}}, {(region, type): spot}, errors) for the running instances."""
    running = [r for r in records if r["type"] == "ec2:instance" and r.get("state") in RUNNING]
    types = sorted({r["instance_type"] for r in running})
    prices = pricing.load_cache()
    fan = FanOut(ctx.aws.workers)
    price_api = ctx.aws.client("pricing", pricing.PRICING_REGION)
    for t in types:
        if not cache.fresh(prices.get(t)):
            fan.submit(("price", t), lambda t=t: pricing.record(prices, t, pricing.fetch_on_demand(price_api, t)),
                       pricing.PRICING_REGION, f"Pricing GetProducts {t}")
    for region in regions:
        spot_types = sorted({r["instance_type"] for r in running if r["region"] == region and r["market"] == "spot"})
        if spot_types:
            ec2 = ctx.aws.client("ec2", region)
            fan.submit(("spot", region), lambda e=ec2, s=spot_types: pricing.latest_spot(e, s), region,
                       "DescribeSpotPriceHistory")
    results, errors = fan.wait()
    fetched = [t for t in types if ("price", t) in results]
    if fetched:
        pricing.save_cache({t: prices[t] for t in fetched})
    on_demand = {t: (prices.get(t) or {}).get("prices", {}) for t in types}
    spot = {(k[1], t): v for k, found in results.items() if k[0] == "spot" for t, v in found.items()}
    return on_demand, spot, errors


def lines(records: list[dict], on_demand: dict, spot: dict) -> tuple[list[dict], list[dict]]:
    """(priced lines, unpriced resources) for the records."""
    out, unpriced = [], []
    for r in records:
        if r["type"] == "ec2:instance" and r.get("state") in RUNNING:
            t = r["instance_type"]
            if r["market"] == "spot" and (r["region"], t) in spot:
                s = spot[(r["region"], t)]
                out.append(_line(r, f"{t} spot", s["price"], f"spot price {s['az']} at {s['at']}"))
            elif (od := on_demand.get(t, {}).get(r["region"])) is not None:
                out.append(_line(r, f"{t} on-demand", od, "Pricing API on-demand (Linux)"))
            else:
                unpriced.append({"id": r["id"], "region": r["region"], "reason": f"no price found for {t}"})
        elif r["type"] == "ec2:volume":
            vt, size = r.get("volume_type") or "gp2", r.get("size_gib") or 0
            if vt in EBS_GB_MONTH:
                out.append(_line(r, f"{vt} {size} GiB ({r.get('state')})", EBS_GB_MONTH[vt] * size / HOURS_PER_MONTH,
                                 f"EBS list price us-east-1 {LIST_PRICE_DATE}"))
            else:
                unpriced.append({"id": r["id"], "region": r["region"], "reason": f"volume type {vt}"})
        elif r["type"] == "ec2:elastic-ip":
            out.append(_line(r, f"public IPv4 {r.get('public_ip')} ({r.get('state')})", PUBLIC_IPV4_HOUR,
                             f"VPC list price {LIST_PRICE_DATE}"))
        elif r["type"] == "vpc:nat-gateway" and r.get("state") in ("available", "pending"):
            out.append(_line(r, "NAT gateway (hours only)", NAT_GATEWAY_HOUR, f"VPC list price us-east-1 "
                                                                              f"{LIST_PRICE_DATE}"))
        elif r["type"] == "elb:load-balancer":
            kind = r.get("lb_type") or "application"
            out.append(_line(r, f"{kind} load balancer (hours only)", LB_HOUR.get(kind, LB_HOUR["application"]),
                             f"ELB list price us-east-1 {LIST_PRICE_DATE}"))
    out.sort(key=lambda x: -x["per_hour"])
    return out, unpriced


def run(ctx) -> Result:
    regions, skipped = ctx.regions()
    rows = [row for row in ROWS if row.type in TYPES]
    with ctx.progress("listing what runs", 0) as bar:
        records, errors, _ = collect(ctx.aws, regions, rows, bar)
    on_demand, spot, price_errors = instance_prices(ctx, regions, records)
    burn, unpriced = lines(records, on_demand, spot)
    per_hour = sum(b["per_hour"] for b in burn)
    data = {"regions": regions, "skipped_regions": skipped, "burn": burn, "unpriced": unpriced,
            "totals": {"per_hour": round(per_hour, 4), "per_month": round(per_hour * HOURS_PER_MONTH, 2)},
            "not_included": "data transfer, NAT data processing, LCUs, requests, IOPS/throughput above baseline"}
    return Result(data=data, errors=errors + price_errors)
