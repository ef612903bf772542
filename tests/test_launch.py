"""launch.py against the sandbox: what it creates and how (tags, key file, SSH rule, IMDSv2, encryption, spot,
user data with the TTL timer), failover with refused capacity, the quota message, idempotency, rollback, and
bad input that creates nothing."""

from __future__ import annotations

import base64
import json
import os
import stat

import pytest

MANAGED = {"Name": "tag:awswiz:managed", "Values": ["true"]}


def set_faults(sandbox, faults: list[dict]) -> None:
    assert sandbox.control("SetCapacityFaults", faults=faults)["faults"] == faults


@pytest.fixture
def faults(sandbox):
    yield lambda f: set_faults(sandbox, f)
    set_faults(sandbox, [])


LAB_REGIONS = ("us-east-1", "us-west-2", "eu-west-1")


@pytest.fixture(autouse=True)
def cleanup_launches(sandbox):
    """Leave the worker's shared lab as it was: other tests count its running GPUs, quotas and spot requests."""
    yield
    clean_launches(sandbox)


def clean_launches(sandbox) -> None:
    for region in LAB_REGIONS:
        ec2 = sandbox.client("ec2", region)
        f = [{"Name": "tag-key", "Values": ["awswiz:launch-id"]},
             {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        ids = [i["InstanceId"] for r in ec2.describe_instances(Filters=f)["Reservations"] for i in r["Instances"]]
        if ids:
            reqs = ec2.describe_spot_instance_requests(Filters=[{"Name": "instance-id", "Values": ids}])
            rids = [r["SpotInstanceRequestId"] for r in reqs["SpotInstanceRequests"]]
            if rids:
                ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=rids)
            ec2.terminate_instances(InstanceIds=ids)
        for g in ec2.describe_security_groups(Filters=[{"Name": "tag:awswiz:managed", "Values": ["true"]}])[
                "SecurityGroups"]:
            try:
                ec2.delete_security_group(GroupId=g["GroupId"])
            except Exception:  # noqa: BLE001 - still held: left for the next cleanup
                pass
        for k in ec2.describe_key_pairs(Filters=[{"Name": "tag:awswiz:managed", "Values": ["true"]}])["KeyPairs"]:
            ec2.delete_key_pair(KeyName=k["KeyName"])


def counts(sandbox, region: str = "us-east-1") -> dict:
    ec2 = sandbox.client("ec2", region)
    insts = [i for r in ec2.describe_instances(Filters=[MANAGED])["Reservations"] for i in r["Instances"]
             if i["State"]["Name"] != "terminated"]
    return {"instances": len(insts), "keys": len(ec2.describe_key_pairs()["KeyPairs"]),
            "groups": len(ec2.describe_security_groups()["SecurityGroups"])}


def launch(run_tool, *args, confirm=True):
    plan = run_tool("launch", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    if not confirm:
        return plan
    token = plan.json["data"]["confirm"]
    return run_tool("launch", *args, "--confirm", token)


def instance(sandbox, iid: str, region: str = "us-east-1") -> dict:
    return sandbox.client("ec2", region).describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def test_plan_creates_nothing_then_confirm_creates_everything_tagged(sandbox, run_tool, state_dir):
    before = counts(sandbox)
    plan = launch(run_tool, "--type", "g5.xlarge", "--name", "t-basic", "--ttl", "2h", "--init", "nvidia_check",
                  "--no-wait", confirm=False)
    assert counts(sandbox) == before  # nothing created by the plan
    detail = plan.json["data"]["plan"][0]["detail"]
    assert detail["ssh_rule"].startswith("tcp/22 from 127.0.0.1/32")
    assert detail["ami"]["name"] and detail["ami"]["created"] and detail["price_per_hour"] > 0
    assert detail["price_per_gpu_hour"] and detail["shutdown_behavior"] == "terminate" and "ttl" in detail
    res = run_tool("launch", "--type", "g5.xlarge", "--name", "t-basic", "--ttl", "2h", "--init", "nvidia_check",
                   "--no-wait", "--confirm", plan.json["data"]["confirm"])
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    iid = out["instances"][0]
    inst = instance(sandbox, iid)
    tags = {t["Key"]: t["Value"] for t in inst["Tags"]}
    for k in ("awswiz:managed", "awswiz:owner", "awswiz:created-at", "awswiz:expires-at", "awswiz:launch-id"):
        assert tags.get(k), k
    assert tags["awswiz:managed"] == "true"
    # IMDSv2 required (EC2 API Reference, InstanceMetadataOptionsRequest: HttpTokens "required" means IMDSv2 is
    # required and IMDSv1 disabled)
    assert inst["MetadataOptions"]["HttpTokens"] == "required"
    ec2 = sandbox.client("ec2")
    vol = ec2.describe_volumes(VolumeIds=[inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]])["Volumes"][0]
    assert vol["Encrypted"] and {t["Key"]: t["Value"] for t in vol["Tags"]}["awswiz:managed"] == "true"
    # set explicitly: an OS shutdown stops an EBS-backed instance by default (EC2 User Guide, "Change instance
    # initiated shutdown behavior"), and the TTL timer relies on that shutdown terminating it
    behaviour = ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")
    assert behaviour["InstanceInitiatedShutdownBehavior"]["Value"] == "terminate"
    # the group: only 22/tcp from the caller's CIDR, tagged
    group = ec2.describe_security_groups(GroupIds=[out["security_group"]])["SecurityGroups"][0]
    assert group["GroupName"] == "awswiz-ssh-127.0.0.1/32"
    assert [(p["IpProtocol"], p["FromPort"], p["ToPort"], [r["CidrIp"] for r in p["IpRanges"]])
            for p in group["IpPermissions"]] == [("tcp", 22, 22, ["127.0.0.1/32"])]
    assert {t["Key"]: t["Value"] for t in group["Tags"]}["awswiz:managed"] == "true"
    # the key: ed25519, tagged, private half 0600 in .state/keys
    pair = ec2.describe_key_pairs(KeyNames=[out["key"]])["KeyPairs"][0]
    assert pair["KeyType"] == "ed25519" and {t["Key"]: t["Value"] for t in pair["Tags"]}["awswiz:managed"] == "true"
    pem = state_dir / "keys" / f"{out['key']}.pem"
    assert stat.S_IMODE(os.stat(pem).st_mode) == 0o600 and "PRIVATE KEY" in pem.read_text()
    # user data: the TTL timer at the tagged expiry, then the init script
    ud = base64.b64decode(ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"])
    text = ud.decode()
    expires = tags["awswiz:expires-at"].replace("T", " ")[:19]
    assert f"OnCalendar={expires} UTC" in text and "systemctl enable --now awswiz-ttl.timer" in text
    assert "nvidia-smi --query-gpu" in text and text.index("awswiz-ttl") < text.index("nvidia_check")
    audit = [json.loads(line) for line in (state_dir / "audit.jsonl").read_text().splitlines()]
    assert any(a.get("operation") == "RunInstances" and a.get("confirm") == plan.json["data"]["confirm"] for a in audit)


def test_confirming_twice_starts_no_second_box(sandbox, run_tool):
    args = ("--type", "g5.xlarge", "--name", "t-twice", "--no-wait")
    plan = launch(run_tool, *args, confirm=False)
    token = plan.json["data"]["confirm"]
    assert run_tool("launch", *args, "--confirm", token).code == 0
    after_first = counts(sandbox)
    again = run_tool("launch", *args, "--confirm", token)
    assert again.code == 4 and "already applied" in again.json["errors"][0]["message"]
    assert counts(sandbox) == after_first


def test_idempotent_by_launch_id(sandbox):
    """A launch whose id already tags an instance returns it instead of starting another (the tag lookup,
    not only the single-use token)."""
    from _awswiz.compute.launch_run import LAUNCH_TAG, find_launched

    ec2 = sandbox.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    tags = [{"ResourceType": "instance", "Tags": [{"Key": LAUNCH_TAG, "Value": "lid-test-1"}]}]
    out = ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, TagSpecifications=tags)
    iid = out["Instances"][0]["InstanceId"]

    class Ctx:
        class aws:  # noqa: N801 - a stand-in for ctx.aws
            @staticmethod
            def client(service, region):
                return sandbox.client(service, region)

    assert [i["InstanceId"] for i in find_launched(Ctx, ["us-east-1"], "lid-test-1")] == [iid]
    assert find_launched(Ctx, ["us-east-1"], "lid-other") == []


def test_spot_one_time_and_persistent(sandbox, run_tool, state_dir):
    # EC2 User Guide, "Behavior of Spot Instance interruptions": stop on interruption needs a persistent request
    for extra, kind, behaviour, shutdown in (([], "one-time", "terminate", "terminate"),
                                             (["persistent", "--max-price", "0.9"], "persistent", "stop", "stop")):
        # the manual's form `--spot persistent`; the plan's next command repeats it as flags that work
        res = launch(run_tool, "--type", "g5.xlarge", "--name", f"t-spot-{kind}", "--spot", *extra, "--no-wait")
        assert res.code == 0, res.stdout + res.stderr
        iid = res.json["data"]["results"][0]["instances"][0]
        assert instance(sandbox, iid)["InstanceLifecycle"] == "spot"
        # moto keeps no spot request for RunInstances: what was asked is checked in the audit log
        sent = [json.loads(line) for line in (state_dir / "audit.jsonl").read_text().splitlines()]
        run = [a for a in sent if a.get("operation") == "RunInstances" and a.get("phase") == "sent"][-1]["params"]
        opts = run["InstanceMarketOptions"]["SpotOptions"]
        assert opts["SpotInstanceType"] == kind and opts["InstanceInterruptionBehavior"] == behaviour
        assert run["InstanceInitiatedShutdownBehavior"] == shutdown
        assert ("MaxPrice" in opts) == (kind == "persistent")


def test_failover_next_az_then_next_region(sandbox, run_tool, faults):
    plan = launch(run_tool, "--type", "g5.xlarge", "--name", "t-fail", "--region", "us-east-1,us-west-2",
                  "--no-wait", confirm=False)
    first = plan.json["data"]["plan"][0]["detail"]["region"]
    other = "us-west-2" if first == "us-east-1" else "us-east-1"
    azs = plan.json["data"]["plan"][0]["detail"]["azs"]
    # every AZ of the first region refuses: InsufficientInstanceCapacity on all but the last, Unsupported there
    faults([{"type": "g5.xlarge", "region": first, "azs": azs[:-1]},
            {"type": "g5.xlarge", "region": first, "azs": azs[-1:], "code": "Unsupported"}])
    res = run_tool("launch", "--type", "g5.xlarge", "--name", "t-fail", "--region", "us-east-1,us-west-2",
                   "--no-wait", "--confirm", plan.json["data"]["confirm"])
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    assert out["region"] == other
    codes = [(a["region"], a["az"], a["code"]) for a in out["attempts"]]
    assert codes[:len(azs)] == [(first, az, "Unsupported" if az == azs[-1] else "InsufficientInstanceCapacity")
                                for az in azs]
    assert codes[-1][0] == other and codes[-1][2] == "ok"
    assert instance(sandbox, out["instances"][0], other)["State"]["Name"] in ("pending", "running")


def test_vcpu_limit_moves_to_next_region_and_names_the_quota(sandbox, run_tool, faults):
    args = ("--type", "g5.xlarge", "--name", "t-vcpu", "--region", "us-east-1,us-west-2", "--no-wait")
    plan = launch(run_tool, *args, confirm=False)
    first = plan.json["data"]["plan"][0]["detail"]["region"]
    faults([{"type": "g5.xlarge", "region": first, "code": "VcpuLimitExceeded"}])
    res = run_tool(*("launch", *args, "--confirm", plan.json["data"]["confirm"]))
    out = res.json["data"]["results"][0]
    assert res.code == 0 and out["region"] != first
    limit = out["attempts"][0]
    assert limit["code"] == "VcpuLimitExceeded" and limit["then"] == "next region"
    assert limit["request"].startswith("uv run tools/quota_request.py --code L-DB2E81BA --value ")
    assert limit["request"].endswith(f"--region {first}")
    assert len([a for a in out["attempts"] if a["region"] == first]) == 1  # other AZs would not help


def test_quota_too_small_is_explained_with_the_request_command(sandbox, run_tool):
    before = counts(sandbox)
    res = run_tool("launch", "--type", "g5.48xlarge", "--count", "50", "--max", "50", "--region", "us-east-1",
                   "--no-wait")
    assert res.code == 1
    err = res.json["errors"][0]
    assert err["code"] == "QuotaExceeded" and "L-DB2E81BA" in err["message"]
    assert "uv run tools/quota_request.py --code L-DB2E81BA --value" in err["hint"]
    assert "--region us-east-1" in err["hint"]
    assert counts(sandbox) == before


def test_vcpu_limit_everywhere_fails_with_the_request_command(sandbox, run_tool, faults):
    args = ("--type", "g5.xlarge", "--name", "t-vcpu-all", "--region", "us-east-1", "--no-wait")
    plan = launch(run_tool, *args, confirm=False)
    faults([{"type": "g5.xlarge", "region": "us-east-1", "code": "VcpuLimitExceeded"}])
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    assert res.code == 1
    err = next(e for e in res.json["errors"] if e["code"] == "LaunchFailed")
    assert "uv run tools/quota_request.py --code L-DB2E81BA" in err["hint"]


def test_failed_launch_rolls_back_what_it_made(sandbox, run_tool, state_dir, faults):
    args = ("--type", "g5.xlarge", "--name", "t-rollback", "--region", "us-east-1", "--ssh-cidr", "198.51.100.7/32",
            "--no-wait")
    before = counts(sandbox)
    plan = launch(run_tool, *args, confirm=False)
    faults([{"type": "g5.xlarge", "region": "us-east-1"}])
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    assert res.code == 1
    out = res.json["data"]["results"][0]
    assert {r["type"] for r in out["rolled_back"]} == {"vpc:security-group", "ec2:key-pair", "file"}
    assert all(r["ok"] for r in out["rolled_back"])
    assert counts(sandbox) == before
    assert not list((state_dir / "keys").glob("*.pem"))
    audit = [json.loads(line).get("operation") for line in (state_dir / "audit.jsonl").read_text().splitlines()]
    assert "DeleteSecurityGroup" in audit and "DeleteKeyPair" in audit


def test_world_open_ssh_only_when_explicit_and_warned(sandbox, run_tool):
    res = run_tool("launch", "--type", "g5.xlarge", "--ssh-cidr", "0.0.0.0/0", "--no-wait")
    detail = res.json["data"]["plan"][0]["detail"]
    assert "0.0.0.0/0" in detail["ssh_rule"] and "whole internet" in detail["warnings"][0]


@pytest.mark.parametrize("args,needle", [  # flags refused before any call: test_bad_input.py (no sandbox)
    (["--type", "zz9.huge"], "not an EC2 instance type"),
    (["--type", "g5.xlarge", "--region", "ap-east-1"], "not enabled"),
    (["--type", "g5.xlarge", "--key", "lab-key"], "no private key"),
])
def test_bad_input_exit_2_creates_nothing(sandbox, run_tool, args, needle):
    before = counts(sandbox)
    res = run_tool("launch", *args)
    assert res.code == 2, res.stdout + res.stderr
    assert needle in res.json["errors"][0]["message"]
    assert counts(sandbox) == before


def test_disk_smaller_than_the_image_is_refused_in_the_plan(sandbox, run_tool):
    # botocore EbsBlockDevice.VolumeSize: "If you specify a snapshot, the default is the snapshot size. You can
    # specify a volume size that is equal to or larger than the snapshot size"
    before = counts(sandbox)
    res = run_tool("launch", "--type", "g5.xlarge", "--disk", "10", "--region", "us-east-1")
    assert res.code == 2, res.stdout + res.stderr
    err = res.json["errors"][0]
    assert "--disk 10 GB is smaller than the image's root snapshot" in err["message"] and "15 GB" in err["message"]
    assert "--disk 15" in err["hint"]
    assert counts(sandbox) == before
    ok = run_tool("launch", "--type", "g5.xlarge", "--disk", "15", "--region", "us-east-1")
    assert ok.code == 0, ok.stdout + ok.stderr


def test_sandbox_refuses_a_root_volume_smaller_than_its_snapshot(sandbox):
    # AWS answers RunInstances with InvalidBlockDeviceMapping "Volume of size 10GB is smaller than snapshot
    # 'snap-...', expect size >= 15GB" (botocore EbsBlockDevice.VolumeSize: equal to or larger than the snapshot)
    from botocore.exceptions import ClientError

    ec2 = sandbox.client("ec2")
    img = ec2.describe_images(Owners=["amazon"])["Images"][0]
    root = next(m for m in img["BlockDeviceMappings"] if m["DeviceName"] == img["RootDeviceName"])
    def every():
        return [i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]

    before = every()
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=img["ImageId"], InstanceType="t3.micro", MinCount=1, MaxCount=1,
                          BlockDeviceMappings=[{"DeviceName": img["RootDeviceName"], "Ebs": {"VolumeSize": 10}}])
    assert exc.value.response["Error"]["Code"] == "InvalidBlockDeviceMapping"
    assert exc.value.response["Error"]["Message"] == (
        f"Volume of size 10GB is smaller than snapshot '{root['Ebs']['SnapshotId']}', "
        f"expect size >= {root['Ebs']['VolumeSize']}GB")
    assert every() == before


def test_undetectable_ip_is_bad_input(monkeypatch):
    from _awswiz.compute import launch_plan
    from _awswiz.shell.errors import BadInput

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(launch_plan, "public_ip", lambda: None)

    class Ctx:
        sandbox = False

    with pytest.raises(BadInput) as e:
        launch_plan.detect_cidr(Ctx, None)
    assert "--ssh-cidr" in e.value.hint


def test_region_auto_ranks_usable_regions_by_price(sandbox, run_tool):
    res = run_tool("launch", "--type", "g5.xlarge", "--region", "auto", "--no-wait")
    assert res.code == 0, res.stdout + res.stderr
    detail = res.json["data"]["plan"][0]["detail"]
    fallbacks = [f.split(":")[0] for f in detail["fallbacks"]]
    assert len(fallbacks) >= 2 and fallbacks[0] == detail["region"]
    assert all(s["reason"] for s in res.json["data"]["skipped"])  # each region left out says why


def test_key_reuse_imports_nothing_new(sandbox, run_tool, state_dir):
    first = launch(run_tool, "--type", "g5.xlarge", "--name", "t-key-a", "--no-wait").json["data"]["results"][0]
    keys_before = counts(sandbox)["keys"]
    res = launch(run_tool, "--type", "g5.xlarge", "--name", "t-key-b", "--key", first["key"], "--no-wait")
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    assert out["key"] == first["key"] and counts(sandbox)["keys"] == keys_before
    assert instance(sandbox, out["instances"][0])["KeyName"] == first["key"]


def spot_history(sandbox, region: str, itype: str) -> dict[str, float]:
    hist = sandbox.client("ec2", region).describe_spot_price_history(
        InstanceTypes=[itype], ProductDescriptions=["Linux/UNIX"])["SpotPriceHistory"]
    return {p["AvailabilityZone"]: float(p["SpotPrice"]) for p in hist}


def test_spot_tries_azs_cheapest_first_and_moves_on_when_the_price_is_too_low(sandbox, run_tool, faults):
    # a spot price is per AZ (DescribeSpotPriceHistory answers one per AZ); RunInstances answers SpotMaxPriceTooLow
    # when the AZ's price is above MaxPrice ("Your Spot request price of ... is lower than the minimum required Spot
    # request fulfillment price of ...", aws/aws-parallelcluster-node#415, which fails over on it): another AZ may
    # be cheaper, so the launch goes on there, and the box is priced at its own AZ's price
    args = ("--type", "g5.xlarge", "--name", "t-spot-azs", "--region", "us-east-1", "--spot", "--no-wait")
    plan = launch(run_tool, *args, confirm=False)
    detail = plan.json["data"]["plan"][0]["detail"]
    prices = spot_history(sandbox, "us-east-1", "g5.xlarge")
    azs = detail["azs"]
    assert [prices[az] for az in azs] == sorted(prices[az] for az in azs) and len(set(prices.values())) > 1
    assert detail["spot_prices_by_az"] == {az: prices[az] for az in azs}
    ipv4 = detail["price_per_hour"] - detail["spot_price"]  # the box's public IPv4 address (test_costs_now)
    assert detail["spot_price"] == prices[azs[0]] and 0 < ipv4 < 0.01
    faults([{"type": "g5.xlarge", "region": "us-east-1", "azs": azs[:1], "code": "SpotMaxPriceTooLow"}])
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    assert [(a["az"], a["code"], a.get("then")) for a in out["attempts"]] == [
        (azs[0], "SpotMaxPriceTooLow", "next AZ"), (azs[1], "ok", None)]
    assert out["az"] == azs[1] and out["price_per_hour"] == pytest.approx(prices[azs[1]] + ipv4, abs=1e-4)
    iid = out["instances"][0]
    assert instance(sandbox, iid)["Placement"]["AvailabilityZone"] == azs[1]
    status = run_tool("instance_status", "--region", "us-east-1", "--no-check-ssh")
    row = next(r for r in status.json["data"]["instances"] if r["id"] == iid)
    assert row["price_per_hour"] == prices[azs[1]] != min(prices.values())


def test_sandbox_refuses_a_max_price_below_the_az_price_or_below_a_tenth_of_a_cent(sandbox):
    # EC2 API Reference, SpotMarketOptions.MaxPrice: below USD $0.001 is InvalidParameterValue; above it but below
    # the AZ's spot price RunInstances answers SpotMaxPriceTooLow, and nothing is launched
    from botocore.exceptions import ClientError

    ec2 = sandbox.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    az, price = min(spot_history(sandbox, "us-east-1", "g5.xlarge").items(), key=lambda kv: kv[1])
    before = ec2.describe_instances()["Reservations"]
    for max_price, code in (("0.0005", "InvalidParameterValue"), (f"{price - 0.01:.4f}", "SpotMaxPriceTooLow")):
        with pytest.raises(ClientError) as exc:
            ec2.run_instances(ImageId=ami, InstanceType="g5.xlarge", MinCount=1, MaxCount=1,
                              Placement={"AvailabilityZone": az}, InstanceMarketOptions={
                                  "MarketType": "spot", "SpotOptions": {"MaxPrice": max_price}})
        assert exc.value.response["Error"]["Code"] == code
    assert f"fulfillment price of {price}" in exc.value.response["Error"]["Message"]
    assert ec2.describe_instances()["Reservations"] == before


def test_sandbox_run_instances_is_idempotent_by_client_token(sandbox):
    # EC2 Developer Guide, "Ensuring idempotency in Amazon EC2 API requests": a retry with the same client token and
    # parameters completes without doing anything more; other parameters: IdempotentParameterMismatch
    from botocore.exceptions import ClientError

    ec2 = sandbox.client("ec2")
    ami = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    args = {"ImageId": ami, "InstanceType": "t3.micro", "MinCount": 1, "MaxCount": 1, "ClientToken": "t-idem-1",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": [{"Key": "awswiz:launch-id", "Value": "x"}]}]}
    first = ec2.run_instances(**args)
    again = ec2.run_instances(**args)
    assert [i["InstanceId"] for i in again["Instances"]] == [i["InstanceId"] for i in first["Instances"]]
    assert again["ReservationId"] == first["ReservationId"]
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(**{**args, "InstanceType": "t3.small"})
    assert exc.value.response["Error"]["Code"] == "IdempotentParameterMismatch"


def launched(sandbox, lid: str, region: str = "us-east-1") -> list[str]:
    f = [{"Name": "tag:awswiz:launch-id", "Values": [lid]}]
    return [i["InstanceId"] for r in sandbox.client("ec2", region).describe_instances(Filters=f)["Reservations"]
            for i in r["Instances"]]


@pytest.mark.parametrize("fault, code", [
    ({"code": "RequestLimitExceeded", "times": 1}, "RequestLimitExceeded"),           # throttled before launching
    ({"code": "InternalError", "times": 1, "after_launch": True}, "InternalError"),  # launched, answer lost
])
def test_run_instances_retries_throttling_and_server_errors_with_the_same_token(sandbox, run_tool, state_dir,
                                                                                faults, fault, code):
    # one RequestLimitExceeded or 500 must not roll a launch back: RunInstances is sent again with the same
    # ClientToken, so a request AWS already carried out launches nothing more (EC2 Developer Guide, "Ensuring
    # idempotency in Amazon EC2 API requests")
    args = ("--type", "g5.xlarge", "--name", f"t-retry-{code}", "--region", "us-east-1", "--no-wait")
    plan = launch(run_tool, *args, confirm=False)
    faults([{"type": "g5.xlarge", "region": "us-east-1", **fault}])
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    assert [(a["code"], a.get("retried")) for a in out["attempts"]] == [("ok", [code])]
    assert launched(sandbox, out["launch_id"]) == out["instances"] and len(out["instances"]) == 1
    sent = [json.loads(line) for line in (state_dir / "audit.jsonl").read_text().splitlines()]
    tokens = [a["params"]["ClientToken"] for a in sent if a.get("operation") == "RunInstances"
              and a.get("phase") == "sent" and a.get("confirm") == plan.json["data"]["confirm"]]
    assert len(tokens) == 2 and len(set(tokens)) == 1


def test_persistent_spot_plan_says_the_request_expires_and_a_max_price_below_every_az(sandbox, run_tool):
    # EC2 API Reference, SpotMarketOptions ValidUntil: a persistent request stays active until ValidUntil,
    # "Default: 7 days from the current date"
    res = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1", "--spot", "--persistent",
                   "--max-price", "0.01")
    assert res.code == 0, res.stdout + res.stderr
    detail = res.json["data"]["plan"][0]["detail"]
    assert "7 days after launch" in detail["note"]
    assert "SpotMaxPriceTooLow" in detail["warnings"][0]
