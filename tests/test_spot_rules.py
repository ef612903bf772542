"""Spot instances as AWS treats them: which ones stop, and terminating one whose request (or fleet) would
launch a replacement. The sandbox relaunches as AWS does (tools/_awswiz/sandbox/spot_api.py)."""

from __future__ import annotations

import types

import pytest
from mutation_helpers import assert_audit_matches_server, image, instance, mutating_calls, name, state

REGION = "ap-northeast-1"


def spot(ec2, **kw) -> tuple[str, str]:
    """(request id, instance id) of a new spot request (moto fulfils it at once)."""
    req = ec2.request_spot_instances(LaunchSpecification={"ImageId": image(ec2), "InstanceType": "t3.micro"},
                                     **kw)["SpotInstanceRequests"][0]
    rid = req["SpotInstanceRequestId"]
    return rid, ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[rid])["SpotInstanceRequests"][0][
        "InstanceId"]


def spot_fleet(ec2) -> tuple[str, str]:
    """(fleet id, instance id) of a Spot Fleet of type maintain with one instance."""
    fid = ec2.request_spot_fleet(SpotFleetRequestConfig={
        "IamFleetRole": "arn:aws:iam::123456789012:role/fleet", "TargetCapacity": 1, "Type": "maintain",
        "AllocationStrategy": "lowestPrice", "SpotPrice": "0.1",
        "LaunchSpecifications": [{"ImageId": image(ec2), "InstanceType": "t3.micro"}]})["SpotFleetRequestId"]
    iid = ec2.describe_spot_fleet_instances(SpotFleetRequestId=fid)["ActiveInstances"][0]["InstanceId"]
    return fid, iid


def ec2_fleet(ec2) -> tuple[str, str]:
    """(fleet id, instance id) of an EC2 Fleet of type maintain with one spot instance."""
    lt = ec2.create_launch_template(LaunchTemplateName=name("awswiz-lt"), LaunchTemplateData={
        "ImageId": image(ec2), "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    fid = ec2.create_fleet(Type="maintain", TargetCapacitySpecification={
        "TotalTargetCapacity": 1, "DefaultTargetCapacityType": "spot"}, LaunchTemplateConfigs=[
        {"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Latest"}}])["FleetId"]
    found = ec2.describe_instances(Filters=[{"Name": "tag:aws:ec2:fleet-id", "Values": [fid]}])
    return fid, found["Reservations"][0]["Instances"][0]["InstanceId"]


def request_of(ec2, rid: str) -> dict:
    return ec2.describe_spot_instance_requests(SpotInstanceRequestIds=[rid])["SpotInstanceRequests"][0]


def test_which_spot_instances_stop(sandbox, run_tool, state_dir):
    # EC2 User Guide, "Stop a Spot Instance": only a spot instance of a persistent request that is not
    # cancelled, in no fleet, launch group or Availability Zone group, stops; the interruption behaviour
    # ("Interruption behaviors") plays no part in a stop the user asks for.
    ec2 = sandbox.client("ec2", REGION)
    persistent_req, persistent = spot(ec2, Type="persistent")  # default interruption behaviour: terminate
    _, hibernating = spot(ec2, Type="persistent", InstanceInterruptionBehavior="hibernate")
    _, one_time = spot(ec2, Type="one-time")
    cancelled_req, cancelled = spot(ec2, Type="persistent", InstanceInterruptionBehavior="stop")
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[cancelled_req])
    _, grouped = spot(ec2, Type="persistent", LaunchGroup="lg-train")
    _, zoned = spot(ec2, Type="persistent", AvailabilityZoneGroup="az-train")
    fleet_id, member = spot_fleet(ec2)
    bare = instance(ec2, InstanceMarketOptions={"MarketType": "spot"})
    ids = [persistent, hibernating, one_time, cancelled, grouped, zoned, member, bare]
    mark = sandbox.mark()
    r = run_tool("stop", "--id", ",".join(ids), "--region", REGION)
    assert r.code == 0 and r.json["errors"] == [], r.stdout + r.stderr  # left out and explained: test_exit_codes
    assert sorted(a["id"] for a in r.json["data"]["plan"]) == sorted([persistent, hibernating])
    planned = {a["id"]: a["detail"] for a in r.json["data"]["plan"]}
    assert planned[persistent]["spot_request"].startswith(f"{persistent_req} becomes disabled")
    why = {s["id"]: {"message": s["reason"]} for s in r.json["data"]["skipped"]}
    assert set(why) == {one_time, cancelled, grouped, zoned, member, bare}
    assert "one-time spot request" in why[one_time]["message"]
    assert f"{cancelled_req} is cancelled" in why[cancelled]["message"]
    assert "launch group lg-train" in why[grouped]["message"]
    assert "Availability Zone group az-train" in why[zoned]["message"]
    assert f"fleet member (aws:ec2spot:fleet-request-id={fleet_id})" in why[member]["message"]
    # RunInstances with spot market options makes a one-time request (EC2 User Guide, "Work with Spot Instances")
    assert "one-time spot request" in why[bare]["message"]
    assert why[one_time]["message"].endswith(
        f"uv run tools/terminate.py --type ec2 --id {one_time} --region {REGION}")
    reads = [c for c in sandbox.calls(mark) if c["action"] == "DescribeSpotInstanceRequests"]
    assert len(reads) == 1  # one call for every spot instance
    ok = run_tool("stop", "--id", f"{persistent},{hibernating}", "--region", REGION)
    done = run_tool("stop", "--id", f"{persistent},{hibernating}", "--region", REGION,
                    "--confirm", ok.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert state(ec2, persistent) in ("stopping", "stopped") and state(ec2, hibernating) in ("stopping", "stopped")
    assert [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)] == ["StopInstances"] * 2
    assert all(state(ec2, i) == "running" for i in [one_time, cancelled, grouped, zoned, member, bare])


def test_hint_repeats_sandbox_profile_and_region():
    from _awswiz.shell.hints import command as tool_command

    ctx = types.SimpleNamespace(sandbox=True, profile="lab")
    assert tool_command(ctx, "terminate", "--type", "ec2", "--id", "i-0abc", region="eu-west-1") == (
        "uv run tools/terminate.py --type ec2 --id i-0abc --region eu-west-1 --sandbox --profile lab")


def test_sandbox_relaunches_a_persistent_request_unless_cancelled(sandbox):
    # EC2 User Guide, "Terminate a Spot Instance": terminating the instance of a persistent request makes
    # AWS launch a new one; "Cancel a Spot Instance request": a cancelled request launches nothing and stays
    # visible as cancelled while its instance runs.
    ec2 = sandbox.client("ec2", REGION)
    rid, first = spot(ec2, Type="persistent")
    ec2.terminate_instances(InstanceIds=[first])
    again = request_of(ec2, rid)
    assert again["InstanceId"] != first and state(ec2, again["InstanceId"]) == "running"
    assert again["State"] == "active"
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[rid])
    assert request_of(ec2, rid)["State"] == "cancelled" and state(ec2, again["InstanceId"]) == "running"
    ec2.terminate_instances(InstanceIds=[again["InstanceId"]])
    assert request_of(ec2, rid)["InstanceId"] == again["InstanceId"]  # nothing relaunched


def test_terminate_cancels_the_persistent_request_first(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    rid, iid = spot(ec2, Type="persistent")
    _, one_time = spot(ec2, Type="one-time")
    mark = sandbox.mark()
    plan = run_tool("terminate", "--type", "ec2", "--id", f"{iid},{one_time}", "--region", REGION)
    assert plan.code == 0, plan.stdout + plan.stderr
    steps = [(a["action"], a["id"], a.get("target")) for a in plan.json["data"]["plan"]]
    assert steps == [("cancel-spot-request", rid, iid), ("terminate", iid, None), ("terminate", one_time, None)]
    r = run_tool("terminate", "--type", "ec2", "--id", f"{iid},{one_time}", "--region", REGION,
                 "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    after = request_of(ec2, rid)
    assert after["State"] == "cancelled" and after["InstanceId"] == iid  # nothing was relaunched
    assert state(ec2, iid) in ("shutting-down", "terminated")
    ops = [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)]
    assert ops == ["CancelSpotInstanceRequests", "TerminateInstances", "TerminateInstances"]


def test_terminate_cancels_a_maintain_fleet_first(sandbox, run_tool, state_dir):
    # "Cancel (delete) a Spot Fleet request": cancelled without terminating its instances, the fleet
    # launches no new instance (cancelled_running); a fleet of type maintain otherwise replaces the instance.
    ec2 = sandbox.client("ec2", REGION)
    fid, iid = spot_fleet(ec2)
    mark = sandbox.mark()
    plan = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert [(a["action"], a["id"]) for a in plan.json["data"]["plan"]] == [("cancel-fleet", fid), ("terminate", iid)]
    assert plan.json["data"]["plan"][0]["detail"]["terminate_instances"] is False
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm",
                 plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    cfg = ec2.describe_spot_fleet_requests(SpotFleetRequestIds=[fid])["SpotFleetRequestConfigs"][0]
    assert cfg["SpotFleetRequestState"] == "cancelled_running"
    live = ec2.describe_instances(Filters=[{"Name": "tag:aws:ec2spot:fleet-request-id", "Values": [fid]},
                                           {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    assert live["Reservations"] == []  # no replacement
    assert [c["action"] for c in mutating_calls(sandbox, mark)] == ["CancelSpotFleetRequests", "TerminateInstances"]
    assert len(assert_audit_matches_server(sandbox, state_dir, mark)) == 2


@pytest.mark.parametrize("make, tag", [(spot_fleet, "aws:ec2spot:fleet-request-id"), (ec2_fleet, "aws:ec2:fleet-id")])
def test_sandbox_fleet_of_type_maintain_replaces_a_terminated_member(sandbox, make, tag):
    ec2 = sandbox.client("ec2", REGION)
    fid, iid = make(ec2)
    ec2.terminate_instances(InstanceIds=[iid])
    live = ec2.describe_instances(Filters=[{"Name": f"tag:{tag}", "Values": [fid]},
                                           {"Name": "instance-state-name", "Values": ["running"]}])
    assert [i["InstanceId"] for r in live["Reservations"] for i in r["Instances"]] not in ([], [iid])


def test_terminate_deletes_a_maintain_ec2_fleet_first(sandbox, run_tool, state_dir):
    # EC2 User Guide, "Delete an EC2 Fleet request and the instances in the fleet": deleted without
    # terminating its instances, the fleet launches no new instance (deleted_running); a fleet of type
    # maintain otherwise replaces the instance.
    ec2 = sandbox.client("ec2", REGION)
    fid, iid = ec2_fleet(ec2)
    member = {"Name": "tag:aws:ec2:fleet-id", "Values": [fid]}
    mark = sandbox.mark()
    plan = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert [(a["action"], a["type"], a["id"]) for a in plan.json["data"]["plan"]] == [
        ("cancel-fleet", "ec2:ec2-fleet", fid), ("terminate", "ec2:instance", iid)]
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm",
                 plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert ec2.describe_fleets(FleetIds=[fid])["Fleets"][0]["FleetState"] == "deleted_running"
    live = ec2.describe_instances(Filters=[member, {"Name": "instance-state-name", "Values": ["pending", "running"]}])
    assert live["Reservations"] == []  # no replacement
    assert [c["action"] for c in mutating_calls(sandbox, mark)] == ["DeleteFleets", "TerminateInstances"]
    assert len(assert_audit_matches_server(sandbox, state_dir, mark)) == 2


def shutdown_from_instance(sandbox, iid: str, region: str = REGION) -> dict:
    """The instance's OS powers off (a TTL timer, shutdown -h): the sandbox's control call (spot_api.py)."""
    return sandbox.control("ShutdownFromInstance", instance_id=iid, region=region)


def test_sandbox_instance_initiated_shutdown_applies_the_behaviour_and_reopens_a_persistent_request(sandbox):
    # EC2 User Guide, "Change instance initiated shutdown behavior": an OS shutdown stops or terminates the instance
    # as InstanceInitiatedShutdownBehavior says; "Persistent Spot Instance requests": the request "is opened again
    # after your Spot Instance is terminated" and AWS launches a replacement from the same launch specification
    # (user data included: a TTL timer already past); a stopped instance's persistent request is disabled
    ec2 = sandbox.client("ec2", REGION)
    spot = {"MarketType": "spot", "SpotOptions": {"SpotInstanceType": "persistent",
                                                  "InstanceInterruptionBehavior": "stop"}}

    def run(behaviour: str, **kw) -> str:
        return ec2.run_instances(ImageId=image(ec2), InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                 UserData="#!/bin/bash\necho ttl", InstanceInitiatedShutdownBehavior=behaviour,
                                 **kw)["Instances"][0]["InstanceId"]

    def request_by_instance(iid: str) -> dict:
        return ec2.describe_spot_instance_requests(Filters=[{"Name": "instance-id", "Values": [iid]}])[
            "SpotInstanceRequests"][0]

    doomed = run("terminate", InstanceMarketOptions=spot)
    rid = request_by_instance(doomed)["SpotInstanceRequestId"]
    out = shutdown_from_instance(sandbox, doomed)
    assert out["behaviour"] == "terminate" and state(ec2, doomed) == "terminated"
    again = request_of(ec2, rid)
    assert again["State"] == "active" and again["InstanceId"] not in (doomed, None)
    assert out["replacement"] == again["InstanceId"] and state(ec2, again["InstanceId"]) == "running"  # billing
    attr = ec2.describe_instance_attribute(InstanceId=again["InstanceId"], Attribute="userData")["UserData"]
    assert attr.get("Value")  # the same user data, and so the same timer
    behaviour = ec2.describe_instance_attribute(InstanceId=again["InstanceId"],
                                                Attribute="instanceInitiatedShutdownBehavior")
    assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[rid])
    ec2.terminate_instances(InstanceIds=[again["InstanceId"]])

    stopping = run("stop", InstanceMarketOptions=spot)
    srid = request_by_instance(stopping)["SpotInstanceRequestId"]
    assert shutdown_from_instance(sandbox, stopping)["replacement"] is None
    assert state(ec2, stopping) == "stopped"
    after = request_of(ec2, srid)
    assert after["State"] == "disabled" and after["InstanceId"] == stopping

    on_demand = run("terminate")
    assert shutdown_from_instance(sandbox, on_demand)["spot_request"] is None
    assert state(ec2, on_demand) == "terminated"


def test_lab_holds_a_running_persistent_spot_box(sandbox):
    ec2 = sandbox.client("ec2", "eu-west-1")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["notebook-spot"]}])
    inst = found["Reservations"][0]["Instances"][0]
    assert inst["InstanceLifecycle"] == "spot" and inst["State"]["Name"] == "running"
    req = ec2.describe_spot_instance_requests(Filters=[{"Name": "instance-id", "Values": [inst["InstanceId"]]}])
    assert [(r["Type"], r["State"]) for r in req["SpotInstanceRequests"]] == [("persistent", "active")]
