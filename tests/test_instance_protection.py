"""Instance protections read while planning: stop and termination protection, instance-store roots, and
protection inherited between an instance and its volumes. Blocked in the plan, never half-way."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError
from mutation_helpers import instance, mutating_calls, state

REGION = "ca-central-1"


def root_volume(ec2, iid: str) -> str:
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    return inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]


def test_termination_protection_is_blocked_with_the_command_that_lifts_it(sandbox, run_tool, state_dir):
    # EC2 User Guide, "Enable termination protection": TerminateInstances fails with OperationNotPermitted
    # while disableApiTermination is true; the sandbox refuses as AWS does.
    ec2 = sandbox.client("ec2", REGION)
    iid, later = instance(ec2, DisableApiTermination=True), instance(ec2)  # at launch (moto drops it: ec2_rules)
    ec2.modify_instance_attribute(InstanceId=later, DisableApiTermination={"Value": True})
    for protected in (iid, later):
        with pytest.raises(ClientError) as refused:
            ec2.terminate_instances(InstanceIds=[protected])
        assert refused.value.response["Error"]["Code"] == "OperationNotPermitted"
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    lift = f"aws ec2 modify-instance-attribute --instance-id {iid} --no-disable-api-termination --region {REGION}"
    assert lift in r.json["data"]["plan"][0]["blocked"] and lift in r.json["errors"][0]["message"]
    assert r.json["data"]["confirm"] is None and mutating_calls(sandbox, mark) == []
    assert state(ec2, iid) == "running"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    plan = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert plan.code == 0 and "blocked" not in plan.json["data"]["plan"][0]


def test_stop_protection_is_blocked_with_the_command_that_lifts_it(sandbox, run_tool):
    # EC2 User Guide, "Enable stop protection for your EC2 instances": StopInstances fails while
    # disableApiStop is true (OperationNotPermitted).
    ec2 = sandbox.client("ec2", REGION)
    iid, other = instance(ec2, DisableApiStop=True, tags={"team": "p"}), instance(ec2, tags={"team": "p"})
    with pytest.raises(ClientError) as refused:
        ec2.stop_instances(InstanceIds=[iid])
    assert refused.value.response["Error"]["Code"] == "OperationNotPermitted"
    mark = sandbox.mark()
    r = run_tool("stop", "--id", iid, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert (f"aws ec2 modify-instance-attribute --instance-id {iid} --no-disable-api-stop --region {REGION}"
            in r.json["errors"][0]["message"])
    # selected by tag: the protected one is skipped with the reason, the other is planned
    by_tag = run_tool("stop", "--tag", "team=p", "--region", REGION)
    assert [a["id"] for a in by_tag.json["data"]["plan"]] == [other]
    assert [s["id"] for s in by_tag.json["data"]["skipped"]] == [iid]
    assert "disableApiStop" in by_tag.json["data"]["skipped"][0]["reason"]
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"


def test_instance_store_root_cannot_stop(sandbox, run_tool):
    # EC2 API Reference, "StopInstances": stopping an instance with an instance-store root device returns an
    # error (an AMI registered from an image manifest, ImageLocation, is instance-store backed).
    ec2 = sandbox.client("ec2", REGION)
    ami = ec2.register_image(Name=f"store-{uuid.uuid4().hex[:6]}", ImageLocation="awswiz-amis/store.manifest.xml")
    iid = ec2.run_instances(ImageId=ami["ImageId"], MinCount=1, MaxCount=1, InstanceType="m3.medium")[
        "Instances"][0]["InstanceId"]
    with pytest.raises(ClientError) as refused:
        ec2.stop_instances(InstanceIds=[iid])
    assert refused.value.response["Error"]["Code"] == "UnsupportedOperation"
    mark = sandbox.mark()
    r = run_tool("stop", "--id", iid, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    why = r.json["data"]["plan"][0]["blocked"]
    assert "instance store" in why and f"uv run tools/terminate.py --type ec2 --id {iid} --region {REGION}" in why
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"


def test_protected_instance_protects_its_volumes(sandbox, run_tool):
    # AGENTS.md protection rule: what a protected resource contains (an instance's volumes) is protected too.
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2, tags={"env": "prod"})
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--snapshot")
    assert r.code == 4, r.stdout + r.stderr
    snap = next(a for a in r.json["data"]["plan"] if a["action"] == "snapshot")
    assert snap["blocked"] == f"instance {iid} is protected: tag env=prod"  # the volume's own tags, the instance's
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"


def test_protected_volume_deleted_on_termination_blocks_it(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    doomed, kept = instance(ec2), instance(ec2, keep_root=True)
    for iid in (doomed, kept):
        ec2.create_tags(Resources=[root_volume(ec2, iid)], Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2", "--id", doomed, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert f"volume {root_volume(ec2, doomed)}" in r.json["errors"][0]["message"]
    calls = [c["action"] for c in sandbox.calls(mark) if c["action"] == "DescribeVolumes"]
    assert len(calls) == 1 and mutating_calls(sandbox, mark) == []
    # a protected volume that stays behind (DeleteOnTermination false) does not block
    ok = run_tool("terminate", "--type", "ec2", "--id", kept, "--region", REGION)
    assert ok.code == 0 and root_volume(ec2, kept) in " ".join(ok.json["data"]["plan"][0]["detail"]["stays_behind"])


def test_protected_interface_deleted_on_termination_blocks_it(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    iid = instance(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "DeleteOnTermination": True}])
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]
    assert eni["Attachment"]["DeleteOnTermination"] is True  # it goes with the instance
    ec2.create_tags(Resources=[eni["NetworkInterfaceId"]], Tags=[{"Key": "stage", "Value": "production"}])
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert f"network interface {eni['NetworkInterfaceId']}" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"
