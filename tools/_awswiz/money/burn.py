"""costs.py --now: what the account costs right now, per resource, from the live inventory (snapshot.collect
over the resource table) and prices: instances from the Pricing API (on-demand) or the current spot price of
their region; volumes, public IPv4 addresses (Elastic IPs, instances' own, internet-facing load balancers'), NAT
gateways and load balancers from list_prices.py (the Pricing API, cached with its date, else its dated table:
the same source waste.py and launch.py price from). Cost Explorer lags about a day; this does not. It leaves
out what depends on traffic (data transfer, NAT data processing, load balancer capacity units, S3 requests) and
provisioned IOPS/throughput above a volume's baseline: a floor, not a bill. RDS instances, EKS clusters and
SageMaker notebooks are listed in `unpriced`, each with what it is billed for (not priced here yet).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from _awswiz.aws.fanout import FanOut
from _awswiz.compute import list_prices as lp
from _awswiz.compute import pricing
from _awswiz.inventory.collect import collect
from _awswiz.inventory.table import BY_TYPE, ROWS, costed
from _awswiz.shell import cache

TYPES = ("ec2:instance", "ec2:volume", "ec2:elastic-ip", "vpc:nat-gateway", "elb:load-balancer")
# Billed while they exist, and not priced here yet: each is listed in `unpriced`, saying what it is billed for (the
# type table's `cost`) and whose price list that is (the Pricing API's service code), rather than left out silently
# or priced with invented figures. (The sandbox's Pricing API serves none of these three service codes either.)
UNPRICED = {"rds:db-instance": "AmazonRDS", "eks:cluster": "AmazonEKS", "sagemaker:notebook": "AmazonSageMaker"}
RUNNING = {"running", "pending"}
LB_PUBLIC = {"application", "network"}  # a gateway load balancer has no public address


def public_ipv4(rec: dict, eips: set[str]) -> int:
    """How many public IPv4 addresses a record holds that are not Elastic IPs (those are priced as themselves).
    Amazon VPC pricing, "Public IPv4 Address": every public IPv4 address is billed, in use or idle. A running
    instance's public IP (PublicIpAddress, unless it is an Elastic IP; a stopped one has none); an internet-facing
    application or network load balancer: one address per AZ it is in, whose node answers there."""
    if rec["type"] == "ec2:instance":
        return int(rec.get("state") in RUNNING and bool(rec.get("public_ip")) and rec.get("public_ip") not in eips)
    if rec["type"] == "elb:load-balancer" and rec.get("scheme") == "internet-facing" \
            and rec.get("lb_type") in LB_PUBLIC and rec.get("ip_type") != "dualstack-without-public-ipv4" \
            and rec.get("state") in ("active", "provisioning", "active_impaired"):
        return len(set(rec.get("azs") or []) - set(rec.get("eip_azs") or []))
    return 0


def eip_addresses(records: list[dict]) -> set[str]:
    return {r["public_ip"] for r in records if r["type"] == "ec2:elastic-ip" and r.get("public_ip")}


def charges(rec: dict, eips: set[str]) -> list[tuple[str, float, str]]:
    """What a resource is billed at besides an instance's own hour: [(list_prices key, GiB or count, what)]. The one
    definition of a resource's list-priced charges: costs --now prices each line from it, and scan and waste price
    each leftover from it (money/leftovers.py), so the same resource has the same price in all three. An Elastic
    IP is its own resource, priced as itself, never on what it is associated with (a NAT gateway, an instance)."""
    out: list[tuple[str, float, str]] = []
    t = rec["type"]
    if t == "ec2:volume":
        vt, size = rec.get("volume_type") or "gp2", rec.get("size_gib") or 0
        out.append((f"ebs:{vt}", size, f"{vt} {size} GiB ({rec.get('state')})"))
    elif t == "ec2:elastic-ip":
        key = "ipv4:in-use" if rec.get("association") else "ipv4"
        out.append((key, 1, f"public IPv4 {rec.get('public_ip')} ({rec.get('state')})"))
    elif t == "vpc:nat-gateway" and rec.get("state") in ("available", "pending"):
        out.append(("nat", 1, "NAT gateway (hours only)"))
    elif t == "elb:load-balancer":
        kind = rec.get("lb_type") or "application"
        out.append((f"lb:{kind}", 1, f"{kind} load balancer (hours only)"))
    if n := public_ipv4(rec, eips):
        per_az = " (one per AZ)" if t == "elb:load-balancer" else ""
        out.append(("ipv4:in-use", n, f"{n} public IPv4{per_az}"))
    return out


def _line(rec: dict, parts: list[tuple[str, float, float, str]]) -> dict:
    """One line per resource: its charges [(what, USD per hour, USD per month, price source)] summed."""
    return {"type": rec["type"], "id": rec["id"], "region": rec["region"], "name": rec.get("name"),
            "what": " + ".join(p[0] for p in parts), "per_hour": round(sum(p[1] for p in parts), 4),
            "per_month": round(sum(p[2] for p in parts), 2),
            "price_source": "; ".join(dict.fromkeys(p[3] for p in parts))}


def _listed(doc: dict, key: str, qty: float, region: str, what: str) -> tuple[str, float, float, str] | None:
    """(what, USD per hour, USD per month, source) of qty of a list_prices charge key in a region, or None if
    unpriced."""
    found = lp.rate(doc, key, region)
    if found is None:
        return None
    usd, basis, date = found
    return (what, lp.per_hour(usd, key, qty), lp.per_month(usd, key, qty),
            basis if date in basis else f"{basis}, fetched {date}")


def list_price_kinds(records: list[dict]) -> set[str]:
    """The list_prices queries the records need."""
    eips = eip_addresses(records)
    return {lp.kind_of(key) for r in records for key, _, _ in charges(r, eips)} & set(lp.QUERIES)


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


def instance_hour(rec: dict, on_demand: dict, spot: dict) -> tuple[float, str] | None:
    """(USD per hour, source) of a running instance: its region's current spot price if it is a spot instance
    (and one is known), else the Pricing API's on-demand price; None if neither is known."""
    t, region = rec["instance_type"], rec["region"]
    if rec.get("market") == "spot" and (region, t) in spot:
        s = spot[(region, t)]
        return s["price"], f"spot price {s['az']} at {s['at']}"
    if (od := on_demand.get(t, {}).get(region)) is not None:
        return od, "Pricing API on-demand (Linux)"
    return None


def lines(records: list[dict], on_demand: dict, spot: dict, doc: dict) -> tuple[list[dict], list[dict]]:
    """(priced lines, unpriced resources) for the records; doc: list_prices' Pricing API answers."""
    out, unpriced = [], []
    eips = eip_addresses(records)
    for r in records:
        parts: list = []
        region = r["region"]
        if r["type"] in UNPRICED:
            unpriced.append({"type": r["type"], "id": r["id"], "region": region, "reason": (
                f"billed {BY_TYPE[r['type']].cost}; costs --now does not read the Pricing API's {UNPRICED[r['type']]} "
                "prices yet")})
            continue
        if r["type"] == "ec2:instance" and r.get("state") in RUNNING:
            t = r["instance_type"]
            if found := instance_hour(r, on_demand, spot):
                usd, source = found
                parts.append((f"{t} {'spot' if source.startswith('spot') else 'on-demand'}", usd,
                              usd * lp.HOURS_PER_MONTH, source))
            else:
                unpriced.append({"type": r["type"], "id": r["id"], "region": region,
                                 "reason": f"no price found for {t}"})
        parts += [_listed(doc, key, qty, region, what) for key, qty, what in charges(r, eips)]
        if None in parts:
            unpriced.append({"type": r["type"], "id": r["id"], "region": region,
                             "reason": f"no list price for {r['type']}"})
        elif parts:
            out.append(_line(r, parts))
    out.sort(key=lambda x: -x["per_hour"])
    return out, unpriced


def run(ctx) -> tuple[dict, list[dict]]:
    """(what runs now and its price per hour and month, errors per region): data, never the envelope."""
    regions, skipped = ctx.regions()
    rows = [costed(row) for row in ROWS if row.type in TYPES or row.type in UNPRICED]  # LB AZs: types/
    with ctx.progress("listing what runs", 0) as bar:
        records, errors, _ = collect(ctx.aws, regions, rows, bar)
    with ThreadPoolExecutor(1) as pool:  # the list prices and the instance prices at once
        listed = pool.submit(lp.answers, ctx, list_price_kinds(records))
        on_demand, spot, price_errors = instance_prices(ctx, regions, records)
        doc, list_errors = listed.result()
    burn, unpriced = lines(records, on_demand, spot, doc)
    per_hour = sum(b["per_hour"] for b in burn)
    data = {"regions": regions, "skipped_regions": skipped, "burn": burn, "unpriced": unpriced,
            "totals": {"per_hour": round(per_hour, 4), "per_month": round(per_hour * lp.HOURS_PER_MONTH, 2)},
            "not_included": "data transfer, NAT data processing, LCUs, requests, IOPS/throughput above baseline"}
    return data, errors + price_errors + list_errors
