"""instance_status.py lists what launch.py made; terminate.py then removes the launch's group and key too (no
leaks); a group another instance still uses is kept."""

from __future__ import annotations

from test_launch import cleanup_launches, launch  # noqa: F401 - the fixture leaves the lab as it was

REGION = "us-west-2"


def leftovers(sandbox, lid: str) -> dict:
    ec2 = sandbox.client("ec2", REGION)
    f = [{"Name": "tag:awswiz:launch-id", "Values": [lid]}]
    insts = [i["InstanceId"] for r in ec2.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]
             if i["State"]["Name"] != "terminated"]
    return {"instances": insts, "volumes": [v["VolumeId"] for v in ec2.describe_volumes(Filters=f)["Volumes"]],
            "groups": [g["GroupId"] for g in ec2.describe_security_groups(Filters=f)["SecurityGroups"]],
            "keys": [k["KeyName"] for k in ec2.describe_key_pairs(Filters=f)["KeyPairs"]]}


def test_status_then_terminate_leaves_nothing(sandbox, run_tool):
    args = ("--type", "g5.xlarge", "--name", "t-life", "--region", REGION, "--ssh-cidr", "192.0.2.10/32",
            "--ttl", "3h", "--no-wait")
    res = launch(run_tool, *args)
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    iid, lid = out["instances"][0], out["launch_id"]
    status = run_tool("instance_status", "--region", REGION, "--no-check-ssh")
    row = next(r for r in status.json["data"]["instances"] if r["id"] == iid)
    assert row["type"] == "g5.xlarge" and row["name"] == "t-life" and 2.9 < row["ttl_left_h"] <= 3
    assert row["price_per_hour"] and row["cost_so_far"] is not None
    before = leftovers(sandbox, lid)
    seen = {r["type"] for r in run_tool("scan", "--region", REGION).json["data"]["resources"]
            if (r.get("tags") or {}).get("awswiz:launch-id") == lid}
    assert {"ec2:instance", "ec2:volume", "ec2:key-pair"} <= seen  # what the scan after terminate must not show
    assert before["instances"] == [iid] and len(before["groups"]) == 1 and len(before["keys"]) == 1
    plan = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    ops = [(a["action"], a["type"]) for a in plan.json["data"]["plan"]]
    assert ops == [("terminate", "ec2:instance"), ("delete-launch-group", "vpc:security-group"),
                   ("delete-launch-key", "ec2:key-pair")]
    done = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm",
                    plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert leftovers(sandbox, lid) == {"instances": [], "volumes": [], "groups": [], "keys": []}
    scan = run_tool("scan", "--region", REGION)
    mine = [r for r in scan.json["data"]["resources"] if (r.get("tags") or {}).get("awswiz:launch-id") == lid
            and r.get("state") != "terminated"]
    assert scan.code == 0 and mine == []  # scan shows nothing of the launch left


def test_terminate_keeps_a_group_another_instance_uses(sandbox, run_tool):
    args = ("--region", REGION, "--ssh-cidr", "192.0.2.11/32", "--no-wait")
    first = launch(run_tool, "--type", "g5.xlarge", "--name", "t-share-a", *args).json["data"]["results"][0]
    second = launch(run_tool, "--type", "g5.xlarge", "--name", "t-share-b", *args).json["data"]["results"][0]
    assert first["security_group"] == second["security_group"]  # an identical group is reused
    plan = run_tool("terminate", "--type", "ec2", "--id", first["instances"][0], "--region", REGION)
    assert [a["action"] for a in plan.json["data"]["plan"]] == ["terminate", "delete-launch-key"]


def test_persistent_spot_launch_has_its_request_and_terminate_cancels_it_first(sandbox, run_tool):
    # EC2 User Guide, "Work with Spot Instances": RunInstances with spot market options makes the request;
    # "Terminate a Spot Instance": cancel a persistent request first, or AWS launches a replacement
    res = launch(run_tool, "--type", "g5.xlarge", "--name", "t-spot-life", "--region", REGION, "--spot", "persistent",
                 "--ssh-cidr", "192.0.2.12/32", "--no-wait")
    out = res.json["data"]["results"][0]
    iid, lid = out["instances"][0], out["launch_id"]
    reqs = sandbox.client("ec2", REGION).describe_spot_instance_requests(
        Filters=[{"Name": "instance-id", "Values": [iid]}])["SpotInstanceRequests"]
    assert [(r["Type"], r["InstanceInterruptionBehavior"]) for r in reqs] == [("persistent", "stop")]
    plan = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert [a["action"] for a in plan.json["data"]["plan"]][:2] == ["cancel-spot-request", "terminate"]
    done = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm",
                    plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert leftovers(sandbox, lid) == {"instances": [], "volumes": [], "groups": [], "keys": []}
    req = sandbox.client("ec2", REGION).describe_spot_instance_requests(
        SpotInstanceRequestIds=[reqs[0]["SpotInstanceRequestId"]])["SpotInstanceRequests"][0]
    assert req["State"] == "cancelled"  # nothing left to relaunch the box


def test_one_time_spot_launch_cannot_be_stopped(sandbox, run_tool):
    res = launch(run_tool, "--type", "g5.xlarge", "--name", "t-spot-once", "--region", REGION, "--spot",
                 "--ssh-cidr", "192.0.2.13/32", "--no-wait")
    iid = res.json["data"]["results"][0]["instances"][0]
    stop = run_tool("stop", "--id", iid, "--region", REGION)
    assert stop.code == 0 and stop.json["data"]["plan"] == []  # left out and explained: test_exit_codes
    assert stop.json["data"]["skipped"][0]["id"] == iid and "one-time" in stop.json["data"]["skipped"][0]["reason"]


def test_status_reads_expiry_tags_at_the_ends_of_the_calendar(sandbox, run_tool):
    # an expiry tag anyone can write (year 9999 or 0001, other zones, no offset) must not fail the listing:
    # instance_status reads it with reap's reader (expiry.py) and says what it could not read
    ec2 = sandbox.client("ec2", REGION)
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    values = ["9999-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59-05:00",
              "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59", "soon"]
    ids = {}
    for v in values:
        tags = [{"Key": "awswiz:managed", "Value": "true"}, {"Key": "awswiz:expires-at", "Value": v},
                {"Key": "awswiz:launch-id", "Value": "t-calendar"}]
        ids[v] = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=[
            {"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"]
    r = run_tool("instance_status", "--region", REGION, "--no-check-ssh")
    assert r.code == 0, r.stdout + r.stderr
    rows = {x["id"]: x for x in r.json["data"]["instances"]}
    assert rows[ids["9999-12-31T23:59:59+00:00"]]["ttl_left_h"] > 60_000_000
    assert rows[ids["0001-01-01T00:00:00+00:00"]]["ttl_left_h"] == 0
    for v in values[2:]:
        assert "ttl_left_h" not in rows[ids[v]] and v in rows[ids[v]]["expiry_error"], v


def test_persistent_spot_with_a_ttl_stops_and_launches_nothing_new(sandbox, run_tool):
    # what the refusal of --on-shutdown terminate points at: a persistent box whose TTL stops it. The OS shutdown
    # stops it ("Change instance initiated shutdown behavior"); its request is disabled, nothing replaces it
    from test_spot_rules import shutdown_from_instance

    res = launch(run_tool, "--type", "g5.xlarge", "--name", "t-spot-ttl", "--region", REGION, "--spot", "persistent",
                 "--ttl", "2h", "--ssh-cidr", "192.0.2.14/32", "--no-wait")
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    iid = out["instances"][0]
    assert shutdown_from_instance(sandbox, iid, REGION)["behaviour"] == "stop"
    assert leftovers(sandbox, out["launch_id"])["instances"] == [iid]
    ec2 = sandbox.client("ec2", REGION)
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"
    req = ec2.describe_spot_instance_requests(Filters=[{"Name": "instance-id", "Values": [iid]}])
    assert [r["State"] for r in req["SpotInstanceRequests"]] == ["disabled"]
