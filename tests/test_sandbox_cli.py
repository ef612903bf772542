"""The sandbox answers the AWS CLI, the real client users point at endpoints, as AWS does.

Each case runs `uv run --group dev aws ... --endpoint-url <sandbox>` with the dummy credentials (the CLI is in the
dev group for this) and checks the exit code and the JSON shape AWS documents (the botocore service models the CLI
itself parses with: pricing 2017-10-15, service-quotas 2019-06-24, ce 2017-10-25). An error the sandbox gives
must be AWS's JSON error, never an HTML page: the CLI would say "(500)" and quote the page.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, clean_env

REGION = "us-east-1"
VIRGINIA = "US East (N. Virginia)"  # the Price List's location of us-east-1


def aws(sandbox, *args: str) -> tuple[int, dict | None, str]:
    """(exit code, parsed JSON stdout or None, stderr) of the AWS CLI against the sandbox."""
    uv = shutil.which("uv")
    cli = [uv, "run", "--group", "dev", "aws"] if uv else [sys.executable, "-m", "awscli"]
    env = clean_env(AWS_RETRY_MODE="standard", AWS_MAX_ATTEMPTS="1")
    p = subprocess.run([*cli, *args, "--endpoint-url", sandbox.url, "--region", REGION, "--output", "json"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=180)
    assert "<html" not in p.stderr.lower(), p.stderr[-2000:]
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None, p.stderr


def ok(sandbox, *args: str) -> dict:
    code, doc, err = aws(sandbox, *args)
    assert code == 0 and doc is not None, err[-2000:]
    return doc


def test_pricing_describe_services(sandbox):
    # Price List API DescribeServices: Services[] of {ServiceCode, AttributeNames[]}, and FormatVersion
    doc = ok(sandbox, "pricing", "describe-services")
    assert doc["FormatVersion"] == "aws_v1"
    services = {s["ServiceCode"]: s["AttributeNames"] for s in doc["Services"]}
    assert {"AmazonEC2", "AmazonVPC", "AWSELB"} <= set(services)
    assert {"location", "regionCode", "instanceType", "operatingSystem", "productFamily"} <= set(services["AmazonEC2"])
    one = ok(sandbox, "pricing", "describe-services", "--service-code", "AmazonVPC")
    assert [s["ServiceCode"] for s in one["Services"]] == ["AmazonVPC"]


def test_pricing_get_attribute_values(sandbox):
    # GetAttributeValues: AttributeValues[] of {Value}, the values the attribute takes across the service's products
    doc = ok(sandbox, "pricing", "get-attribute-values", "--service-code", "AmazonEC2", "--attribute-name", "location")
    values = [v["Value"] for v in doc["AttributeValues"]]
    assert VIRGINIA in values and "EU (Ireland)" in values and values == sorted(set(values))
    # an attribute the service does not have: the model's NotFoundException, as JSON
    code, _, err = aws(sandbox, "pricing", "get-attribute-values", "--service-code", "AmazonEC2",
                       "--attribute-name", "noSuchAttribute")
    assert code != 0 and "NotFoundException" in err


def test_pricing_get_products_by_location_only_pages_every_product(sandbox):
    # GetProducts returns every product matching all the filters, none of which is required (the "location" filter
    # is the classic way to pick a region), at most 100 a page (GetProductsMaxResults max 100) with NextToken; the
    # CLI follows the tokens. Each PriceList entry is a JSON string: product (productFamily, attributes) and terms.
    mark = sandbox.mark()
    doc = ok(sandbox, "pricing", "get-products", "--service-code", "AmazonEC2",
             "--filters", f"Type=TERM_MATCH,Field=location,Value={VIRGINIA}")
    items = [json.loads(p) for p in doc["PriceList"]]
    assert len(items) > 100  # more than one page
    assert len([c for c in sandbox.calls(mark) if c["action"] == "GetProducts"]) >= 2
    assert {i["product"]["attributes"]["location"] for i in items} == {VIRGINIA}
    assert {i["product"]["attributes"]["regionCode"] for i in items} == {REGION}
    families = {i["product"]["productFamily"] for i in items}
    assert {"Compute Instance", "Storage", "NAT Gateway"} <= families  # not only instances
    g5 = next(i for i in items if i["product"]["attributes"].get("instanceType") == "g5.xlarge")
    (term,) = g5["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    assert dim["unit"] == "Hrs" and float(dim["pricePerUnit"]["USD"]) > 0
    # one page asked for: at most MaxResults, and the token for the rest
    code, page, err = aws(sandbox, "pricing", "get-products", "--service-code", "AmazonEC2", "--filters",
                          f"Type=TERM_MATCH,Field=location,Value={VIRGINIA}", "--max-items", "5")
    assert code == 0 and len(page["PriceList"]) == 5 and page["NextToken"], err


def test_service_quotas_list_services(sandbox):
    # ListServices: Services[] of {ServiceCode, ServiceName}
    doc = ok(sandbox, "service-quotas", "list-services")
    names = {s["ServiceCode"]: s["ServiceName"] for s in doc["Services"]}
    assert names["ec2"] == "Amazon Elastic Compute Cloud (Amazon EC2)"


def test_service_quotas_list_service_quotas_ec2(sandbox):
    # ListServiceQuotas: Quotas[] of ServiceQuota (botocore: ServiceCode, ServiceName, QuotaArn, QuotaCode,
    # QuotaName, Value, Unit, Adjustable, GlobalQuota, UsageMetric, QuotaAppliedAtLevel, ...)
    doc = ok(sandbox, "service-quotas", "list-service-quotas", "--service-code", "ec2")
    assert doc["Quotas"]
    account = sandbox.client("sts").get_caller_identity()["Account"]
    for q in doc["Quotas"]:
        assert q["ServiceCode"] == "ec2" and q["ServiceName"] and q["QuotaName"]
        assert q["QuotaArn"] == f"arn:aws:servicequotas:{REGION}:{account}:ec2/{q['QuotaCode']}"
        assert isinstance(q["Value"], float) and q["Unit"] == "None"
        assert isinstance(q["Adjustable"], bool) and q["GlobalQuota"] is False
        assert q["UsageMetric"]["MetricNamespace"] == "AWS/Usage" and q["QuotaAppliedAtLevel"] == "ACCOUNT"
    # a service Service Quotas does not know: its NoSuchResourceException, as JSON
    code, _, err = aws(sandbox, "service-quotas", "list-service-quotas", "--service-code", "no-such-service")
    assert code != 0 and "NoSuchResourceException" in err


LAST_MONTH = "Start=2026-10-01,End=2026-11-01"  # conftest freezes the sandbox's today at 2026-11-16


def test_ce_get_dimension_values(sandbox):
    # GetDimensionValues: DimensionValues[] of {Value, Attributes}, ReturnSize, TotalSize
    doc = ok(sandbox, "ce", "get-dimension-values", "--time-period", LAST_MONTH, "--dimension", "SERVICE")
    assert doc["DimensionValues"] and all("Value" in v for v in doc["DimensionValues"])
    assert doc["ReturnSize"] == len(doc["DimensionValues"]) and doc["TotalSize"] >= doc["ReturnSize"]


def test_ce_get_cost_and_usage(sandbox):
    # GetCostAndUsage: ResultsByTime[] of {TimePeriod, Total {metric: {Amount, Unit}}, Groups, Estimated}
    doc = ok(sandbox, "ce", "get-cost-and-usage", "--time-period", LAST_MONTH, "--granularity", "MONTHLY",
             "--metrics", "UnblendedCost")
    (month,) = doc["ResultsByTime"]
    assert month["TimePeriod"] == {"Start": "2026-10-01", "End": "2026-11-01"}
    cost = month["Total"]["UnblendedCost"]
    assert float(cost["Amount"]) > 0 and cost["Unit"] == "USD" and isinstance(month["Estimated"], bool)


def _minimal(shape, depth: int = 0):
    """A value of a botocore input shape with only its required members (dummy values)."""
    if shape.type_name == "structure":
        return {n: _minimal(shape.members[n], depth + 1) for n in shape.required_members} if depth < 4 else {}
    if shape.type_name == "list":
        return [_minimal(shape.member, depth + 1)] if shape.metadata.get("min") else []
    if shape.type_name == "map":
        return {}
    if shape.type_name in ("integer", "long"):
        return max(1, shape.metadata.get("min", 1))
    if shape.type_name in ("double", "float"):
        return 1.0
    if shape.type_name == "boolean":
        return False
    if shape.type_name == "timestamp":
        return "2026-11-01T00:00:00Z"
    return shape.enum[0] if shape.enum else "x" * max(1, shape.metadata.get("min", 1))


@pytest.mark.parametrize("service", ["pricing", "service-quotas"])
def test_every_operation_answers_json_as_aws_does(sandbox, service):
    # "For the services the sandbox emulates, every operation answers as AWS does or with an AWS-shaped error":
    # each operation of the botocore model, called with only its required members, either answers or fails with
    # one of the errors the model lists for it (botocore parses a JSON error; an HTML page would be a bare 500)
    import boto3
    from botocore.config import Config
    from botocore.exceptions import ClientError

    client = boto3.client(service, region_name=REGION, endpoint_url=sandbox.url, aws_access_key_id="testing",
                          aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))
    model = client.meta.service_model
    for op in model.operation_names:
        om = model.operation_model(op)
        params = _minimal(om.input_shape) if om.input_shape else {}
        try:
            client._make_api_call(op, params)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            allowed = {e.name for e in om.error_shapes}
            assert code in allowed, f"{op}: {code} ({exc.response['ResponseMetadata'].get('HTTPStatusCode')}) " \
                                    f"not among {sorted(allowed)}"


def test_pricing_filters_and_paging_refuse_what_aws_refuses(sandbox):
    # botocore pricing model: GetProductsMaxResults 1..100; FilterType TERM_MATCH|EQUALS|CONTAINS|ANY_OF|NONE_OF;
    # a NextToken belongs to its query (InvalidNextTokenException otherwise)
    from botocore.exceptions import ClientError

    pricing = sandbox.client("pricing")
    where = [{"Type": "TERM_MATCH", "Field": "location", "Value": VIRGINIA}]
    with pytest.raises(ClientError) as exc:
        pricing.get_products(ServiceCode="AmazonEC2", Filters=where, MaxResults=101)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    first = pricing.get_products(ServiceCode="AmazonEC2", Filters=where, MaxResults=2)
    assert len(first["PriceList"]) == 2 and first["NextToken"]
    with pytest.raises(ClientError) as exc:
        pricing.get_products(ServiceCode="AmazonVPC", Filters=where, NextToken=first["NextToken"])
    assert exc.value.response["Error"]["Code"] == "InvalidNextTokenException"
    # ANY_OF takes comma-separated values; EQUALS matches an attribute exactly
    both = pricing.get_products(ServiceCode="AmazonEC2", Filters=[
        {"Type": "ANY_OF", "Field": "instanceType", "Value": "g5.xlarge,p5.48xlarge"},
        {"Type": "EQUALS", "Field": "regionCode", "Value": REGION}])["PriceList"]
    assert sorted(json.loads(p)["product"]["attributes"]["instanceType"] for p in both) == ["g5.xlarge", "p5.48xlarge"]
