"""Issue 11 item 8, findings first: scan's findings are ordered by money and risk (running GPU instances,
then other running money, then doors open to the world, then leftovers by their monthly cost), the same
way every time; each one names the command that fixes it, or says why there is none; and a one-time spot
GPU instance is never told to stop.

AWS: "Stop a Spot Instance" (Amazon EC2 User Guide): only a spot instance of a persistent request (in no
fleet, launch group or AZ group) can be stopped; StopInstances on a one-time request's instance fails with
UnsupportedOperation ("You can't stop the Spot Instance ... because it is associated with a one-time Spot
Instance request"). "Terminate a Spot Instance": terminating it is what ends its bill."""

from __future__ import annotations

from test_hints import use_running_sandbox

TIERS = {"gpu-running": 0, "nat-gateway": 1}


def _tier(f: dict) -> int:
    return TIERS.get(f["kind"], 2 if f.get("check") else 3)


def test_findings_are_ordered_by_money_then_risk_and_repeat_the_runs_scope(run_tool, sandbox, state_dir):
    use_running_sandbox(sandbox, state_dir)
    scan = run_tool("scan", "--sandbox")
    assert scan.code == 0, scan.stderr[-600:]
    found = scan.json["data"]["findings"]
    tiers = [_tier(f) for f in found]
    assert tiers == sorted(tiers) and tiers[0] == 0 and {0, 1, 2, 3} <= set(tiers)
    leftovers = [f.get("per_month", 0) for f in found if _tier(f) == 3]
    assert leftovers == sorted(leftovers, reverse=True) and leftovers[0] > 0
    again = run_tool("scan", "--sandbox").json["data"]["findings"]
    assert [(f["kind"], f["id"]) for f in again] == [(f["kind"], f["id"]) for f in found]  # deterministic
    # the envelope's next starts with the money
    assert scan.json["next"][0] == found[0]["next"]

    for f in found:
        assert f.get("next") or f.get("why_no_next"), f
        if f.get("next"):
            assert f["next"].endswith("--sandbox") and f"--region {f['region']}" in f["next"], f
    by_kind = {}
    for f in found:
        by_kind.setdefault(f["kind"], []).append(f)
    for kind, rtype in (("unattached-volume", "ec2:volume"), ("unassociated-eip", "ec2:elastic-ip"),
                        ("nat-gateway", "vpc:nat-gateway")):
        for f in by_kind[kind]:
            want = f"uv run tools/terminate.py --type {rtype} --id {f['id']} --region {f['region']} --sandbox"
            assert f["next"] == want


def test_one_time_spot_gpu_is_told_to_terminate_not_stop(run_tool, sandbox, state_dir):
    use_running_sandbox(sandbox, state_dir)
    records = run_tool("scan", "--sandbox", "--service", "ec2:instance").json["data"]
    by_name = {r.get("name"): r for r in records["resources"]}
    gpu = {f["id"]: f for f in records["findings"] if f["kind"] == "gpu-running"}
    sweep, train = by_name["sweep-1"], by_name["train-a"]  # one-time spot g6.xlarge; on-demand g5.xlarge
    assert sweep["market"] == "spot"
    want = f"uv run tools/terminate.py --type ec2 --id {sweep['id']} --region us-west-2 --sandbox"
    assert gpu[sweep["id"]]["next"] == want
    assert "cannot stop" in gpu[sweep["id"]]["message"] and "one-time" in gpu[sweep["id"]]["message"]
    assert gpu[train["id"]]["next"] == f"uv run tools/stop.py --id {train['id']} --region us-east-1 --sandbox"
    # the stop that the old hint named is refused by AWS's rule (stop.py blocks it), the terminate plan works
    stop = run_tool("stop", "--id", sweep["id"], "--region", "us-west-2", "--sandbox")
    assert stop.json["data"] is None or not [a for a in stop.json["data"].get("plan", []) if not a.get("blocked")]
    words = gpu[sweep["id"]]["next"].split()
    plan = run_tool(words[2].removeprefix("tools/").removesuffix(".py"), *words[3:])
    assert plan.code == 0, plan.stdout[:600]
    assert any(a["id"] == sweep["id"] and a["action"] == "terminate" for a in plan.json["data"]["plan"])
