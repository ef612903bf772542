"""The AWS Price List Query API for the sandbox (moto has none): every operation of botocore's pricing model, its
products in the real PriceList format (JSON strings), over one catalogue built from the sandbox's price model
(../prices.py): Linux shared-tenancy instances where moto offers the type, and the storage, address, gateway and
load balancer products, in every region moto knows.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import json

from ..answers import page
from ..handlers import ApiError, handles, seeder
from ..prices import PRICE_DATE, PRODUCTS, moto_types, on_demand, prefix, price, region_factor

# --- the AWS Price List Query API (moto has none): DescribeServices, GetAttributeValues, GetProducts, ListPriceLists,
# GetPriceListFileUrl, over one catalogue of the products the sandbox prices (botocore pricing 2017-10-15 model).
# Products carry the attributes AWS's do for what the tools and users filter on, "location" among them: the
# classic way to pick a region (e.g. "US East (N. Virginia)"). Its names are botocore's region descriptions, but
# "Europe (X)" is "EU (X)" in the price list ("EU (Ireland)", as the AWS price list files spell it).
FORMAT = "aws_v1"
FILTER_TYPES = ("TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF")  # botocore pricing FilterType
EXACT = ("TERM_MATCH", "EQUALS")  # the filter types the index answers (the field's value equals the filter's)
Product = tuple[str, str, dict, str, float]  # (service, family, attributes, unit, USD)


@functools.cache
def _region_names() -> dict[str, dict]:
    import botocore.session

    return botocore.session.get_session().get_data("endpoints")["partitions"][0]["regions"]


def location(region: str) -> str:
    name = _region_names().get(region, {}).get("description") or region
    return name.replace("Europe (", "EU (")


@functools.cache
def catalogue() -> list[Product]:
    """Every product the sandbox prices: Linux shared-tenancy instances where moto offers the type, and the
    storage, address, gateway and load balancer products of prices.PRODUCTS, in every region moto knows."""
    types, offerings = moto_types()
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
                "licenseModel": "No License required", "usagetype": f"{prefix(region)}BoxUsage:{itype}"},
                "Hrs", usd))
        factor = region_factor(region)
        for service, family, usage, unit, _, extra in PRODUCTS:
            out.append((service, family, {"servicecode": service, **where, "usagetype": prefix(region) + usage,
                                          **extra}, unit, price(service, family, usage, region, factor)))
    return out


class Index:
    """The catalogue by service code, and by (service code, field, value) for each field a filter can name
    (productFamily and every attribute): the positions of the products that have that value, in catalogue order."""

    def __init__(self, products: list[Product]):
        self.by_service: dict[str, list[int]] = {}
        self.by_value: dict[tuple[str, str], dict[str, list[int]]] = {}
        for i, (service, family, attrs, _, _) in enumerate(products):
            self.by_service.setdefault(service, []).append(i)
            for field, value in (("productFamily", family), *attrs.items()):
                self.by_value.setdefault((service, field), {}).setdefault(value, []).append(i)
        self.names = {s: sorted({f for svc, f in self.by_value if svc == s}) for s in sorted(self.by_service)}

    def candidates(self, service: str, filters: list[tuple]) -> list[int]:
        """The positions of the service's products that every exact filter (TERM_MATCH, EQUALS) admits, in
        catalogue order: a field no product of the service has admits none, as its value is missing."""
        found: set[int] | None = None
        for kind, field, value, _ in filters:
            if kind not in EXACT:
                continue
            if field == "ServiceCode":
                if value != service:
                    return []
                continue
            hits = self.by_value.get((service, field), {}).get(value, [])
            found = set(hits) if found is None else found & set(hits)
            if not found:
                return []
        every = self.by_service.get(service, [])
        return every if found is None else sorted(found)


@functools.cache
def index() -> Index:
    return Index(catalogue())


@functools.lru_cache(maxsize=4096)
def _entry(i: int) -> str:
    return _doc(*catalogue()[i])


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
    return index().names


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


def _checks(filters: list) -> list[tuple[str, str, str, set[str]]]:
    """GetProducts filters, checked: (type, field, value, the comma-separated values of ANY_OF and NONE_OF)."""
    if len(filters) > 50:
        raise ApiError("InvalidParameterException", "At most 50 filters.")
    checks = []
    for f in filters:
        kind, field, value = f.get("Type"), f.get("Field"), f.get("Value")
        if kind not in FILTER_TYPES or not field or value is None:
            raise ApiError("InvalidParameterException", f"Each filter needs Field, Value and a Type of "
                           f"{', '.join(FILTER_TYPES)}.")
        checks.append((kind, field, value, {v.strip() for v in value.split(",")}))
    return checks


def _matcher(checks: list[tuple[str, str, str, set[str]]]):
    """A test of (service, family, attributes) for GetProducts filters: each of the five FilterTypes on a product
    attribute, productFamily or ServiceCode (botocore pricing Filter: "Valid values include: ServiceCode, and all
    attribute names"); ANY_OF and NONE_OF take comma-separated values. AWS Price List API Reference, Filter.Type:
    "TERM_MATCH: Returns only products that match both the given filter field and the given value"; "EQUALS: Returns
    products that have a field value exactly matching the provided value"; "CONTAINS: ... the field value contains
    the provided value as a substring"; "ANY_OF: ... the field value is any of the provided values"; "NONE_OF: ...
    the field value is not any of the provided values"."""

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
    values = sorted(index().by_value.get((service, name), {}))
    return page(params, [{"Value": v} for v in values], 10000, "AttributeValues")


@handles("AWSPriceListService.GetProducts")
def get_products(params, region, state):
    """Every product of the service that matches all the filters, at most 100 a page (AWS's GetProducts: no
    filter is required; a service the sandbox does not price matches nothing)."""
    _format(params)
    state["pricing"]["calls"] += 1
    service, checks = params.get("ServiceCode"), _checks(params.get("Filters") or [])
    if not service:
        raise ApiError("InvalidParameterException", "ServiceCode is required.")
    products, match = catalogue(), _matcher([c for c in checks if c[0] not in EXACT])
    found = [i for i in index().candidates(service, checks) if match(*products[i][:3])]
    chosen = page(params, found, 100, "PriceList")
    return {"FormatVersion": FORMAT, **chosen, "PriceList": [_entry(i) for i in chosen["PriceList"]]}


@handles("AWSPriceListService.ListPriceLists")
def list_price_lists(params, region, state):
    """One price list per region of the service, in USD, effective from the sandbox's price date."""
    service = _service(params)
    if params.get("EffectiveDate") is None or not params.get("CurrencyCode"):
        raise ApiError("InvalidParameterException", "EffectiveDate and CurrencyCode are required.")
    stamp = PRICE_DATE.replace("-", "") + "000000"
    regions = sorted(r for r in index().by_value.get((service, "regionCode"), {})
                     if params.get("RegionCode") in (None, r))
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
