"""Exit codes say what happened (DESIGN.md: exit codes; issue 25 item 5): a plan that shows an action AWS would
refuse is exit 0 with that action left out and explained; exit 3 is kept for "some regions or accounts failed"."""

from mutation_helpers import mutating_calls

LAB = "awswiz:lab=demo"


def test_stop_plan_of_the_lab_explains_the_one_time_spot_box_and_is_exit_0(sandbox, run_tool):
    # EC2 User Guide, "Stop a Spot Instance": only a spot instance whose request is persistent (and not in a fleet,
    # launch group or AZ group) can be stopped; the lab's sweep-1 (us-west-2) comes from a one-time request, so
    # StopInstances would fail for it (UnsupportedOperation). The rest of the lab is planned with a token.
    mark = sandbox.mark()
    r = run_tool("stop", "--tag", LAB, "--region", "all")
    assert r.code == 0, r.stdout + r.stderr
    env = r.json
    assert env["ok"] is True and env["errors"] == []
    spot = [s for s in env["data"]["skipped"] if s.get("name") == "sweep-1"]
    assert len(spot) == 1 and spot[0]["region"] == "us-west-2" and spot[0]["type"] == "ec2:instance"
    assert "one-time spot request" in spot[0]["reason"]
    assert f"uv run tools/terminate.py --type ec2 --id {spot[0]['id']} --region us-west-2" in spot[0]["reason"]
    assert spot[0]["id"] not in [a["id"] for a in env["data"]["plan"]]
    assert env["data"]["plan"] and env["data"]["confirm"]  # the stoppable rest is planned
    assert mutating_calls(sandbox, mark) == []


def test_stop_of_the_one_time_spot_box_alone_is_exit_0_nothing_to_do(sandbox, run_tool):
    ec2 = sandbox.client("ec2", "us-west-2")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["sweep-1"]}])["Reservations"]
    iid = found[0]["Instances"][0]["InstanceId"]
    mark = sandbox.mark()
    r = run_tool("stop", "--id", iid, "--region", "us-west-2")
    assert r.code == 0, r.stdout + r.stderr
    assert r.json["data"]["plan"] == [] and r.json["data"]["confirm"] is None
    assert [s["id"] for s in r.json["data"]["skipped"]] == [iid]
    assert "AWS cannot stop" in r.json["data"]["skipped"][0]["reason"]
    assert mutating_calls(sandbox, mark) == []
