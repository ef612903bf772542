"""list_instances.py: specs, GPUs, offerings, spot and on-demand prices, filters, sorting, the pricing cache.

The tests of the answer share one state dir per module (read_tool: the instance types and prices are cached once,
not once per test); the test of the cache has a fresh one of its own."""

from __future__ import annotations

LAB = "us-east-1,us-west-2,eu-west-1"


def types(doc: dict) -> dict:
    return {t["type"]: t for t in doc["data"]["types"]}


def test_g5_fields(read_tool):
    r = read_tool("list_instances", "--filter", "g5", "--region", LAB)
    assert r.code == 0, r.stderr
    t = types(r.json)
    assert all("g5" in name for name in t)
    g = t["g5.xlarge"]
    assert (g["vcpus"], g["memory_gib"], g["arch"]) == (4, 16.0, "x86_64")
    assert g["gpu"] == {"model": "A10G", "maker": "NVIDIA", "count": 1, "memory_gib": 22.4}
    assert g["network"] == "Up to 10 Gigabit"
    assert set(g["regions"]) == {"us-east-1", "us-west-2", "eu-west-1"}
    us = g["regions"]["us-east-1"]
    assert us["azs"] >= 2 and us["on_demand"] == 1.006
    assert 0 < us["spot"] < us["on_demand"] and us["spot_az"].startswith("us-east-1")
    assert g["regions"]["eu-west-1"]["on_demand"] > us["on_demand"]
    assert g["on_demand_min"] == {"price": 1.006, "region": "us-east-1"}
    assert g["per_gpu_hour"] == 1.006 and g["price_date"]


def test_p4d_and_p5(read_tool):
    r = read_tool("list_instances", "--filter", "p4d,p5", "--region", LAB)
    assert r.code == 0, r.stderr
    t = types(r.json)
    p4d, p5 = t["p4d.24xlarge"], t["p5.48xlarge"]
    assert (p4d["gpu"]["model"], p4d["gpu"]["count"], p4d["vcpus"]) == ("A100", 8, 96)
    assert p4d["per_gpu_hour"] == round(32.7726 / 8, 4)
    assert (p5["gpu"]["model"], p5["gpu"]["count"], p5["gpu"]["memory_gib"]) == ("H100", 8, 640.0)
    assert "eu-west-1" not in p5["regions"] and "us-east-1" in p5["regions"]  # not offered there
    assert p5["spot_per_gpu_hour"] < p5["per_gpu_hour"]


def test_by_gpu_name_sorted_by_price_per_gpu_hour(read_tool):
    r = read_tool("list_instances", "--filter", "H100", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    found = r.json["data"]["types"]
    assert found and all(t["gpu"]["model"] == "H100" for t in found)
    assert {"p5.48xlarge", "p5.4xlarge"} <= {t["type"] for t in found}
    prices = [t["per_gpu_hour"] for t in found]
    assert prices == sorted(prices)
    r = read_tool("list_instances", "--filter", "l4", "--region", "us-east-1")
    assert {t["gpu"]["model"] for t in r.json["data"]["types"]} >= {"L4"}


def test_gpu_only(read_tool):
    r = read_tool("list_instances", "--filter", "xlarge", "--gpu", "--region", "us-west-2")
    assert r.code == 0, r.stderr
    found = r.json["data"]["types"]
    assert found and all(t["gpu"] for t in found)
    assert "t3.xlarge" not in {t["type"] for t in found}
    assert {"inf2.xlarge", "g6.xlarge"} <= {t["type"] for t in found}  # Inferentia counts as accelerated


def test_pricing_cache_is_used_on_the_second_run(run_tool, sandbox, state_dir):
    mark = sandbox.mark()
    first = run_tool("list_instances", "--filter", "g6e", "--region", "us-east-1")
    assert first.code == 0, first.stderr
    n = len(first.json["data"]["types"])
    assert first.json["data"]["pricing"] == {"cached": 0, "fetched": n}
    calls = [c for c in sandbox.calls(mark) if c["action"] == "GetProducts"]
    assert len(calls) == n and {c["region"] for c in calls} == {"us-east-1"}  # once per type
    assert list((state_dir / "cache").glob("pricing*.json"))

    mark = sandbox.mark()
    second = run_tool("list_instances", "--filter", "g6e", "--region", "us-east-1")
    assert second.json["data"]["pricing"] == {"cached": n, "fetched": 0}
    assert not [c for c in sandbox.calls(mark) if c["action"] in ("GetProducts", "DescribeInstanceTypes")]
    assert types(second.json)["g6e.xlarge"]["regions"]["us-east-1"]["on_demand"] == 1.861
    # one call per region per API, not one per type
    assert len([c for c in sandbox.calls(mark) if c["action"] == "DescribeSpotPriceHistory"]) == 1


def test_pretty(read_tool):
    r = read_tool("list_instances", "--filter", "p5", "--region", "us-east-1", "--pretty")
    assert r.code == 0 and "p5.48xlarge" in r.stdout and "$/GPU-h" in r.stdout


def test_no_match_is_empty_not_an_error(read_tool):
    r = read_tool("list_instances", "--filter", "nosuchgpu", "--region", "us-east-1")
    assert r.code == 0 and r.json["data"]["types"] == []


def test_types_offered_only_outside_the_home_region(read_tool):
    # EC2 API Reference, DescribeInstanceTypes: a region describes only the types it offers unless
    # IncludeUnsupportedInRegion=true. p5e.48xlarge is not offered in us-east-1 (the home region), only elsewhere
    # (us-west-2, us-east-2, ...): --region all must still find it.
    r = read_tool("list_instances", "--filter", "p5e", "--region", "all")
    assert r.code == 0, r.stderr
    p5e = types(r.json)["p5e.48xlarge"]
    assert p5e["gpu"]["model"] == "H200" and p5e["vcpus"] == 192
    assert "us-east-1" not in p5e["regions"] and {"us-west-2", "us-east-2"} <= set(p5e["regions"])
    assert p5e["on_demand_min"]["region"] != "us-east-1"


def test_next_works_as_printed(read_tool):
    # DESIGN.md, Output: a hint repeats the run's --sandbox, --profile and region scope
    r = read_tool("list_instances", "--filter", "H100", "--region", "us-east-1,us-west-2")
    assert r.code == 0, r.stderr
    # an agent asked for H100s follows this literally: it names the model and the most one box carries (8), so that
    # quota_check weighs the 8-GPU p5.48xlarge too, not only the cheapest 1-GPU p5.4xlarge (issue 25 item 3)
    assert r.json["next"] == ["uv run tools/quota_check.py --need H100:8 --family p --region us-east-1,us-west-2"]
    r = read_tool("list_instances", "--filter", "p5.4xlarge", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    assert r.json["next"] == ["uv run tools/quota_check.py --need p5.4xlarge --family p --region us-east-1"]
