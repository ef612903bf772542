"""Pure logic behind the GPU tools, in-process: the quota table, need parsing, price lists, the cache date."""

from __future__ import annotations

import json

import pytest
from _awswiz.compute import pricing, quota_codes
from _awswiz.inventory import instance_types
from _awswiz.shell import cache
from _awswiz.shell.errors import BadInput


# "Amazon EC2 instance type quotas": a quota covers the families its name lists (Standard (A, C, D, H, I, M, R, T,
# Z), G and VT, P, Inf, Trn, DL, F, X, High Memory (u-), HPC); the longest family prefix wins
@pytest.mark.parametrize("itype, group", [
    ("p5.48xlarge", "p"), ("p6-b200.48xlarge", "p"), ("g5.xlarge", "g"), ("g6e.2xlarge", "g"),
    ("vt1.3xlarge", "g"), ("inf2.xlarge", "inf"), ("i4i.large", "standard"), ("trn1.32xlarge", "trn"),
    ("t3.micro", "standard"), ("dl1.24xlarge", "dl"), ("d3.xlarge", "standard"), ("x2idn.16xlarge", "x"),
    ("u-6tb1.112xlarge", "high-memory"), ("f1.2xlarge", "f"), ("hpc7g.4xlarge", "hpc"), ("mac2.metal", None),
    ("m7i.large", "standard"), ("z1d.large", "standard"), ("u7i-12tb.224xlarge", "high-memory"),
    ("p5en.48xlarge", "p"), ("trn2.48xlarge", "trn"), ("dl2q.24xlarge", "dl"), ("h1.2xlarge", "standard"),
])
def test_family_groups(itype, group):
    assert quota_codes.group_of(itype) == group


def test_one_code_per_group_and_market():
    pairs = [(q.group, q.market) for q in quota_codes.QUOTAS]
    assert len(pairs) == len(set(pairs)) == len(quota_codes.BY_CODE)
    # "Spot Instance quotas": P5 on-demand is "Running On-Demand P instances"; P5 spot is "All P5 Spot Instance
    # Requests", P4/P3/P2 spot is "All P4, P3 and P2 Spot Instance Requests"
    assert quota_codes.quota_for_type("p5.48xlarge", "on-demand").code == "L-417A185B"
    for t in ("p5.48xlarge", "p5e.48xlarge", "p5en.48xlarge", "p5.4xlarge"):
        assert quota_codes.quota_for_type(t, "spot").code == "L-C4BD4855"
    for t in ("p4d.24xlarge", "p4de.24xlarge", "p3.2xlarge", "p3dn.24xlarge", "p2.xlarge"):
        assert quota_codes.quota_for_type(t, "spot").code == "L-7212CCBC"
    assert quota_codes.quota_for_type("hpc7g.4xlarge", "spot") is None  # no HPC spot quota
    assert quota_codes.quota_for_type("mac2.metal", "on-demand") is None
    assert quota_codes.quota_for_type("g5.xlarge", "spot").code == "L-3819A6DF"
    assert quota_codes.quota_for_type("u-6tb1.112xlarge", "spot") is None


def test_parse_need():
    from _awswiz.compute import need

    assert need.parse("p5.48xlarge:8") == ("p5.48xlarge", 8, True)
    assert need.parse("g5.xlarge") == ("g5.xlarge", 1, True)
    assert need.parse("H100:8") == ("H100", 8, False)  # no dot: an accelerator model
    for bad in (":3", "g5.xlarge:0", "g5.xlarge:x", "H100:0"):
        with pytest.raises(BadInput):
            need.parse(bad)


def test_spec_and_match():
    it = {"InstanceType": "p5.48xlarge", "VCpuInfo": {"DefaultVCpus": 192}, "MemoryInfo": {"SizeInMiB": 2097152},
          "ProcessorInfo": {"SupportedArchitectures": ["x86_64"]},
          "GpuInfo": {"Gpus": [{"Name": "H100", "Manufacturer": "NVIDIA", "Count": 8}], "TotalGpuMemoryInMiB": 655360},
          "NetworkInfo": {"NetworkPerformance": "3200 Gigabit"}}
    s = instance_types.spec(it)
    assert s["gpu"] == {"model": "H100", "maker": "NVIDIA", "count": 8, "memory_gib": 640.0}
    assert instance_types.matches(s, ["h100"]) and instance_types.matches(s, ["p5"])
    assert not instance_types.matches(s, ["g5"])


def test_price_list_parsing_keeps_regions_apart():
    def product(region, usd):
        return json.dumps({"product": {"attributes": {"regionCode": region}}, "terms": {"OnDemand": {"A.B": {
            "priceDimensions": {"A.B.C": {"pricePerUnit": {"USD": usd}}}}}}})

    assert pricing.parse_price_list([product("us-east-1", "1.0060000000"), product("eu-west-1", "1.1230000000"),
                                     product("ap-south-1", "0.0000000000")]) == {"us-east-1": 1.006,
                                                                                 "eu-west-1": 1.123}


def test_cache_freshness():
    assert cache.fresh({"date": cache.today()})
    assert not cache.fresh({"date": "2000-01-01"})
    assert not cache.fresh({}) and not cache.fresh({"date": "garbage"})
