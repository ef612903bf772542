"""Prices for the sandbox: the AWS Price List Query API (moto has none; every operation of botocore's pricing
model), its products in the real PriceList format (JSON strings), and DescribeSpotPriceHistory (moto answers
0.00001 dated 2006 for everything).

On-demand prices are the real us-east-1 list prices for the common types, a per-vCPU and per-GPU model
for the rest, scaled by region; a type is priced only in the regions moto offers it. Spot prices sit at
30-45 % of on-demand, different per availability zone, stamped a few minutes ago.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json

from .handlers import PASS, ApiError, handles, seeder

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


@functools.cache
def _offered(region: str) -> frozenset[str]:
    return frozenset(o["InstanceType"] for o in _moto()[1]["region"].get(region, []))


def region_factor(region: str) -> float:
    if region in ("us-east-1", "us-east-2", "us-west-2"):
        return 1.0
    return {"eu": 1.12, "ap": 1.25}.get(region[:2], 1.18)


def on_demand(itype: str, region: str) -> float | None:
    types, _ = _moto()
    spec = types.get(itype)
    if spec is None or itype not in _offered(region):
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


# --- the AWS Price List Query API (moto has none): DescribeServices, GetAttributeValues, GetProducts, ListPriceLists,
# GetPriceListFileUrl, over one catalogue of the products the sandbox prices (botocore pricing 2017-10-15 model).
# Products carry the attributes AWS's do for what the tools and users filter on, "location" among them: the
# classic way to pick a region (e.g. "US East (N. Virginia)"). Its names are botocore's region descriptions, but
# "Europe (X)" is "EU (X)" in the price list ("EU (Ireland)", as the AWS price list files spell it).
FORMAT = "aws_v1"
FILTER_TYPES = ("TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF")  # botocore pricing FilterType
_catalogue: list[tuple[str, str, dict, str, float]] = []  # (service, family, attributes, unit, USD), built once


def location(region: str) -> str:
    import botocore.session

    regions = botocore.session.get_session().get_data("endpoints")["partitions"][0]["regions"]
    name = regions.get(region, {}).get("description") or region
    return name.replace("Europe (", "EU (")


def catalogue() -> list[tuple[str, str, dict, str, float]]:
    """Every product the sandbox prices: Linux shared-tenancy instances where moto offers the type, and the
    storage, address, gateway and load balancer products of list_prices_api, in every region moto knows."""
    if _catalogue:
        return _catalogue
    from . import list_prices_api as lpa

    types, offerings = _moto()
    out = []
    for region in sorted(offerings["region"]):
        where = {"regionCode": region, "location": location(region), "locationType": "AWS Region"}
        for itype in sorted({o["InstanceType"] for o in offerings["region"][region]}):
            usd = on_demand(itype, region)
            spec = types.get(itype, {})
            if usd is None:
                continue
            out.append(("AmazonEC2", "Compute Instance", {
                "servicecode": "AmazonEC2", **where, "instanceType": itype, "instanceFamily": itype.split(".")[0],
                "vcpu": str(spec.get("VCpuInfo", {}).get("DefaultVCpus", "")),
                "memory": f"{spec.get('MemoryInfo', {}).get('SizeInMiB', 0) / 1024:g} GiB",
                "operatingSystem": "Linux", "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
                "licenseModel": "No License required", "usagetype": f"{lpa.prefix(region)}BoxUsage:{itype}"},
                "Hrs", usd))
        factor = region_factor(region)
        for service, family, usage, unit, _, extra in lpa.PRODUCTS:
            out.append((service, family, {"servicecode": service, **where, "usagetype": lpa.prefix(region) + usage,
                                          **extra}, unit, lpa.price(service, family, usage, region, factor)))
    _catalogue.extend(out)
    return _catalogue


def _doc(service: str, family: str, attrs: dict, unit: str, usd: float) -> str:
    """A PriceList entry as AWS gives it: a JSON string with the product, its OnDemand terms and the date."""
    sku = hashlib.sha1(f"{service}/{attrs['usagetype']}/{attrs['regionCode']}".encode()).hexdigest()[:16].upper()
    term = f"{sku}.JRTCKXETXF"
    doc = {
        "product": {"productFamily": family, "sku": sku, "attributes": attrs},
        "serviceCode": service,
        "terms": {"OnDemand": {term: {
            "priceDimensions": {f"{term}.6YS6EN2CT7": {
                "unit": unit, "endRange": "Inf", "beginRange": "0", "rateCode": f"{term}.6YS6EN2CT7",
                "appliesTo": [], "pricePerUnit": {"USD": f"{usd:.10f}"}, "description": f"${usd} per {unit}"}},
            "sku": sku, "effectiveDate": f"{PRICE_DATE}T00:00:00Z", "offerTermCode": "JRTCKXETXF",
            "termAttributes": {}}}},
        "version": PRICE_DATE.replace("-", "") + "000000", "publicationDate": f"{PRICE_DATE}T00:00:00Z",
    }
    return json.dumps(doc)


def _services() -> dict[str, list[str]]:
    """{service code: its attribute names} (productFamily is one, as in AWS's list)."""
    names: dict[str, set] = {}
    for service, _, attrs, _, _ in catalogue():
        names.setdefault(service, {"productFamily"}).update(attrs)
    return {s: sorted(n) for s, n in sorted(names.items())}


PRICING_ERRORS = ("InvalidParameterException", "InvalidNextTokenException")  # a bad MaxResults, a bad token


def page(params: dict, items: list, top: int, key: str, errors: tuple[str, str] = PRICING_ERRORS) -> dict:
    """One page of items: MaxResults (1..top, default 100) of them from NextToken, an opaque token bound to the
    query; a MaxResults out of range, a token of another query or out of range are the service's errors."""
    n = params.get("MaxResults", 100)
    if not isinstance(n, int) or not 1 <= n <= top:
        raise ApiError(errors[0], f"MaxResults must be between 1 and {top} (got {n!r}).")
    query = hashlib.sha1(json.dumps({k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")},
                                    sort_keys=True).encode()).hexdigest()[:12]
    start = 0
    if token := params.get("NextToken"):
        q, _, at = str(token).partition(":")
        start = int(at) if at.isdigit() else -1
        if q != query or not 0 < start <= len(items):
            raise ApiError(errors[1], "The pagination token is invalid. Try again without a pagination token.")
    out = {key: items[start:start + n]}
    if start + n < len(items):
        out["NextToken"] = f"{query}:{start + n}"
    return out


def _service(params: dict, required: bool = True) -> str | None:
    code = params.get("ServiceCode")
    if code is None and not required:
        return None
    if code not in _services():
        raise ApiError("NotFoundException", f"Service code {code!r} not found (the sandbox prices "
                       f"{', '.join(_services())}).")
    return code


def _format(params: dict) -> None:
    if params.get("FormatVersion", FORMAT) != FORMAT:
        raise ApiError("InvalidParameterException", f"FormatVersion must be {FORMAT}.")


def _matcher(filters: list):
    """A test of (service, family, attributes) for GetProducts filters: each of the five FilterTypes on a product
    attribute, productFamily or ServiceCode (botocore pricing Filter: "Valid values include: ServiceCode, and all
    attribute names"); ANY_OF and NONE_OF take comma-separated values."""
    if len(filters) > 50:
        raise ApiError("InvalidParameterException", "At most 50 filters.")
    checks = []
    for f in filters:
        kind, field, value = f.get("Type"), f.get("Field"), f.get("Value")
        if kind not in FILTER_TYPES or not field or value is None:
            raise ApiError("InvalidParameterException", f"Each filter needs Field, Value and a Type of "
                           f"{', '.join(FILTER_TYPES)}.")
        checks.append((kind, field, value, {v.strip() for v in value.split(",")}))

    def match(service: str, family: str, attrs: dict) -> bool:
        for kind, field, value, values in checks:
            got = service if field == "ServiceCode" else family if field == "productFamily" else attrs.get(field)
            ok = {"TERM_MATCH": got == value, "EQUALS": got == value, "CONTAINS": got is not None and value in got,
                  "ANY_OF": got in values, "NONE_OF": got not in values}[kind]
            if not ok:
                return False
        return True

    return match


@seeder
def _seed(state: dict) -> None:
    state["pricing"] = {"calls": 0}


@handles("AWSPriceListService.DescribeServices")
def describe_services(params, region, state):
    _format(params)
    services = _services()
    code = _service(params, required=False)
    items = [{"ServiceCode": s, "AttributeNames": services[s]} for s in ([code] if code else services)]
    return {"FormatVersion": FORMAT, **page(params, items, 100, "Services")}


@handles("AWSPriceListService.GetAttributeValues")
def get_attribute_values(params, region, state):
    service, name = _service(params), params.get("AttributeName")
    if name not in _services()[service]:
        raise ApiError("NotFoundException", f"Attribute {name!r} not found for {service}.")
    values = sorted({family if name == "productFamily" else attrs.get(name) for s, family, attrs, _, _ in catalogue()
                     if s == service} - {None})
    return page(params, [{"Value": v} for v in values], 10000, "AttributeValues")


@handles("AWSPriceListService.GetProducts")
def get_products(params, region, state):
    """Every product of the service that matches all the filters, at most 100 a page (AWS's GetProducts: no
    filter is required; a service the sandbox does not price matches nothing)."""
    _format(params)
    state["pricing"]["calls"] += 1
    service, match = params.get("ServiceCode"), _matcher(params.get("Filters") or [])
    if not service:
        raise ApiError("InvalidParameterException", "ServiceCode is required.")
    found = [p for p in catalogue() if p[0] == service and match(p[0], p[1], p[2])]
    chosen = page(params, found, 100, "PriceList")
    return {"FormatVersion": FORMAT, **chosen, "PriceList": [_doc(*p) for p in chosen["PriceList"]]}


@handles("AWSPriceListService.ListPriceLists")
def list_price_lists(params, region, state):
    """One price list per region of the service, in USD, effective from the sandbox's price date."""
    service = _service(params)
    if params.get("EffectiveDate") is None or not params.get("CurrencyCode"):
        raise ApiError("InvalidParameterException", "EffectiveDate and CurrencyCode are required.")
    stamp = PRICE_DATE.replace("-", "") + "000000"
    regions = sorted({a["regionCode"] for s, _, a, _, _ in catalogue() if s == service
                      and params.get("RegionCode") in (None, a["regionCode"])})
    if params["CurrencyCode"] != "USD" or _epoch(params["EffectiveDate"]) < _epoch(PRICE_DATE):
        regions = []
    items = [{"PriceListArn": f"arn:aws:pricing:::price-list/aws/{service}/USD/{stamp}/{r}", "RegionCode": r,
              "CurrencyCode": "USD", "FileFormats": ["json", "csv"]} for r in regions]
    return page(params, items, 100, "PriceLists")


def _epoch(when) -> float:
    """EffectiveDate arrives as epoch seconds (botocore's JSON timestamp) or an ISO date."""
    try:
        return float(when)
    except ValueError:
        return _dt.datetime.fromisoformat(str(when)[:10]).replace(tzinfo=_dt.UTC).timestamp()


@handles("AWSPriceListService.GetPriceListFileUrl")
def get_price_list_file_url(params, region, state):
    # The sandbox serves no price list files (AWS's hold AWS's prices, not the sandbox's): an AWS-shaped refusal
    # rather than a URL to prices that differ from what GetProducts answers.
    raise ApiError("ResourceNotFoundException", f"No price list file for {params.get('PriceListArn')!r} in the "
                   "sandbox; read its prices with GetProducts.")


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
