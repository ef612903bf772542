"""quota_check.py: quotas by family and market, usage of running/pending instances only, headroom, --need."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

LAB = "us-east-1,us-west-2,eu-west-1"
OWN = "ap-northeast-3"  # a region only this file launches into: exact usage figures


def index(doc: dict) -> dict:
    return {(q["region"], q["family"], q["market"]): q for q in doc["data"]["quotas"]}


def live_usage(sandbox, region: str) -> dict:
    """What the sandbox itself says runs: vCPUs of running/pending instances by (family letter, market)."""
    ec2 = sandbox.client("ec2", region)
    out: dict = {}
    res = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])
    found = [(i["InstanceType"], i.get("InstanceLifecycle") == "spot")
             for r in res["Reservations"] for i in r["Instances"]]
    if not found:
        return out
    vcpus = {t["InstanceType"]: t["VCpuInfo"]["DefaultVCpus"] for t in ec2.describe_instance_types(
        InstanceTypes=sorted({t for t, _ in found}))["InstanceTypes"]}
    for itype, spot in found:
        key = (itype[0], "spot" if spot else "on-demand")
        out[key] = out.get(key, 0) + vcpus[itype]
    return out


def test_lab_quotas_differ_by_region_applied_else_default(run_tool):
    r = run_tool("quota_check", "--region", LAB)
    assert r.code == 0, r.stderr
    q = index(r.json)
    assert q[("us-east-1", "p", "on-demand")]["value"] == 192
    assert q[("us-east-1", "p", "on-demand")]["source"] == "applied"
    assert q[("eu-west-1", "p", "on-demand")]["value"] == 0
    assert q[("us-west-2", "p", "on-demand")]["value"] == 96
    assert q[("us-east-1", "p", "spot")]["value"] == 96
    assert q[("us-west-2", "p", "spot")]["source"] == "default"
    assert q[("us-east-1", "p", "on-demand")]["code"] == "L-417A185B"
    assert q[("us-east-1", "g", "spot")]["code"] == "L-3819A6DF"
    # one row per quota of the table in every region: 18 codes
    assert len([k for k in q if k[0] == "eu-west-1"]) == 18


def test_lab_usage_counts_running_only_and_keeps_markets_apart(run_tool, sandbox):
    r = run_tool("quota_check", "--region", LAB, "--family", "g,p,standard")
    assert r.code == 0, r.stderr
    q = index(r.json)
    for region in LAB.split(","):
        live = live_usage(sandbox, region)
        for (reg, fam, market), row in q.items():
            if reg != region:
                continue
            letter = {"standard": "t", "g": "g", "p": "p"}[fam]
            assert row["used"] == live.get((letter, market), 0), (region, fam, market)
            assert row["headroom"] == row["value"] - row["used"]
    # the stopped p4d (us-east-1) and p5 (eu-west-1) do not count; g5.xlarge running does (4 vCPUs)
    assert q[("eu-west-1", "p", "on-demand")]["used"] == 0
    assert q[("us-east-1", "g", "on-demand")]["used"] >= 4
    # the g6.xlarge in us-west-2 is spot: counted against the spot quota, not on-demand
    assert q[("us-west-2", "g", "spot")]["used"] >= 4
    assert q[("us-west-2", "g", "on-demand")]["used"] == live_usage(sandbox, "us-west-2").get(("g", "on-demand"), 0)


@pytest.fixture(scope="module")
def own_instances(sandbox):
    ec2 = sandbox.client("ec2", OWN)
    image = ec2.register_image(Name="quota-test", Architecture="x86_64", RootDeviceName="/dev/sda1",
                               VirtualizationType="hvm")["ImageId"]

    def run(itype, n=1, spot=False):
        kw = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
        return [i["InstanceId"] for i in ec2.run_instances(ImageId=image, InstanceType=itype, MinCount=n,
                                                            MaxCount=n, **kw)["Instances"]]

    run("g5.2xlarge", 2)                       # 16 vCPUs G on-demand
    ec2.stop_instances(InstanceIds=run("g5.12xlarge"))  # stopped: not counted
    run("g4dn.xlarge", spot=True)              # 4 vCPUs G spot
    run("p5.4xlarge")                          # 16 vCPUs P on-demand
    ec2.terminate_instances(InstanceIds=run("p4d.24xlarge"))  # terminated: not counted
    run("c5.xlarge")                           # 4 vCPUs standard
    return OWN


def test_usage_figures_against_seeded_instances(run_tool, own_instances):
    r = run_tool("quota_check", "--region", own_instances)
    assert r.code == 0, r.stderr
    q = index(r.json)
    g_od = q[(OWN, "g", "on-demand")]
    assert (g_od["used"], g_od["instances"]) == (16, 2)
    assert g_od["value"] == 0 and g_od["source"] == "default" and g_od["headroom"] == -16
    assert (q[(OWN, "g", "spot")]["used"], q[(OWN, "g", "spot")]["instances"]) == (4, 1)
    assert q[(OWN, "p", "on-demand")]["used"] == 16
    assert q[(OWN, "p", "spot")]["used"] == 0
    assert q[(OWN, "standard", "on-demand")]["used"] == 4
    assert q[(OWN, "standard", "on-demand")]["headroom"] == 5 - 4


def test_family_filter(run_tool):
    r = run_tool("quota_check", "--region", "us-east-1", "--family", "g,P")
    assert r.code == 0, r.stderr
    assert {x["family"] for x in r.json["data"]["quotas"]} == {"g", "p"}
    assert {x["code"] for x in r.json["data"]["quotas"]} == {"L-DB2E81BA", "L-3819A6DF", "L-417A185B", "L-7212CCBC"}


def test_need_answers_with_the_right_regions(run_tool):
    r = run_tool("quota_check", "--family", "p", "--need", "p5.48xlarge")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert (need["vcpus"], need["family"]) == (192, "p")
    assert need["on_demand"] == ["us-east-1"]      # 192 applied; us-west-2 has 96, eu-west-1 0
    assert need["spot"] == []                      # P spot: 96 in us-east-1 at most
    assert "eu-west-1" in need["not_offered"]      # p5 is not offered there
    assert any("list_instances.py --filter p5.48xlarge" in n for n in r.json["next"])

    r = run_tool("quota_check", "--region", LAB, "--need", "g5.xlarge:4")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert need["vcpus"] == 16
    assert need["on_demand"] == ["us-east-1", "us-west-2"]  # eu-west-1: G on-demand is 8
    assert need["spot"] == ["us-east-1", "us-west-2"]       # eu-west-1: G spot is 0
    eu = next(x for x in need["regions"] if x["region"] == "eu-west-1")
    assert eu["on_demand"] == {"code": "L-DB2E81BA", "quota": 8, "used": 0, "headroom": 8, "fits": False}


def test_need_nowhere_suggests_a_quota_request(run_tool):
    r = run_tool("quota_check", "--region", "eu-west-1", "--need", "p4d.24xlarge:2")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert need["on_demand"] == need["spot"] == []
    assert r.json["next"] == ["uv run tools/quota_request.py --code L-417A185B --value 192 --region eu-west-1"]


def test_pretty_table(run_tool):
    r = run_tool("quota_check", "--region", LAB, "--pretty", "--need", "g5.xlarge")
    assert r.code == 0, r.stderr
    assert "EC2 vCPU quotas" in r.stdout and "On-demand fits" in r.stdout and "us-west-2" in r.stdout


@pytest.mark.parametrize("args, words", [
    (["--family", "q"], ["--family", "standard", "trn"]),
    (["--need", "nothing"], ["TYPE[:COUNT]"]),
    (["--need", "g5.xlarge:0"], ["COUNT"]),
    (["--need", "g5.xlarge:many"], ["COUNT"]),
    (["--region", "us-moon-1"], ["us-moon-1", "us-east-1"]),
    (["--bogus"], ["--bogus"]),
])
def test_bad_input_exit_2_nothing_sent(run_tool, sandbox, args, words):
    mark = sandbox.mark()
    r = run_tool("quota_check", *args)
    assert r.code == 2, r.stdout
    msg = r.json["errors"][0]["message"]
    assert all(w in msg for w in words), msg
    assert sandbox.calls(mark) == []


def test_unknown_type_for_need_is_bad_input(run_tool):
    r = run_tool("quota_check", "--region", "us-east-1", "--need", "zz9.huge")
    assert r.code == 2
    assert "zz9.huge" in r.json["errors"][0]["message"]


def test_region_whose_quota_call_fails_is_an_error_entry(run_tool, sandbox):
    sys.path.insert(0, str(ROOT / "bench"))
    import proxy

    server, _ = proxy.start(sandbox.url, deny={"eu-west-1"})
    try:
        r = run_tool("quota_check", "--region", LAB, endpoint=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    assert r.code == 3, r.stderr
    assert {e["region"] for e in r.json["errors"]} == {"eu-west-1"}
    assert {q["region"] for q in r.json["data"]["quotas"]} == {"us-east-1", "us-west-2"}
