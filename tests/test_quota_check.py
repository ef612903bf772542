"""quota_check.py: quotas by family and market, usage as AWS counts it (running instances, unused Capacity
Reservations, open spot requests), headroom, open increase requests, --need."""

from __future__ import annotations

import sys

import pytest
from conftest import ROOT

LAB = "us-east-1,us-west-2,eu-west-1"
OWN = "eu-west-2"  # a region only this file launches into (every type below is offered there): exact figures


def index(doc: dict) -> dict:
    return {(q["region"], q["family"], q["market"]): q for q in doc["data"]["quotas"]}


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
    # "Amazon EC2 instance type quotas" (Spot Instance quotas): P spot is two quotas, "All P4, P3 and P2 Spot
    # Instance Requests" L-7212CCBC and "All P5 Spot Instance Requests" L-C4BD4855
    assert q[("us-east-1", "p", "spot")]["code"] == "L-7212CCBC"
    assert (q[("us-east-1", "p5", "spot")]["code"], q[("us-east-1", "p5", "spot")]["value"]) == ("L-C4BD4855", 192)
    assert ("us-east-1", "p5", "on-demand") not in q  # P5 on-demand is "Running On-Demand P instances"
    # one row per quota of the table in every region: 10 on-demand and 9 spot codes
    assert len([k for k in q if k[0] == "eu-west-1"]) == 19


def test_lab_usage_counts_reservations_and_open_spot_requests(run_tool, sandbox):
    r = run_tool("quota_check", "--region", LAB, "--family", "g,p,standard")
    assert r.code == 0, r.stderr
    q = index(r.json)
    # EC2 User Guide, "On-Demand Instance quotas": "Capacity Reservations count toward your On-Demand Instance
    # quotas, even if they are unused". The lab keeps one p4d.24xlarge reserved in us-east-1 for the stopped
    # train-big (stopped instances do not count): 96 vCPUs used although nothing P runs there.
    res = sandbox.client("ec2", "us-east-1").describe_capacity_reservations()["CapacityReservations"]
    assert [(c["InstanceType"], c["AvailableInstanceCount"], c["State"]) for c in res] == [
        ("p4d.24xlarge", 1, "active")]
    p = q[("us-east-1", "p", "on-demand")]
    assert (p["used"], p["instances"], p["reserved"], p["headroom"]) == (96, 0, 96, 192 - 96)
    # EC2 User Guide, "Spot Instance quotas": running Spot Instances plus open Spot Instance requests count; the
    # lab's open request waits for one g5.2xlarge (8 vCPUs) in us-east-1
    spot = sandbox.client("ec2", "us-east-1").describe_spot_instance_requests(
        Filters=[{"Name": "state", "Values": ["open"]}])["SpotInstanceRequests"]
    assert [s["LaunchSpecification"]["InstanceType"] for s in spot] == ["g5.2xlarge"]
    g = q[("us-east-1", "g", "spot")]
    assert (g["used"], g["instances"], g["open_spot"]) == (8, 0, 8)
    # running instances: g5.xlarge (4) on-demand in us-east-1, g6.xlarge spot (4) in us-west-2; the stopped
    # p5.48xlarge h100-box (us-west-2) does not count
    assert (q[("us-east-1", "g", "on-demand")]["used"], q[("us-east-1", "g", "on-demand")]["instances"]) == (4, 1)
    assert (q[("us-west-2", "g", "spot")]["used"], q[("us-west-2", "g", "on-demand")]["used"]) == (4, 0)
    assert q[("us-west-2", "p", "on-demand")]["used"] == 0
    assert all(row["headroom"] == row["value"] - row["used"] for row in q.values())


def test_pending_requests_shown_beside_their_quota(run_tool):
    # Service Quotas API Reference, ListRequestedServiceQuotaChangeHistory: a request is open while its Status
    # is PENDING or CASE_OPENED; APPROVED, DENIED, CASE_CLOSED, NOT_APPROVED, INVALID_REQUEST are closed
    r = run_tool("quota_check", "--region", "us-east-1,us-west-2", "--family", "g,p")
    assert r.code == 0, r.stderr
    q = index(r.json)
    pending = q[("us-east-1", "p", "on-demand")]["pending"]
    assert [(p["desired"], p["status"]) for p in pending] == [(384, "PENDING")] and pending[0]["case_id"]
    assert "pending" not in q[("us-west-2", "g", "on-demand")]  # its request was approved: closed (none: left out)


@pytest.fixture(scope="module")
def own_instances(sandbox):
    ec2 = sandbox.client("ec2", OWN)
    image = ec2.register_image(Name="quota-test", Architecture="x86_64", RootDeviceName="/dev/sda1",
                               VirtualizationType="hvm")["ImageId"]
    az = f"{OWN}a"

    def run(itype, n=1, spot=False):
        kw = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
        return [i["InstanceId"] for i in ec2.run_instances(ImageId=image, InstanceType=itype, MinCount=n, MaxCount=n,
                                                            Placement={"AvailabilityZone": az}, **kw)["Instances"]]

    def reserve(itype, n, state="active"):
        cid = ec2.create_capacity_reservation(InstanceType=itype, InstancePlatform="Linux/UNIX", AvailabilityZone=az,
                                              InstanceCount=n)["CapacityReservation"]["CapacityReservationId"]
        if state == "cancelled":
            ec2.cancel_capacity_reservation(CapacityReservationId=cid)
        return cid

    run("g5.2xlarge", 2)                       # 16 vCPUs G on-demand
    reserve("g5.2xlarge", 2)                   # filled by the two running g5.2xlarge: adds nothing
    reserve("g5.xlarge", 1)                    # unused: 4 vCPUs G on-demand
    reserve("g5.12xlarge", 1, "cancelled")     # cancelled: not counted
    ec2.stop_instances(InstanceIds=run("g5.12xlarge"))  # stopped: not counted
    run("g4dn.xlarge", spot=True)              # 4 vCPUs G spot
    run("p5.4xlarge")                          # 16 vCPUs P on-demand
    run("p5.4xlarge", spot=True)               # 16 vCPUs P5 spot, not P4/P3/P2 spot
    ec2.terminate_instances(InstanceIds=run("p4d.24xlarge"))  # terminated: not counted
    run("c5.xlarge")                           # 4 vCPUs standard
    return OWN


def test_usage_figures_against_seeded_instances(run_tool, own_instances):
    r = run_tool("quota_check", "--region", own_instances)
    assert r.code == 0, r.stderr
    q = index(r.json)
    g_od = q[(OWN, "g", "on-demand")]
    # "Reserve compute capacity with EC2 On-Demand Capacity Reservations" (Quotas): an open reservation is used
    # by the running instances that match it, and counts toward the quota only with what is left unused
    assert (g_od["used"], g_od["instances"], g_od["reserved"]) == (16 + 4, 2, 4)
    assert g_od["value"] == 0 and g_od["source"] == "default" and g_od["headroom"] == -20
    assert (q[(OWN, "g", "spot")]["used"], q[(OWN, "g", "spot")]["instances"]) == (4, 1)
    assert q[(OWN, "p", "on-demand")]["used"] == 16
    # "Spot Instance quotas": p5 spot counts against "All P5 Spot Instance Requests" (L-C4BD4855); its fulfilled
    # request is not counted a second time
    assert (q[(OWN, "p5", "spot")]["used"], q[(OWN, "p", "spot")]["used"]) == (16, 0)
    assert q[(OWN, "standard", "on-demand")]["used"] == 4
    assert q[(OWN, "standard", "on-demand")]["headroom"] == 5 - 4


def test_family_filter(run_tool):
    r = run_tool("quota_check", "--region", "us-east-1", "--family", "g,P")
    assert r.code == 0, r.stderr
    assert {x["family"] for x in r.json["data"]["quotas"]} == {"g", "p", "p5"}
    assert {x["code"] for x in r.json["data"]["quotas"]} == {"L-DB2E81BA", "L-3819A6DF", "L-417A185B", "L-7212CCBC",
                                                             "L-C4BD4855"}


def test_need_checks_p5_spot_against_the_p5_quota(run_tool):
    r = run_tool("quota_check", "--family", "p", "--need", "p5.48xlarge")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert (need["vcpus"], need["family"]) == (192, "p")
    assert need["codes"] == {"on-demand": "L-417A185B", "spot": "L-C4BD4855"}
    # us-east-1 on-demand: 192 applied - 96 reserved = 96 free; us-west-2: 96; eu-west-1: not offered
    assert need["on_demand"] == []
    assert need["spot"] == ["us-east-1"]           # P5 spot 192 there (P4/P3/P2 spot is only 96)
    assert "eu-west-1" in need["not_offered"] and "us-west-2" not in need["not_offered"]
    assert any("list_instances.py --filter p5.48xlarge" in n for n in r.json["next"])

    r = run_tool("quota_check", "--region", LAB, "--need", "g5.xlarge:4")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert need["vcpus"] == 16
    assert need["on_demand"] == ["us-east-1", "us-west-2"]  # eu-west-1: G on-demand is 8
    assert need["spot"] == ["us-east-1", "us-west-2"]       # us-east-1: 32 - 8 for the open request; eu-west-1: 0
    eu = next(x for x in need["regions"] if x["region"] == "eu-west-1")
    assert eu["on_demand"] == {"code": "L-DB2E81BA", "quota": 8, "used": 0, "headroom": 8, "fits": False,
                               "pending": []}


def test_need_nowhere_suggests_a_quota_request(run_tool):
    r = run_tool("quota_check", "--region", "eu-west-1", "--need", "p4d.24xlarge:2")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert need["on_demand"] == need["spot"] == []
    assert r.json["next"] == ["uv run tools/quota_request.py --code L-417A185B --value 192 --region eu-west-1"]


def test_no_duplicate_request_where_one_is_pending(run_tool):
    # Service Quotas keeps one open request per quota (RequestServiceQuotaIncrease: ResourceAlreadyExistsException);
    # us-east-1 has 96 P on-demand vCPUs free and a pending request for 384: suggest elsewhere, never there
    r = run_tool("quota_check", "--region", "us-east-1,us-west-2", "--need", "p5.48xlarge:2")
    assert r.code == 0, r.stderr
    assert r.json["next"] == ["uv run tools/quota_request.py --code L-417A185B --value 384 --region us-west-2"]
    r = run_tool("quota_check", "--region", "us-east-1", "--need", "p5.48xlarge:2")
    assert r.code == 0, r.stderr
    assert r.json["next"] == ["uv run tools/quota_status.py --region us-east-1"]
    entry = r.json["data"]["need"]["regions"][0]["on_demand"]
    assert entry["pending"][0]["desired"] == 384


def test_need_a_type_not_offered_in_the_home_region(run_tool, sandbox):
    # EC2 API Reference, DescribeInstanceTypes: without IncludeUnsupportedInRegion=true only the region's offered
    # types are described. p5e.48xlarge is not offered in us-east-1 (the home region) but is in us-west-2.
    ec2 = sandbox.client("ec2", "us-east-1")
    assert ec2.describe_instance_types(Filters=[{"Name": "instance-type", "Values": ["p5e.48xlarge"]}])[
        "InstanceTypes"] == []
    r = run_tool("quota_check", "--region", LAB, "--need", "p5e.48xlarge")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert (need["vcpus_each"], need["codes"]["spot"]) == (192, "L-C4BD4855")
    assert set(need["not_offered"]) == {"us-east-1", "eu-west-1"}
    assert [x["region"] for x in need["regions"]] == ["us-west-2"]


def test_pretty_table(run_tool):
    r = run_tool("quota_check", "--region", LAB, "--pretty", "--need", "g5.xlarge")
    assert r.code == 0, r.stderr
    assert "EC2 vCPU quotas" in r.stdout and "On-demand fits" in r.stdout and "us-west-2" in r.stdout
    assert "asked 384 pending" in r.stdout


def test_next_repeats_sandbox(run_tool, sandbox, state_dir):
    # a hint is a command that works as printed: it repeats the run's --sandbox (DESIGN.md, Output)
    info = state_dir / "sandbox.json"
    info.write_text((sandbox.state / "sandbox.json").read_text())
    info.chmod(0o600)
    r = run_tool("quota_check", "--sandbox", "--region", "eu-west-1", "--need", "p4d.24xlarge:2")
    assert r.code == 0, r.stderr
    assert r.json["next"] == ["uv run tools/quota_request.py --code L-417A185B --value 192 --region eu-west-1 "
                              "--sandbox"]


# The tests of --need MODEL read every instance type (DescribeInstanceTypes, cached a week in .state/cache): they share
# one state dir (read_tool), so the module describes them once, not once per run.
def test_need_an_accelerator_model_gives_the_types_and_counts(read_tool, sandbox):
    # EC2 API Reference, DescribeInstanceTypes / GpuDeviceInfo: each type names its GPUs (Name, Count per instance).
    # The sandbox's p5.48xlarge carries 8 H100 (192 vCPUs), its p5.4xlarge 1 (16 vCPUs): 8 H100s are one p5.48xlarge
    # or 8 p5.4xlarge; the fewest instances come first
    ec2 = sandbox.client("ec2", "us-east-1")
    gpus = {t["InstanceType"]: (t["GpuInfo"]["Gpus"][0]["Name"], t["GpuInfo"]["Gpus"][0]["Count"])
            for t in ec2.describe_instance_types(InstanceTypes=["p5.48xlarge", "p5.4xlarge"])["InstanceTypes"]}
    assert gpus == {"p5.48xlarge": ("H100", 8), "p5.4xlarge": ("H100", 1)}
    r = read_tool("quota_check", "--region", LAB, "--family", "g", "--need", "h100:8")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert (need["model"], need["count"]) == ("H100", 8)
    assert [(o["type"], o["count"], o["per_instance"], o["vcpus"]) for o in need["options"]] == [
        ("p5.48xlarge", 1, 8, 192), ("p5.4xlarge", 8, 1, 128)]
    # the P quotas are shown although --family g was asked: the needed types count against them
    assert {q["family"] for q in r.json["data"]["quotas"]} == {"g", "p", "p5"}
    for o in need["options"]:
        # on demand: us-east-1 has 96 P vCPUs free (192 applied, 96 reserved), us-west-2 96: neither fits 128;
        # spot: P5 spot is 192 in us-east-1 only; eu-west-1 offers no p5
        assert (o["on_demand"], o["spot"], o["not_offered"]) == ([], ["us-east-1"], ["eu-west-1"])
    # nothing fits on demand: the smallest increase, in a region with no request open for L-417A185B (us-east-1
    # has one pending): 8 x p5.4xlarge in us-west-2 needs 128 of its 96 -> ask 128
    assert need["cheapest_gap"] == {"type": "p5.4xlarge", "count": 8, "region": "us-west-2", "code": "L-417A185B",
                                    "value": 128, "add": 32}
    assert r.json["next"] == ["uv run tools/list_instances.py --filter p5.48xlarge --region us-east-1",
                              "uv run tools/ami.py --framework pytorch --region us-east-1",
                              "uv run tools/quota_request.py --code L-417A185B --value 128 --region us-west-2"]
    r = read_tool("quota_check", "--region", LAB, "--family", "p", "--need", "H100:8", "--pretty")
    assert r.code == 0, r.stderr
    assert "1 x p5.48xlarge" in r.stdout and "8 x p5.4xlarge" in r.stdout and "32 vCPUs of L-417A185B" in r.stdout


def test_need_a_model_only_bigger_boxes_carry(read_tool):
    # B200 comes 8 to a p6-b200.48xlarge only: one box for B200:1; the P on-demand quota of us-west-2 (96) is short
    r = read_tool("quota_check", "--region", "us-west-2", "--need", "B200")
    assert r.code == 0, r.stderr
    need = r.json["data"]["need"]
    assert [(o["type"], o["count"], o["gpus"]) for o in need["options"]] == [("p6-b200.48xlarge", 1, 8)]
    assert r.json["next"] == ["uv run tools/quota_request.py --code L-417A185B --value 192 --region us-west-2"]


def test_unknown_model_names_the_models_seen(read_tool):
    r = read_tool("quota_check", "--region", "us-east-1", "--need", "H900:8")
    assert r.code == 2, r.stdout
    msg = r.json["errors"][0]["message"]
    assert "H900" in msg and all(m in msg for m in ("A10G", "H100", "Trainium2", "Inferentia2"))


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
