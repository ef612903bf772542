"""costs.py --now against the seeded lab: each running thing with its id and the price it is billed at."""

from __future__ import annotations

import json

import pytest

HOURS = 730  # AWS Pricing Calculator: 730 hours per month


def on_demand(sandbox, itype: str, region: str) -> float:
    # AWS Price List Query API, GetProducts: PriceList entries are JSON strings whose OnDemand terms carry
    # pricePerUnit USD per hour.
    items = sandbox.client("pricing").get_products(ServiceCode="AmazonEC2", Filters=[
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": itype},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}])["PriceList"]
    doc = json.loads(items[0])
    term = next(iter(doc["terms"]["OnDemand"].values()))
    return float(next(iter(term["priceDimensions"].values()))["pricePerUnit"]["USD"])


def test_burn_rate_per_resource(sandbox, run_tool):
    r = run_tool("costs", "--now", "--region", "us-east-1,us-west-2,eu-west-1")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    lines = {b["name"]: b for b in data["burn"] if b["name"]}
    ec2 = sandbox.client("ec2")
    train_a = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["train-a"]}])
    train_a = train_a["Reservations"][0]["Instances"][0]
    # an on-demand instance is billed at its on-demand price per hour while running
    assert lines["train-a"]["id"] == train_a["InstanceId"]
    assert lines["train-a"]["per_hour"] == pytest.approx(on_demand(sandbox, "g5.xlarge", "us-east-1"), abs=1e-4)
    assert lines["train-a"]["per_month"] == pytest.approx(lines["train-a"]["per_hour"] * HOURS, abs=0.01)
    # a stopped instance costs nothing per hour (its volumes still do)
    assert "train-big" not in lines and "h100-box" not in lines
    # Amazon EBS pricing: provisioned GB-month, attached or not (gp3 us-east-1 $0.08)
    vol = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["old-dataset"]}])["Volumes"][0]
    assert lines["old-dataset"]["id"] == vol["VolumeId"]
    assert lines["old-dataset"]["per_month"] == pytest.approx(0.08 * vol["Size"], abs=0.01)
    # Amazon VPC pricing: a public IPv4 address costs $0.005/h whether associated or idle
    assert lines["spare-ip"]["per_hour"] == 0.005 and lines["sweep-ip"]["per_hour"] == 0.005
    # a spot instance at the current spot price of its region, below on-demand
    sweep = lines["sweep-1"]
    assert "spot" in sweep["what"] and sweep["per_hour"] < on_demand(sandbox, "g6.xlarge", "us-west-2")
    hist = sandbox.client("ec2", "us-west-2").describe_spot_price_history(
        InstanceTypes=["g6.xlarge"], ProductDescriptions=["Linux/UNIX"])["SpotPriceHistory"]
    assert sweep["per_hour"] == pytest.approx(min(float(h["SpotPrice"]) for h in hist), abs=1e-4)
    assert data["totals"]["per_hour"] == pytest.approx(sum(b["per_hour"] for b in data["burn"]), abs=1e-3)


def test_now_sends_no_cost_explorer_call(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("costs", "--now", "--region", "us-east-1")
    assert r.code == 0
    assert not [c for c in sandbox.calls(mark) if c["action"] in ("GetCostAndUsage", "GetCostForecast")]
    assert {b["region"] for b in r.json["data"]["burn"]} == {"us-east-1"}
    assert r.json["next"] == ["uv run tools/scan.py --region us-east-1"]
