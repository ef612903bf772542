"""Prices of what is billed while it stays (storage, addresses, gateways, load balancers).

First the Pricing API (GetProducts: one query per kind, every region at once, cached in .state/cache with the
date it was fetched, like pricing.py's instance prices); where it has no answer (no permission, a region it
does not list), a dated table of us-east-1 list prices, each with the AWS pricing page it comes from (other
regions cost 5-30 % more). Every priced line says which (`basis`, `date`).

Only the hourly or per-GiB part is counted: data processed (NAT gateways), load balancer capacity units,
provisioned IOPS and throughput above a volume's baseline, and requests are left out, so a figure is a floor.
"""

from __future__ import annotations

import json
import re
import threading

from _awswiz.shell import cache

HOURS_PER_MONTH = 730  # AWS Pricing Calculator: 730 hours in a month
DATE = "2025-05-01"  # when the figures below were read from the pages named beside them
REGION = "us-east-1"

# Amazon EBS pricing (https://aws.amazon.com/ebs/pricing/): storage, USD per GB-month
EBS_GB_MONTH = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015,
                "standard": 0.05}
# Amazon EBS pricing: snapshots, standard tier, USD per GB-month of data stored. Snapshots are incremental:
# AWS bills the blocks a snapshot holds, so a snapshot's full size is an upper bound.
SNAPSHOT_GB_MONTH = 0.05
# Amazon VPC pricing (https://aws.amazon.com/vpc/pricing/), "Public IPv4 Address": since 2024-02-01 every
# public IPv4 address is billed, in use or idle, Elastic IPs included ("New - AWS Public IPv4 Address Charge +
# Public IP Insights", AWS News Blog, 2023-07-28): an instance's auto-assigned address and the ones AWS gives an
# internet-facing load balancer too (EC2 API Reference, InstanceNetworkInterfaceSpecification
# .AssociatePublicIpAddress: "Amazon Web Services charges for all public IPv4 addresses, including public IPv4
# addresses associated with running instances and Elastic IP addresses"). The price list has two usage types at
# this one price: PublicIPv4:InUseAddress (key "ipv4:in-use") and PublicIPv4:IdleAddress (key "ipv4").
PUBLIC_IPV4_HOUR = 0.005
NAT_GATEWAY_HOUR = 0.045  # Amazon VPC pricing, "NAT Gateway pricing": per hour (per GB processed not counted)
# Elastic Load Balancing pricing (https://aws.amazon.com/elasticloadbalancing/pricing/): per hour (LCUs not counted)
LB_HOUR = {"application": 0.0225, "network": 0.0225, "gateway": 0.0125}

PAGES = {"ebs": "Amazon EBS pricing", "vpc": "Amazon VPC pricing", "elb": "Elastic Load Balancing pricing"}


def basis(page: str) -> str:
    """How a figure was priced, as every line says it: the table, its region and date, and the page."""
    return f"list price {REGION} {DATE} ({PAGES[page]})"


def monthly(per_hour: float) -> float:
    return round(per_hour * HOURS_PER_MONTH, 2)


# --- one rate per charge key: the Pricing API's for the region, else the table's ------------------------------

TABLE = {**{f"ebs:{t}": usd for t, usd in EBS_GB_MONTH.items()}, "snapshot": SNAPSHOT_GB_MONTH,
         "ipv4": PUBLIC_IPV4_HOUR,
         "ipv4:in-use": PUBLIC_IPV4_HOUR, "nat": NAT_GATEWAY_HOUR, **{f"lb:{t}": usd for t, usd in LB_HOUR.items()}}
PER_GB_MONTH = ("ebs", "snapshot")  # the other kinds are per hour
PAGE = {"ebs": "ebs", "snapshot": "ebs", "ipv4": "vpc", "nat": "vpc", "lb": "elb"}
# kind -> (service code, TERM_MATCH filters, the usagetype without its region prefix, unit). Public IPv4 moved to
# the AmazonVPC offer with the February 2024 charge; NAT gateways and EBS are in AmazonEC2, load balancers in
# AWSELB ("Using the AWS Price List API", AWS Billing User Guide: GetProducts with TERM_MATCH filters on
# product attributes). The usagetype tells apart what a family also holds: archive-tier snapshots, NAT data
# processed and regional NAT gateways, in-use addresses, load balancer capacity units. The AWS CLI Command
# Reference's `aws pricing get-products` example answers an EBS product as productFamily "Storage", usagetype
# "APS1-EBS:VolumeUsage.piops", unit "GB-Mo" (region prefix, then the usage, then the volume kind); the other
# families' names are as the price list files spell them (no AWS page lists them all).
QUERIES = {
    "ebs": ("AmazonEC2", {"productFamily": "Storage"}, "EBS:VolumeUsage", "GB-Mo"),
    "snapshot": ("AmazonEC2", {"productFamily": "Storage Snapshot"}, "EBS:SnapshotUsage", "GB-Mo"),
    "ipv4": ("AmazonVPC", {"group": "VPCPublicIPv4Address"}, "PublicIPv4:IdleAddress", "Hrs"),
    "nat": ("AmazonEC2", {"productFamily": "NAT Gateway"}, "NatGateway-Hours", "Hrs"),
    "lb:application": ("AWSELB", {"productFamily": "Load Balancer-Application"}, "LoadBalancerUsage", "Hrs"),
    "lb:network": ("AWSELB", {"productFamily": "Load Balancer-Network"}, "LoadBalancerUsage", "Hrs"),
}
# Usage types a query prices besides its own, as {usagetype: charge key}
ALSO = {"ipv4": {"PublicIPv4:InUseAddress": "ipv4:in-use"}}
REGION_PREFIX = re.compile(r"^[A-Z]{2,5}[0-9]?-")  # EUC1-, USE1-, CAN1- (us-east-1 often has none)
_lock = threading.Lock()
PRICE_CALL = "Pricing GetProducts"  # how an error of these queries begins (scan tells them from the inventory's)


def kind_of(key: str) -> str:
    """The query that prices a charge key: ebs:gp3 -> ebs, lb:network -> lb:network, nat -> nat."""
    return key if key in QUERIES else key.split(":", 1)[0]


def parse(items: list, kind: str) -> dict[str, dict[str, float]]:
    """{region: {charge key: USD}} from GetProducts PriceList entries of one query."""
    _, _, usage, unit = QUERIES[kind]
    out: dict[str, dict[str, float]] = {}
    for raw in items:
        doc = json.loads(raw) if isinstance(raw, str) else raw
        attrs = doc.get("product", {}).get("attributes", {})
        rest = REGION_PREFIX.sub("", attrs.get("usagetype", ""))
        region = attrs.get("regionCode")
        if kind == "ebs":
            key = f"ebs:{attrs.get('volumeApiName')}" if rest.startswith(usage) else None
        else:
            key = kind if rest == usage else ALSO.get(kind, {}).get(rest)
        if not key or not region:
            continue
        for term in doc.get("terms", {}).get("OnDemand", {}).values():
            for dim in term.get("priceDimensions", {}).values():
                usd = float(dim.get("pricePerUnit", {}).get("USD") or 0)
                if dim.get("unit") == unit and usd > 0:
                    found = out.setdefault(region, {})
                    found[key] = min(usd, found.get(key, usd))
    return out


def fetch(pricing, kind: str) -> dict[str, dict[str, float]]:
    """One GetProducts query (paginated) for a kind: its price in every region."""
    service, fixed, _, _ = QUERIES[kind]
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v}
               for k, v in {**fixed, "locationType": "AWS Region"}.items()]
    items: list = []
    for page in pricing.get_paginator("get_products").paginate(ServiceCode=service, Filters=filters,
                                                              FormatVersion="aws_v1"):
        items.extend(page["PriceList"])
    return parse(items, kind)


def load_cache() -> dict:
    return cache.load("list_prices")


def submit(ctx, kinds: set[str], fan) -> tuple[dict, list[str]]:
    """(the cached Pricing API answers, the kinds submitted to fan): one GetProducts query per kind the cache does
    not hold fresh, each recorded into the answers when it comes back; finish() saves them."""
    from _awswiz.compute.pricing import PRICING_REGION

    doc = load_cache()
    stale = sorted(k for k in kinds if not cache.fresh(doc.get(k)))
    api = ctx.aws.client("pricing", PRICING_REGION) if stale else None
    for k in stale:
        fan.submit(("list-price", k), lambda k=k: record(doc, k, fetch(api, k)), PRICING_REGION,
                   f"{PRICE_CALL} {QUERIES[k][0]} {k}")
    return doc, stale


def finish(doc: dict, stale: list[str], results: dict) -> None:
    if fetched := [k for k in stale if ("list-price", k) in results]:
        save_cache(doc, fetched)


def answers(ctx, kinds: set[str]) -> tuple[dict, list[dict]]:
    """(the Pricing API's answers for these kinds, errors): cached or asked now, all at once."""
    from _awswiz.aws.fanout import FanOut

    fan = FanOut(ctx.aws.workers)
    doc, stale = submit(ctx, kinds, fan)
    results, errors = fan.wait()
    finish(doc, stale, results)
    return doc, errors


def record(doc: dict, kind: str, prices: dict) -> None:
    with _lock:
        doc[kind] = {"date": cache.today(), "prices": prices}


def save_cache(doc: dict, kinds: list[str]) -> None:
    cache.save("list_prices", {k: doc[k] for k in kinds if k in doc}, merge=True)


def rate(doc: dict, key: str, region: str) -> tuple[float, str, str] | None:
    """(USD per GiB-month or per hour, basis, date) for a charge key in a region: the Pricing API's price if
    the cache holds one, else the table's; None if neither knows the key."""
    kind = kind_of(key)
    entry = doc.get(kind) or {}
    found = entry.get("prices", {}).get(region, {})
    # an in-use address costs what an idle one does (Amazon VPC pricing); a cache of older runs has only the latter
    usd = found.get(key, found.get(kind) if key in ALSO.get(kind, {}).values() else None)
    if usd is not None:
        return usd, f"Pricing API {region} ({QUERIES[kind][0]})", entry["date"]
    if key not in TABLE:
        return None
    return TABLE[key], basis(PAGE[key.split(":")[0]]), DATE


def per_month(usd: float, key: str, qty: float) -> float:
    """USD a month (unrounded) of qty of a charge key at rate usd: per GiB-month keys times their GiB, hourly keys
    times 730 h. The one formula: costs --now, waste and scan add these up the same way, so they agree to the cent."""
    return usd * qty * (1 if key.split(":")[0] in PER_GB_MONTH else HOURS_PER_MONTH)


def per_hour(usd: float, key: str, qty: float) -> float:
    return per_month(usd, key, qty) / HOURS_PER_MONTH


def exact(doc: dict, charges, region: str) -> tuple[float | None, str, str | None]:
    """price() unrounded, for a caller that adds another part (an instance's hour) before rounding."""
    total, bases, dates = 0.0, [], []
    for key, qty, *_ in charges:
        found = rate(doc, key, region)
        if found is None:
            return None, f"unpriced: {key} is in neither the Pricing API's answer nor the list-price table", None
        usd, why, date = found
        total += per_month(usd, key, qty)
        bases.append(why)
        dates.append(date)
    return total, "; ".join(dict.fromkeys(bases)), min(dates) if dates else None


def price(doc: dict, charges, region: str) -> tuple[float | None, str, str | None]:
    """(USD per month, basis, date) of charges [(key, GiB or count, ...)] (per_month() each, summed, rounded to the
    cent). The date is the oldest of the rates used; None when a key has no price anywhere."""
    total, why, date = exact(doc, charges, region)
    return (None if total is None else round(total, 2)), why, date
