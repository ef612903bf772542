"""stop.py: plan, confirm, --wait, spot instances explained, bad input changes nothing."""

from __future__ import annotations

from guard_flow import Flow
from mutation_helpers import instance, mutating_calls, state

REGION = "ap-southeast-2"


def test_stop_by_ids_with_wait(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    a, b = instance(ec2), instance(ec2)
    flow = Flow(sandbox, run_tool, state_dir, "stop", "--id", a, "--id", b, "--region", REGION)
    plan = flow.plan()
    assert sorted(x["id"] for x in plan["plan"]) == sorted([a, b])
    r = flow.confirm("--wait", args=("--id", f"{a},{b}", "--region", REGION))  # the same selection, spelled apart
    assert r.json["data"]["applied"] is True
    assert {x["state"] for x in r.json["data"]["results"]} == {"stopped"}
    assert state(ec2, a) == state(ec2, b) == "stopped"
    assert r.json["next"] == [f"uv run tools/scan.py --service ec2:instance --region {REGION}"]
    assert flow.ops == ["StopInstances", "StopInstances"]
    assert {s["resources"][0] for s in flow.sent} == {a, b}
    # already stopped: nothing to do
    again = run_tool("stop", "--id", a, "--region", REGION)
    assert again.code == 0 and again.json["data"]["plan"] == []
    assert again.json["data"]["skipped"][0]["reason"] == "already stopped"


def test_one_time_spot_instance_is_explained_not_crashed_on(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    spot = instance(ec2, InstanceMarketOptions={"MarketType": "spot"})
    normal = instance(ec2)
    mark = sandbox.mark()
    r = run_tool("stop", "--id", spot, "--region", REGION)
    # what AWS would refuse is left out and explained, exit 0 (exit 3 is for failed regions): test_exit_codes
    assert r.code == 0 and r.json["errors"] == [] and r.json["data"]["skipped"][0]["id"] == spot
    assert "spot" in r.json["data"]["skipped"][0]["reason"] and "terminate.py" in r.json["data"]["skipped"][0]["reason"]
    both = run_tool("stop", "--id", spot, "--id", normal, "--region", REGION)
    assert both.code == 0 and [a["id"] for a in both.json["data"]["plan"]] == [normal]
    assert mutating_calls(sandbox, mark) == [] and state(ec2, spot) == "running"


def test_unknown_id_is_exit_2_naming_the_region_searched(sandbox, run_tool, state_dir):
    # bad flags and ids of a bad form are refused before anything is sent: test_bad_input.py, without the sandbox
    mark = sandbox.mark()
    r = run_tool("stop", "--id", "i-0123456789abcdef0", "--region", REGION)
    assert r.code == 2 and REGION in r.json["errors"][0]["message"], r.stdout + r.stderr
    assert r.json["errors"][0]["code"] == "BadInput" and r.json["ok"] is False
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()
