"""The sandbox's Price List Query API answers GetProducts filters as the AWS Price List API Reference says, from an
index of its catalogue (by service code and by each field's value) rather than a scan of every product per call.

AWS Price List API Reference (Billing and Cost Management), Filter: "Field: ... Valid values include: ServiceCode,
and all attribute names"; Type: "TERM_MATCH: Returns only products that match both the given filter field and the
given value. EQUALS: Returns products that have a field value exactly matching the provided value. CONTAINS:
Returns products where the field value contains the provided value as a substring. ANY_OF: Returns products where
the field value is any of the provided values. NONE_OF: Returns products where the field value is not any of the
provided values." GetProducts Filters: "only products that match all filters are returned"."""

from __future__ import annotations

import json

import pytest


def term(field: str, value: str, kind: str = "TERM_MATCH") -> dict:
    return {"Type": kind, "Field": field, "Value": value}


def products(sandbox, service: str, filters: list[dict], size: int = 100) -> list[dict]:
    """Every page of a GetProducts answer, each entry parsed."""
    out, token = [], None
    pricing = sandbox.client("pricing")
    while True:
        page = pricing.get_products(ServiceCode=service, Filters=filters, MaxResults=size,
                                    **({"NextToken": token} if token else {}))
        out += [json.loads(p) for p in page["PriceList"]]
        token = page.get("NextToken")
        if not token:
            return out


def attrs(entries: list[dict]) -> list[dict]:
    return [e["product"]["attributes"] for e in entries]


def test_term_match_on_type_and_location_gives_the_one_product(sandbox):
    found = products(sandbox, "AmazonEC2", [term("instanceType", "g5.xlarge"),
                                            term("location", "US East (N. Virginia)"),
                                            term("operatingSystem", "Linux")])
    assert len(found) == 1
    a = found[0]["product"]["attributes"]
    assert (a["instanceType"], a["regionCode"], found[0]["serviceCode"]) == ("g5.xlarge", "us-east-1", "AmazonEC2")
    # EQUALS is the same exact match; a ServiceCode filter on the queried service narrows nothing
    same = products(sandbox, "AmazonEC2", [term("instanceType", "g5.xlarge", "EQUALS"),
                                           term("location", "US East (N. Virginia)"),
                                           term("ServiceCode", "AmazonEC2")])
    assert same == found


def test_filters_are_a_conjunction_in_catalogue_order(sandbox):
    """Adding a filter gives exactly the broader answer's products that pass it, in the same order, whichever
    filter type it is."""
    region = [term("regionCode", "eu-west-1"), term("productFamily", "Compute Instance")]
    broad = attrs(products(sandbox, "AmazonEC2", region))
    assert len(broad) > 100 and {a["regionCode"] for a in broad} == {"eu-west-1"}
    cases = {
        ("TERM_MATCH", "g5"): lambda a: a["instanceFamily"] == "g5",
        ("CONTAINS", "xlarge"): lambda a: "xlarge" in a["instanceType"],
        ("ANY_OF", "g5,p4d,m5"): lambda a: a["instanceFamily"] in {"g5", "p4d", "m5"},
        ("NONE_OF", "g5,t3"): lambda a: a["instanceFamily"] not in {"g5", "t3"},
    }
    for (kind, value), keep in cases.items():
        field = "instanceType" if kind == "CONTAINS" else "instanceFamily"
        narrow = attrs(products(sandbox, "AmazonEC2", [*region, term(field, value, kind)]))
        assert narrow == [a for a in broad if keep(a)], (kind, value)
        assert narrow, (kind, value)


@pytest.mark.parametrize("service, filters", [
    ("AmazonEC2", [term("instanceType", "g5.xlarge"), term("ServiceCode", "AWSELB")]),  # another service's code
    ("AmazonEC2", [term("noSuchAttribute", "x")]),  # a field no product has: its value is never the filter's
    ("AmazonEC2", [term("instanceType", "g5.xlarge"), term("regionCode", "eu-west-1"), term("tenancy", "Dedicated")]),
    ("AmazonS3", []),  # a service the sandbox does not price
])
def test_what_no_product_matches_is_an_empty_answer(sandbox, service, filters):
    page = sandbox.client("pricing").get_products(ServiceCode=service, Filters=filters)
    assert page["PriceList"] == [] and "NextToken" not in page


def test_pages_of_any_size_add_up_to_the_same_answer(sandbox):
    filters = [term("productFamily", "Storage"), term("locationType", "AWS Region")]
    whole = products(sandbox, "AmazonEC2", filters)
    assert products(sandbox, "AmazonEC2", filters, size=7) == whole
    assert {a["volumeApiName"] for a in attrs(whole)} >= {"gp3", "gp2", "io2", "st1", "sc1"}
