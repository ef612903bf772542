"""Prices for the sandbox: Pricing GetProducts (moto has no Pricing API) in the real PriceList format (JSON
strings), and DescribeSpotPriceHistory (moto answers 0.00001 dated 2006 for everything).

On-demand prices are the real us-east-1 list prices for the common types, a per-vCPU and per-GPU model
for the rest, scaled by region; a type is priced only in the regions moto offers it. Spot prices sit at
30-45 % of on-demand, different per availability zone, stamped a few minutes ago.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json

from .handlers import PASS, handles, seeder

# The date of the list prices below, stamped on every PriceList entry. They are us-east-1 Linux on-demand list
# prices as transcribed when the sandbox was written; the P4 and P5 figures predate AWS's June 2025 price
# reduction for those instances, so the date says so rather than pretending to be today's price.
PRICE_DATE = "2025-05-01"
US_EAST_1 = {  # USD per hour, Linux, shared tenancy
    "t3.micro": 0.0104, "t3.small": 0.0208, "m5.xlarge": 0.192, "c5.xlarge": 0.17, "g4dn.xlarge": 0.526,
    "g4dn.12xlarge": 3.912, "g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.12xlarge": 5.672, "g5.48xlarge": 16.288,
    "g6.xlarge": 0.8048, "g6.12xlarge": 4.6016, "g6e.xlarge": 1.861, "p3.2xlarge": 3.06, "p3.16xlarge": 24.48,
    "p4d.24xlarge": 32.7726, "p4de.24xlarge": 40.9657, "p5.48xlarge": 98.32, "p5e.48xlarge": 108.0,
    "p5en.48xlarge": 84.0, "trn1.32xlarge": 21.5, "inf2.xlarge": 0.7582,
}
PER_GPU = {"H100": 11.5, "H200": 12.5, "B200": 14.0, "A100": 4.1, "A10G": 0.75, "L4": 0.6, "L40S": 1.4,
           "T4": 0.38, "V100": 2.9, "M60": 0.5, "T4g": 0.36, "Radeon Pro V520": 0.35}
PRICING_REGIONS = ("us-east-1", "eu-central-1", "ap-south-1")


def _moto():
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS, INSTANCE_TYPES

    return INSTANCE_TYPES, INSTANCE_TYPE_OFFERINGS


def region_factor(region: str) -> float:
    if region in ("us-east-1", "us-east-2", "us-west-2"):
        return 1.0
    return {"eu": 1.12, "ap": 1.25}.get(region[:2], 1.18)


def on_demand(itype: str, region: str) -> float | None:
    types, offerings = _moto()
    spec = types.get(itype)
    if spec is None or not any(o["InstanceType"] == itype for o in offerings["region"].get(region, [])):
        return None
    base = US_EAST_1.get(itype)
    if base is None:
        vcpus = spec.get("VCpuInfo", {}).get("DefaultVCpus", 1)
        base = vcpus * 0.0425
        for g in spec.get("GpuInfo", {}).get("Gpus", []):
            base += g.get("Count", 0) * PER_GPU.get(g.get("Name"), 1.0)
        for d in spec.get("NeuronInfo", {}).get("NeuronDevices", []):
            base += d.get("Count", 0) * 0.9
    return round(base * region_factor(region), 4)


def _product(itype: str, region: str, usd: float) -> str:
    sku = hashlib.sha1(f"{itype}/{region}".encode()).hexdigest()[:16].upper()
    term = f"{sku}.JRTCKXETXF"
    doc = {
        "product": {"productFamily": "Compute Instance", "sku": sku, "attributes": {
            "instanceType": itype, "regionCode": region, "operatingSystem": "Linux", "tenancy": "Shared",
            "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required",
            "servicecode": "AmazonEC2", "usagetype": f"BoxUsage:{itype}"}},
        "serviceCode": "AmazonEC2",
        "terms": {"OnDemand": {term: {
            "priceDimensions": {f"{term}.6YS6EN2CT7": {
                "unit": "Hrs", "endRange": "Inf", "beginRange": "0", "rateCode": f"{term}.6YS6EN2CT7",
                "appliesTo": [], "pricePerUnit": {"USD": f"{usd:.10f}"},
                "description": f"${usd} per On Demand Linux {itype} Instance Hour"}},
            "sku": sku, "effectiveDate": f"{PRICE_DATE}T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {}}}},
        "version": PRICE_DATE.replace("-", "") + "000000", "publicationDate": f"{PRICE_DATE}T00:00:00Z",
    }
    return json.dumps(doc)


@seeder
def _seed(state: dict) -> None:
    state["pricing"] = {"calls": 0}


@handles("AWSPriceListService.GetProducts")
def get_products(params, region, state):
    if params.get("ServiceCode") != "AmazonEC2":
        return {"FormatVersion": "aws_v1", "PriceList": []}
    state["pricing"]["calls"] += 1
    f = {x["Field"]: x["Value"] for x in params.get("Filters", [])}
    wanted = {"operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
              "licenseModel": "No License required"}
    if any(k in f and f[k] != v for k, v in wanted.items()) or "instanceType" not in f:
        return {"FormatVersion": "aws_v1", "PriceList": []}
    _, offerings = _moto()
    regions = [f["regionCode"]] if "regionCode" in f else sorted(offerings["region"])
    items = [_product(f["instanceType"], r, p) for r in regions if (p := on_demand(f["instanceType"], r))]
    return {"FormatVersion": "aws_v1", "PriceList": items}


def _indexed(params: dict, prefix: str) -> list[str]:
    return [v for k, v in sorted(params.items()) if k.startswith(prefix + ".")]


def spot_price(itype: str, az: str, region: str) -> float | None:
    """The sandbox's current spot price of a type in an AZ (RunInstances compares a MaxPrice with it)."""
    od = on_demand(itype, region)
    if od is None:
        return None
    h = int(hashlib.sha1(az.encode() + itype.encode()).hexdigest()[:4], 16)
    return round(od * (0.30 + (h % 16) / 100), 4)


@handles("ec2:DescribeSpotPriceHistory")
def spot_history(params, region, state):
    types = _indexed(params, "InstanceType")
    if not types:
        return PASS
    _, offerings = _moto()
    zones = params.get("AvailabilityZone")
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0) - _dt.timedelta(minutes=7)
    items = []
    for o in offerings["availability-zone"].get(region, []):
        if o["InstanceType"] not in types or (zones and o["Location"] != zones):
            continue
        price = spot_price(o["InstanceType"], o["Location"], region)
        if price is None:
            continue
        items.append(f"<item><instanceType>{o['InstanceType']}</instanceType><productDescription>Linux/UNIX"
                     f"</productDescription><spotPrice>{price:.6f}</spotPrice><timestamp>"
                     f"{now.isoformat().replace('+00:00', '.000Z')}</timestamp><availabilityZone>{o['Location']}"
                     "</availabilityZone></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?><DescribeSpotPriceHistoryResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>sandbox-spot</requestId>'
            f"<spotPriceHistorySet>{''.join(items)}</spotPriceHistorySet><nextToken></nextToken>"
            "</DescribeSpotPriceHistoryResponse>")
