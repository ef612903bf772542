"""terminate.py: EC2 (what stays behind, --snapshot first) and S3 (versions and delete markers)."""

from __future__ import annotations

import pytest
from guard_flow import Flow
from mutation_helpers import instance, mutating_calls, name, state

REGION = "sa-east-1"
S3_REGION = "eu-north-1"


def test_ec2_lists_what_stays_behind_and_snapshots_first(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2, keep_root=True)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    root = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    flow = Flow(sandbox, run_tool, state_dir, "terminate", "--type", "ec2", "--id", iid, "--region", REGION,
                "--snapshot")
    plan, r = flow.run()
    assert [a["action"] for a in plan["plan"]] == ["snapshot", "terminate"]
    stays = " ".join(plan["plan"][1]["detail"]["stays_behind"])
    assert root in stays and alloc in stays
    assert state(ec2, iid) in ("shutting-down", "terminated")
    snap_id = r.json["data"]["results"][0]["snapshot_id"]
    snap = ec2.describe_snapshots(SnapshotIds=[snap_id])["Snapshots"][0]
    assert snap["VolumeId"] == root and {"Key": "awswiz:managed", "Value": "true"} in snap["Tags"]
    assert flow.ops == ["CreateSnapshot", "TerminateInstances"]
    assert ec2.describe_volumes(VolumeIds=[root])["Volumes"]  # it stayed, as the plan said
    ec2.release_address(AllocationId=alloc)


def test_versioned_bucket_is_emptied_in_batches_then_deleted(sandbox, run_tool, state_dir):
    s3 = sandbox.client("s3", S3_REGION)
    bucket = name("awswiz-test-versions")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    for i in range(420):
        s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b"a")
        s3.put_object(Bucket=bucket, Key=f"k/{i}", Body=b"bb")
        if i % 2:
            s3.delete_object(Bucket=bucket, Key=f"k/{i}")  # a delete marker
    mark = sandbox.mark()
    flow = Flow(sandbox, run_tool, state_dir, "terminate", "--type", "s3", "--id", bucket)
    plan, r = flow.run()
    detail = plan["plan"][0]["detail"]
    assert detail["object_versions"] == 840 and detail["delete_markers"] == 210 and detail["batches"] == 2
    assert plan["plan"][0]["region"] == S3_REGION
    assert r.json["data"]["results"][0]["deleted_versions"] == 1050
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    server = mutating_calls(sandbox, mark)
    assert [c["method"] for c in server] == ["POST", "POST", "DELETE"]  # 2 DeleteObjects, DeleteBucket
    assert flow.ops == ["DeleteObjects", "DeleteObjects", "DeleteBucket"]


def test_protected_bucket_is_refused_and_survives(sandbox, run_tool):
    s3 = sandbox.client("s3", S3_REGION)
    bucket = name("awswiz-test-prod")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "stage", "Value": "prod"}]})
    s3.put_object(Bucket=bucket, Key="x", Body=b"x")
    r = run_tool("terminate", "--type", "s3", "--id", bucket)
    assert r.code == 4 and "protected" in r.json["errors"][0]["message"]
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_max_holds_for_buckets(sandbox, run_tool):
    s3 = sandbox.client("s3", S3_REGION)
    buckets = [name("awswiz-test-max") for _ in range(2)]
    for b in buckets:
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": S3_REGION})
    r = run_tool("terminate", "--type", "s3", "--id", ",".join(buckets), "--max", "1")
    assert r.code == 4 and "--max 1" in r.json["errors"][0]["message"]
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert all(b in names for b in buckets)


@pytest.mark.parametrize("args", [  # bad flags and ids of a bad form: test_bad_input.py (no sandbox)
    ("--type", "s3", "--id", "awswiz-no-such-bucket-xyz"), ("--type", "ec2", "--id", "i-0123456789abcdef0"),
])
def test_unknown_id_is_exit_2_and_changes_nothing(sandbox, run_tool, state_dir, args):
    mark = sandbox.mark()
    r = run_tool("terminate", *args, "--region", REGION)
    assert r.code == 2, r.stdout + r.stderr
    assert r.json["errors"][0]["code"] == "BadInput"
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()


def launched_box(ec2, *, volume_tags: dict) -> tuple[str, str, str]:
    """(instance, launch id, data volume): an instance tagged as launch.py tags it, with a data volume attached
    (attached volumes keep DeleteOnTermination false: EC2 API Reference, AttachVolume / BlockDeviceMapping)."""
    lid = name("lid")
    box = instance(ec2, tags={"awswiz:managed": "true", "awswiz:launch-id": lid})
    az = ec2.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"]
    tags = [{"Key": k, "Value": v.replace("LID", lid)} for k, v in volume_tags.items()]
    vol = ec2.create_volume(Size=1, AvailabilityZone=az, TagSpecifications=[{"ResourceType": "volume", "Tags": tags}]
                            if tags else [])["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=box, Device="/dev/sdf")
    return box, lid, vol


def volume_ops(state_dir, vol: str) -> list[str]:
    from mutation_helpers import audit_lines

    return [s["operation"] for s in audit_lines(state_dir) if vol in s["resources"]]


def test_a_launched_box_leaves_a_data_volume_that_is_not_its_launchs(sandbox, run_tool, state_dir):
    # issue 19 (1): a protected data volume someone attached to a launched box was deleted with it. Only what the
    # launch made (awswiz:managed=true with the box's awswiz:launch-id) goes; the rest stays, as the plan says
    # (EC2 User Guide, "Preserve data when an instance is terminated": DeleteOnTermination false volumes stay)
    ec2 = sandbox.client("ec2", REGION)
    box, _, vol = launched_box(ec2, volume_tags={"awswiz:protected": "true"})
    plan, r = Flow(sandbox, run_tool, state_dir, "terminate", "--type", "ec2", "--id", box, "--region", REGION).run()
    assert [a["action"] for a in plan["plan"]] == ["terminate"], plan["plan"]
    assert vol in " ".join(plan["plan"][0]["detail"]["stays_behind"])
    assert state(ec2, box) in ("shutting-down", "terminated")
    assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["VolumeId"] == vol  # still there
    assert volume_ops(state_dir, vol) == []
    ec2.delete_volume(VolumeId=vol)


def test_a_protected_volume_of_the_launch_blocks_the_box(sandbox, run_tool, state_dir):
    # issue 19 (1): the plan listed delete-launch-volume unblocked for an awswiz:protected volume: each step
    # carries its resource's own tags, and the guard blocks the whole target (exit 4, nothing sent)
    ec2 = sandbox.client("ec2", REGION)
    box, _, vol = launched_box(ec2, volume_tags={"awswiz:managed": "true", "awswiz:launch-id": "LID",
                                                 "awswiz:protected": "true"})
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2", "--id", box, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert vol in r.json["errors"][0]["message"] and "protected" in r.json["errors"][0]["message"]
    assert r.json["data"]["confirm"] is None and mutating_calls(sandbox, mark) == []
    assert state(ec2, box) == "running"
    assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["State"] == "in-use"
    assert not (state_dir / "audit.jsonl").exists()
    ec2.create_tags(Resources=[vol], Tags=[{"Key": "awswiz:protected", "Value": "false"}])
    plan, _ = Flow(sandbox, run_tool, state_dir, "terminate", "--type", "ec2", "--id", box, "--region", REGION).run()
    assert [(a["action"], a["id"]) for a in plan["plan"]] == [("terminate", box), ("delete-launch-volume", vol)]
    assert not ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"]
    assert volume_ops(state_dir, vol) == ["DeleteVolume"]
