"""terminate.py --tag: a whole lab in one plan (issue 25, item 1), dependencies first, one token; protected
resources refused and listed; bad tag forms exit 2 with nothing sent.

The order relies on these AWS rules (each cited in the remover that plans it):
- DeleteSecurityGroup: a group a network interface still uses is refused with DependencyViolation (EC2 API
  Reference, DeleteSecurityGroup); an instance's interfaces go once it is terminated ("Delete a security group",
  Amazon VPC User Guide), so the group goes after the instance (vpc:security-group's Row.first: ec2:instance).
- DeleteVolume: only an `available` volume is deleted, else VolumeInUse (EC2 API Reference, DeleteVolume): a root
  volume kept by DeleteOnTermination=false goes after its instance is terminated (ec2:volume's Row.first).
- ReleaseAddress: an associated address is disassociated first, else InvalidIPAddress.InUse (EC2 API Reference,
  ReleaseAddress); DisassociateAddress is idempotent ("If you perform the operation more than once, Amazon EC2
  doesn't return an error": EC2 API Reference), so it holds after the instance is gone too.
- DeleteBucket: only an empty bucket is deleted, BucketNotEmpty otherwise (S3 API Reference, DeleteBucket): its
  object versions go first (s3_empty.py).
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading

import pytest
from conftest import TOOLS, clean_env
from mutation_helpers import assert_audit_matches_server, instance, mutating_calls, name

REGION = "eu-west-2"  # no other test uses it


def tagspec(kind: str, tags: dict) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def lab(sandbox, project: str) -> dict:
    """An instance with its (kept) root volume, an Elastic IP on it, its security group and key pair, and a bucket
    with an object, all tagged project=PROJECT, in REGION."""
    ec2, s3 = sandbox.client("ec2", REGION), sandbox.client("s3", REGION)
    tags = {"project": project}
    key = ec2.create_key_pair(KeyName=name("lab-key"), TagSpecifications=tagspec("key-pair", tags))
    sg = ec2.create_security_group(GroupName=name("lab-sg"), Description="lab",
                                   TagSpecifications=tagspec("security-group", tags))["GroupId"]
    iid = instance(ec2, tags=tags, keep_root=True, KeyName=key["KeyName"], SecurityGroupIds=[sg])
    vol = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0][
        "NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.create_tags(Resources=[vol, eni], Tags=[{"Key": "project", "Value": project}])
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=tagspec("elastic-ip", tags))["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=iid)
    bucket = name("lab-bucket")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "project", "Value": project}]})
    s3.put_object(Bucket=bucket, Key="weights.bin", Body=b"w")
    return {"instance": iid, "volume": vol, "eni": eni, "eip": eip, "sg": sg, "key": key["KeyPairId"],
            "key_name": key["KeyName"], "bucket": bucket}


def plan_and_confirm(run_tool, *args):
    plan = run_tool("terminate", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    return plan.json["data"], run_tool("terminate", *args, "--confirm", plan.json["data"]["confirm"])


def test_a_lab_goes_in_one_plan_dependencies_first(sandbox, run_tool, state_dir):
    project = name("lab")
    ids = lab(sandbox, project)
    mark = sandbox.mark()
    plan, r = plan_and_confirm(run_tool, "--tag", f"project={project}", "--region", REGION)
    steps = [(a["type"], a["action"], a["id"]) for a in plan["plan"]]
    assert steps == [
        ("ec2:instance", "terminate", ids["instance"]),
        ("ec2:volume", "delete", ids["volume"]),            # after its instance: VolumeInUse before
        ("ec2:elastic-ip", "disassociate", ids["eip"]),
        ("ec2:elastic-ip", "release", ids["eip"]),
        ("ec2:key-pair", "delete", ids["key"]),
        ("vpc:security-group", "delete", ids["sg"]),        # after the instance: DependencyViolation before
        ("s3:bucket", "empty-and-delete", ids["bucket"]),
    ], steps
    assert plan["plan"][1]["detail"]["after"] == f"instance {ids['instance']} is terminated"
    # its primary interface (tagged too) goes with it: AWS deletes it on termination (DeleteOnTermination)
    assert [(s["id"], s["reason"]) for s in plan["skipped"]] == [
        (ids["eni"], f"deleted with instance {ids['instance']} (DeleteOnTermination)")]
    assert r.code == 0, r.stdout + r.stderr
    assert all(x["ok"] for x in r.json["data"]["results"])
    assert r.json["next"] == [f"uv run tools/scan.py --tag project={project} --region {REGION}"]
    # states after the call
    ec2, s3 = sandbox.client("ec2", REGION), sandbox.client("s3", REGION)
    assert ec2.describe_instances(InstanceIds=[ids["instance"]])["Reservations"][0]["Instances"][0][
        "State"]["Name"] in ("shutting-down", "terminated")
    assert ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [ids["volume"]]}])["Volumes"] == []
    assert ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [ids["eip"]]}])["Addresses"] == []
    assert ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [ids["sg"]]}])["SecurityGroups"] == []
    assert ids["key_name"] not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    assert ids["bucket"] not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    ops = [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)]
    assert ops == ["TerminateInstances", "DeleteVolume", "DisassociateAddress", "ReleaseAddress", "DeleteKeyPair",
                   "DeleteSecurityGroup", "DeleteObjects", "DeleteBucket"], ops
    again = run_tool("terminate", "--tag", f"project={project}", "--region", REGION)
    assert again.code == 0 and again.json["data"]["plan"] == []


@pytest.mark.parametrize("protect", [{"awswiz:protected": "true"}, {"env": "prod"}])
def test_protected_tagged_resources_are_refused_listed_and_kept(sandbox, run_tool, state_dir, protect):
    ec2 = sandbox.client("ec2", REGION)
    project = name("lab")
    tags = {"project": project}
    kept = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1,
                             TagSpecifications=tagspec("volume", {**tags, **protect}))["VolumeId"]
    gone = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1,
                             TagSpecifications=tagspec("volume", tags))["VolumeId"]
    guarded = instance(ec2, tags={**tags, **protect})
    mark = sandbox.mark()
    plan, r = plan_and_confirm(run_tool, "--tag", f"project={project}", "--region", REGION)
    assert [a["id"] for a in plan["plan"]] == [gone]
    refused = {s["id"]: s["reason"] for s in plan["skipped"]}
    assert set(refused) == {kept, guarded} and all("protected" in why for why in refused.values())
    assert r.code == 0, r.stdout + r.stderr
    assert ec2.describe_volumes(VolumeIds=[kept])["Volumes"][0]["State"] == "available"
    assert ec2.describe_instances(InstanceIds=[guarded])["Reservations"][0]["Instances"][0][
        "State"]["Name"] == "running"
    ops = [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)]
    assert ops == ["DeleteVolume"]
    ec2.create_tags(Resources=[guarded, kept], Tags=[{"Key": "project", "Value": "done"}])  # out of later plans


def test_type_keeps_to_one_type_and_no_match_names_the_tags(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    project = name("lab")
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=1,
                            TagSpecifications=tagspec("volume", {"project": project}))["VolumeId"]
    ec2.create_key_pair(KeyName=name("k"), TagSpecifications=tagspec("key-pair", {"project": project}))
    only = run_tool("terminate", "--tag", f"project={project}", "--type", "ec2:volume", "--region", REGION)
    assert only.code == 0 and [a["id"] for a in only.json["data"]["plan"]] == [vol]
    mark = sandbox.mark()
    none = run_tool("terminate", "--tag", "project=no-such-lab", "--region", REGION)
    assert none.code == 0, none.stdout + none.stderr
    data = none.json["data"]
    assert data["plan"] == [] and data["confirm"] is None and "no-such-lab" in data["message"]
    assert project in data["tags_in_use"]["project"]
    assert mutating_calls(sandbox, mark) == []


class Counter(http.server.BaseHTTPRequestHandler):
    seen = 0

    def do_POST(self):  # noqa: N802 - http.server's name
        Counter.seen += 1
        self.send_error(500)

    do_GET = do_POST  # noqa: N815

    def log_message(self, *args):
        pass


BLANK = [("--tag", ""), ("--tag", "project="), ("--tag", "=x"), ("--tag", "project"), ("--tag", "project =x"),
         ("--tag", "project=x "), ("--tag", " project=x"), ("--tag", "project=a", "--tag", "project=b")]
TERMINATE_ONLY = [("--tag", "project=x", "--id", "i-0123456789abcdef0", "--type", "ec2"),
                  ("--tag", "project=x", "--type", "rds"), ("--tag", "project=x", "--type", "ec2:volume", "--snapshot")]
STOP_ONLY = [("--tag", "project=x", "--id", "i-0123456789abcdef0")]


@pytest.mark.parametrize("tool,args", [("terminate", a) for a in BLANK + TERMINATE_ONLY]
                         + [("stop", a) for a in BLANK + STOP_ONLY])
def test_bad_tag_is_exit_2_and_sends_nothing(tmp_path, tool, args):
    """No emulator: a local endpoint that counts every request it gets proves nothing was sent."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Counter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    Counter.seen = 0
    try:
        env = clean_env(AWS_ENDPOINT_URL=f"http://127.0.0.1:{server.server_port}", AWSWIZ_STATE_DIR=str(tmp_path))
        p = subprocess.run([sys.executable, str(TOOLS / f"{tool}.py"), *args, "--region", REGION], env=env,
                           capture_output=True, text=True, timeout=60)
    finally:
        server.shutdown()
    assert p.returncode == 2, p.stdout + p.stderr
    assert '"BadInput"' in p.stdout and Counter.seen == 0
    if args in BLANK:  # the message names the form
        assert "KEY=VALUE" in p.stdout or "twice" in p.stdout
    assert not (tmp_path / "audit.jsonl").exists()
