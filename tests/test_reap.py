"""reap.py: expired managed resources are removed (plan + confirm, or unattended under --policy); unmanaged,
unexpired, protected and malformed-expiry resources never are."""

from __future__ import annotations

import datetime as _dt
import hashlib
import subprocess
import sys

import pytest
from conftest import TOOLS, clean_env
from mutation_helpers import audit_lines, instance, name, state

REGION = "ap-northeast-3"  # no other test uses it: reap sees only these tests' resources
OTHER = "ap-southeast-1"
PAST = "2020-01-01T00:00:00+00:00"


def launched(ec2, expires: str | None = PAST, **extra: str) -> str:
    """An instance tagged as launch.py tags it (launch.instance_tags)."""
    tags = {"awswiz:managed": "true", "awswiz:owner": "launch",
            "awswiz:created-at": "2019-12-31T00:00:00+00:00", **extra}
    if expires is not None:
        tags["awswiz:expires-at"] = expires
    return instance(ec2, tags=tags)


def future() -> str:
    return (_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=1)).isoformat(timespec="seconds")


def deletes(state_dir) -> list[dict]:
    return [s for s in audit_lines(state_dir) if s["operation"] in ("TerminateInstances", "StopInstances")]


def write_policy(tmp_path, text: str, mode: int = 0o600):
    path = tmp_path / "reap-policy.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


POLICY = f'types = ["ec2:instance"]\nregions = ["{REGION}"]\nmax = 5\n'


def test_plan_then_confirm_reaps_only_the_expired_managed_instance(sandbox, run_tool, state_dir, guarded):
    ec2 = sandbox.client("ec2", REGION)
    target = launched(ec2)
    keep = {
        "unmanaged": instance(ec2, tags={"awswiz:expires-at": PAST}),
        # "Tag keys and values are case-sensitive" (Amazon EC2 API Reference, "Tag"; "Tag your Amazon EC2
        # resources", Tag restrictions): "True" is another value than launch.py's "true": not AwsWiz's
        "managed-True": launched(ec2, **{"awswiz:managed": "True"}),
        "unexpired": launched(ec2, expires=future()),
        "no-expiry": launched(ec2, expires=None),
        "prod-env": launched(ec2, Env="Prod "),  # protection reads keys and values stripped, case-folded
        "protected": launched(ec2, **{"awswiz:protected": "yes"}),
        "trailing-space": launched(ec2, expires=PAST + " "),
        "no-offset": launched(ec2, expires="2020-01-01T00:00:00"),
        "not-a-date": launched(ec2, expires="yesterday"),
        "key-case": launched(ec2, expires=None, **{"AWSWIZ:Expires-At": PAST}),
    }
    inherited = launched(ec2)  # its root volume (deleted with it) is protected: the instance is kept too
    root = ec2.describe_instances(InstanceIds=[inherited])["Reservations"][0]["Instances"][0][
        "BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    ec2.create_tags(Resources=[root], Tags=[{"Key": "environment", "Value": "production"}])
    keep["inherited"] = inherited

    flow = guarded("reap", "--region", REGION)
    data = flow.plan()  # a plan changes nothing
    assert [(a["action"], a["id"]) for a in data["plan"]] == [("terminate", target)]
    assert data["plan"][0]["detail"]["expires_at"] == PAST
    reasons = {s["id"]: s["reason"] for s in data["skipped"]}
    for k in ("trailing-space", "no-offset", "not-a-date"):
        assert "malformed" in reasons[keep[k]], reasons
    assert "not exactly awswiz:expires-at" in reasons[keep["key-case"]]
    assert "protected" in reasons[keep["prod-env"]] and "protected" in reasons[keep["protected"]]
    assert "is protected" in reasons[keep["inherited"]] and root in reasons[keep["inherited"]]
    assert "not expired" in reasons[keep["unexpired"]]
    assert set(data["skipped"][0]) == {"id", "region", "type", "name", "reason"}

    flow.confirm()  # the audit log is what the server saw
    assert state(ec2, target) in ("shutting-down", "terminated")
    for what, iid in keep.items():
        assert state(ec2, iid) == "running", what
    assert [(d["operation"], d["resources"]) for d in deletes(state_dir)] == [("TerminateInstances", [target])]

    again = run_tool("reap", "--region", REGION)  # what is terminated is not planned again
    assert again.code == 0 and target not in [a["id"] for a in again.json["data"]["plan"]]


def test_policy_reaps_in_one_run_and_audits_the_policy(sandbox, run_tool, state_dir, tmp_path):
    ec2 = sandbox.client("ec2", REGION)
    target, young = launched(ec2), launched(ec2, expires=future())
    policy = write_policy(tmp_path, POLICY)
    r = run_tool("reap", "--policy", str(policy))
    assert r.code == 0, r.stdout + r.stderr
    data = r.json["data"]
    assert data["applied"] is True and data["policy"]["sha256"] == hashlib.sha256(policy.read_bytes()).hexdigest()
    assert target in [x["id"] for x in data["results"] if x["ok"]]
    assert state(ec2, target) in ("shutting-down", "terminated") and state(ec2, young) == "running"
    lines = [__import__("json").loads(x) for x in (state_dir / "audit.jsonl").read_text().splitlines()]
    pol = [x for x in lines if x["phase"] == "policy"]
    assert len(pol) == 1 and pol[0]["sha256"] == data["policy"]["sha256"] and pol[0]["policy"] == str(policy)
    sent = [x for x in deletes(state_dir) if target in x["resources"]]
    assert len(sent) == 1 and sent[0]["confirm"] == f"policy:{data['policy']['sha256'][:16]}"
    assert lines.index(pol[0]) < lines.index(sent[0])  # the policy line comes before the calls it allowed


def test_policy_without_expiry_does_nothing(sandbox, run_tool, state_dir, tmp_path):
    ec2 = sandbox.client("ec2", REGION)
    ids = [launched(ec2, expires=None), launched(ec2, expires="2020-01-01 00:00"), instance(ec2)]
    r = run_tool("reap", "--policy", str(write_policy(tmp_path, POLICY)))
    assert r.code == 0, r.stdout + r.stderr
    assert not any(x["id"] in ids for x in r.json["data"].get("results", r.json["data"].get("plan", [])))
    assert all(state(ec2, i) == "running" for i in ids)
    assert not [s for s in audit_lines(state_dir) if set(s["resources"]) & set(ids)]


def attach(ec2, iid: str, **tags: str) -> str:
    """A 1 GiB volume attached to the instance (DeleteOnTermination false: it outlives the instance)."""
    az = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["Placement"]["AvailabilityZone"]
    spec = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    vol = ec2.create_volume(Size=1, AvailabilityZone=az, TagSpecifications=spec)["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=iid, Device="/dev/sdf")
    return vol


def test_policy_removes_no_part_that_is_not_itself_managed_and_expired(sandbox, run_tool, state_dir, tmp_path):
    # issue 19 (2): an unattended policy run deleted an env=prod volume, not managed, attached to an expired
    # launched box. A policy covers each action on its own resource: the box goes (it is managed and expired);
    # a volume someone attached, and a volume of the launch that is not itself expired, stay
    ec2 = sandbox.client("ec2", REGION)
    lids = name("lid"), name("lid")
    box, other = (launched(ec2, **{"awswiz:launch-id": lid}) for lid in lids)
    prod = attach(ec2, box, env="prod")
    kept = attach(ec2, other, **{"awswiz:managed": "true", "awswiz:launch-id": lids[1], "awswiz:expires-at": future()})
    r = run_tool("reap", "--policy", str(write_policy(tmp_path, POLICY)), "--no-schedules")
    assert r.code == 0, r.stdout + r.stderr
    assert {x["id"] for x in r.json["data"]["results"]} == {box, other}, r.json["data"]
    assert {state(ec2, box), state(ec2, other)} <= {"shutting-down", "terminated"}
    said = {x["id"]: x["reason"] for x in r.json["data"]["skipped"]}
    assert "not itself managed and expired" in said[kept] and "not expired" in said[kept], said
    for vol in (prod, kept):
        assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["VolumeId"] == vol
        assert not [s for s in audit_lines(state_dir) if vol in s["resources"]]
        ec2.delete_volume(VolumeId=vol)


def snapshots_of(ec2, ami: str) -> list[str]:
    return [m["Ebs"]["SnapshotId"] for m in ec2.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"]
            if (m.get("Ebs") or {}).get("SnapshotId")]


def test_a_teardown_marker_never_removes_a_live_or_foreign_ami(sandbox, run_tool, state_dir):
    # issue 19: anyone who may tag a snapshot could write awswiz:teardown-of=AMI and make reap deregister a live,
    # unmanaged, unexpired AMI. A marker is trusted only on a snapshot the tools manage (removers/ebs writes
    # awswiz:managed=true with it), and only for an AMI that is no longer registered
    ec2 = sandbox.client("ec2", REGION)
    src = instance(ec2)
    foreign, live = (ec2.create_image(InstanceId=src, Name=name("t-ami"))["ImageId"] for _ in range(2))
    snaps = {ami: snapshots_of(ec2, ami) for ami in (foreign, live)}
    ec2.create_tags(Resources=snaps[foreign], Tags=[{"Key": "awswiz:teardown-of", "Value": foreign}])
    ec2.create_tags(Resources=snaps[live], Tags=[{"Key": "awswiz:teardown-of", "Value": live},
                                                 {"Key": "awswiz:managed", "Value": "true"}])
    plan = run_tool("reap", "--region", REGION, "--no-schedules")
    assert plan.code == 0, plan.stdout + plan.stderr
    mine = {foreign, live, *snaps[foreign], *snaps[live]}
    assert not [a for a in plan.json["data"]["plan"] if a["id"] in mine or a.get("target") in mine]
    said = {x["id"]: x["reason"] for x in plan.json["data"]["skipped"]}
    assert "not trusted" in said[snaps[foreign][0]] and "still registered" in said[live], said
    if plan.json["data"]["confirm"]:  # the rest of the region's plan runs; the AMIs are not part of it
        r = run_tool("reap", "--region", REGION, "--no-schedules", "--confirm", plan.json["data"]["confirm"])
        assert r.code == 0, r.stdout + r.stderr
    assert {i["ImageId"] for i in ec2.describe_images(ImageIds=[foreign, live])["Images"]} == {foreign, live}
    assert len(ec2.describe_snapshots(SnapshotIds=[*snaps[foreign], *snaps[live]])["Snapshots"]) == 2
    assert not [s for s in audit_lines(state_dir) if set(s["resources"]) & mine]
    for ami in (foreign, live):
        ec2.deregister_image(ImageId=ami)
    for sid in (*snaps[foreign], *snaps[live]):
        ec2.delete_snapshot(SnapshotId=sid)
    ec2.terminate_instances(InstanceIds=[src])


def test_expiry_at_the_ends_of_the_calendar_does_not_crash_reap(sandbox, run_tool, state_dir):
    # issue 18 (9): an expiry tag in year 9999 or 0001 (valid ISO 8601, the ends of Python's datetime range) must
    # not crash reap: 0001 has long passed (reaped), 9999 has not (skipped, not expired)
    ec2 = sandbox.client("ec2", REGION)
    old, far = launched(ec2, expires="0001-01-01T00:00:00Z"), launched(ec2, expires="9999-12-31T00:00:00Z")
    plan = run_tool("reap", "--region", REGION, "--no-schedules")
    assert plan.code == 0, plan.stdout + plan.stderr
    data = plan.json["data"]
    assert [(a["action"], a["id"]) for a in data["plan"] if a["id"] in (old, far)] == [("terminate", old)]
    assert "not expired" in {s["id"]: s["reason"] for s in data["skipped"]}[far]
    r = run_tool("reap", "--region", REGION, "--no-schedules", "--confirm", data["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert state(ec2, old) in ("shutting-down", "terminated") and state(ec2, far) == "running"
    assert [d["resources"] for d in deletes(state_dir) if set(d["resources"]) & {old, far}] == [[old]]
    ec2.terminate_instances(InstanceIds=[far])


# a bad policy, --policy with --confirm: exit 2 before anything is sent (test_bad_input.py, no sandbox)
BAD_POLICIES = {
    "malformed": (POLICY + "max = [", 0o600, "not valid TOML"),
    "too-broad": (POLICY + "unexpired = true\n", 0o600, "only expired, managed, unprotected"),
    "wildcard-type": (POLICY.replace('"ec2:instance"', '"*"'), 0o600, "no wildcards"),
    "unknown-key": (POLICY + "owner = \"me\"\n", 0o600, "valid keys"),
    "max-too-high": (POLICY.replace("max = 5", "max = 100000"), 0o600, "from 1 to"),
    "world-writable": (POLICY, 0o666, "world-writable"),
    "symlink": (POLICY, 0o600, "symbolic link"),
}


def test_policy_refuses_the_whole_run_outside_its_regions(sandbox, run_tool, state_dir, tmp_path):
    inside, outside = launched(sandbox.client("ec2", REGION)), launched(sandbox.client("ec2", OTHER))
    r = run_tool("reap", "--policy", str(write_policy(tmp_path, POLICY)), "--region", f"{REGION},{OTHER}")
    assert r.code == 4, r.stdout + r.stderr
    assert "outside the policy" in r.json["errors"][0]["message"] and OTHER in r.json["errors"][0]["message"]
    assert r.json["next"] == [] and r.json["data"]["confirm"] is None  # unattended: no token to follow
    assert state(sandbox.client("ec2", REGION), inside) == "running"
    assert state(sandbox.client("ec2", OTHER), outside) == "running"
    assert not audit_lines(state_dir)
    sandbox.client("ec2", OTHER).terminate_instances(InstanceIds=[outside])  # leave OTHER as it was


def test_two_policy_reaps_at_once_apply_once(sandbox, state_dir, tmp_path):
    ec2 = sandbox.client("ec2", REGION)
    target = launched(ec2)
    policy = write_policy(tmp_path, POLICY)
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(state_dir))
    procs = [subprocess.Popen([sys.executable, str(TOOLS / "reap.py"), "--policy", str(policy)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert state(ec2, target) in ("shutting-down", "terminated")
    assert len([d for d in deletes(state_dir) if target in d["resources"]]) == 1, outs


def test_the_claim_of_an_action_is_won_once(state_dir, monkeypatch):
    """In-process: two runs that planned the same action on the same state claim it once between them."""
    from _awswiz import guard
    from _awswiz.guard import tokens as plans

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(state_dir))
    a = guard.Action(op="terminate", type="ec2:instance", id="i-0123456789abcdef0", region=REGION,
                     state={"state": "running", "expires_at": PAST})
    key = guard.claim_key("123456789012", a)
    held = plans.claim_action(key)
    assert held is not None and plans.claim_action(key) is None  # held while the run lives
    plans.settle_action(held, applied=False)  # a failed action gives its claim back
    held = plans.claim_action(key)
    assert held is not None
    plans.settle_action(held, applied=True)
    assert plans.claim_action(key) is None  # applied: never again, by any run
    b = guard.Action(op="stop", type="ec2:instance", id=a.id, region=REGION, state={"window": "stopped since x"})
    assert guard.claim_key("123456789012", b) != key


def test_a_claim_left_by_a_killed_run_is_taken_over(state_dir, monkeypatch):
    """A run killed between claiming and applying leaves "held ..." in the claim file but no lock (the kernel
    drops a dead process's locks): the next run takes it over. An old one-line claim (a time) counts as
    applied. A link planted as a claim file is refused, never followed."""
    from _awswiz.guard import tokens as plans
    from _awswiz.shell import state

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(state_dir))
    left = plans.state_dir("plans") / "a1b2c3d4e5f60718.claim"
    left.write_text("held 1700000000.0 pid 999999\n")
    held = plans.claim_action("a1b2c3d4e5f60718")
    assert held is not None
    plans.settle_action(held, applied=True)
    assert left.read_text().startswith("done ")
    old = plans.state_dir("plans") / "0718a1b2c3d4e5f6.claim"
    old.write_text("1700000000.0\n")
    assert plans.claim_action("0718a1b2c3d4e5f6") is None
    (plans.state_dir("plans") / "ffff000011112222.claim").symlink_to(state_dir / "elsewhere")
    with pytest.raises(state.StateError):
        plans.claim_action("ffff000011112222")
    assert not (state_dir / "elsewhere").exists()


def test_an_expired_bucket_is_reaped_once_and_only_in_the_regions_asked(sandbox, run_tool, state_dir):
    # GetResources "returns all the tagged or previously tagged resources that are located in the specified
    # Region" (Resource Groups Tagging API Reference, "GetResources"); a bucket is located in its own region
    s3 = sandbox.client("s3", REGION)
    tags = {"TagSet": [{"Key": "awswiz:managed", "Value": "true"}, {"Key": "awswiz:expires-at", "Value": PAST}]}
    here, there = name("awswiz-reap-here"), name("awswiz-reap-there")
    s3.create_bucket(Bucket=here, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3_other = sandbox.client("s3", OTHER)
    s3_other.create_bucket(Bucket=there, CreateBucketConfiguration={"LocationConstraint": OTHER})
    for client, b in ((s3, here), (s3_other, there)):
        client.put_bucket_tagging(Bucket=b, Tagging=tags)
        client.put_object(Bucket=b, Key="k", Body=b"x")
    plan = run_tool("reap", "--region", REGION)
    assert plan.code == 0, plan.stdout + plan.stderr
    buckets = [a for a in plan.json["data"]["plan"] if a["type"] == "s3:bucket"]
    assert [(a["id"], a["region"]) for a in buckets] == [(here, REGION)]
    r = run_tool("reap", "--region", REGION, "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert here not in names and there in names
    assert [s["operation"] for s in audit_lines(state_dir)].count("DeleteBucket") == 1
    s3_other.delete_object(Bucket=there, Key="k")
    s3_other.delete_bucket(Bucket=there)


def test_policy_outside_names_every_action_it_does_not_cover(tmp_path):
    """In-process: the guard's backstop. Each action is judged on its own tags, a step planned for another
    target by that target, and schedules only with schedules = true."""
    from _awswiz import guard
    from _awswiz.inventory.table import BY_TYPE
    from _awswiz.removal import policy

    pol = policy.load(str(write_policy(tmp_path, POLICY)), BY_TYPE)
    managed = {"awswiz:managed": "true", "awswiz:expires-at": PAST}

    def act(op, rid, tags, kind="ec2:instance", region=REGION, target=None, detail=None):
        return guard.Action(op=op, type=kind, id=rid, region=region, tags=tags, target=target, detail=detail or {})

    plan = guard.Plan(actions=[
        act("terminate", "i-ok", managed),
        act("delete-launch-group", "sg-untagged", {}, "ec2:security-group", target="i-ok"),
        act("terminate", "i-young", {**managed, "awswiz:expires-at": future()}),
        act("terminate", "i-prod", {**managed, "Env": " prod"}),
        act("terminate", "i-elsewhere", managed, region=OTHER),
        act("empty-and-delete", "bucket-x", managed, "s3:bucket"),
        act("delete-launch-group", "sg-orphan", {}, "ec2:security-group", target="i-young"),
        act("stop", "i-sched", {"awswiz:schedule": "stop=00:00;start=23:59;tz=UTC"}, detail={"schedule": "x"}),
        # a part removed with a covered target must itself be managed and expired (issue 19, item 2)
        act("delete-launch-volume", "vol-prod", {"env": "prod"}, "ec2:volume", target="i-ok"),
        act("delete-launch-volume", "vol-young", {**managed, "awswiz:expires-at": future()}, "ec2:volume",
            target="i-ok"),
        act("delete-launch-volume", "vol-ok", managed, "ec2:volume", target="i-ok"),
        act("cancel-spot-request", "sir-ok", {}, "ec2:spot-request", target="i-ok"),
    ])
    out = "\n".join(pol.outside(plan))
    assert "i-ok" not in out and "vol-ok" not in out and "sir-ok" not in out
    for rid, why in [("i-young", "not expired"), ("i-prod", "protected"), ("i-elsewhere", "not in regions"),
                     ("bucket-x", "not in types"), ("sg-orphan", "outside the policy"),
                     ("i-sched", "schedules are not allowed"), ("vol-prod", "not managed"),
                     ("vol-young", "not expired"), ("sg-untagged", "not itself managed and expired")]:
        assert f" {rid}: " in out and why in out.split(f" {rid}: ")[1].split("\n")[0], (rid, out)


NOW = _dt.datetime(2026, 11, 24, 12, 0, tzinfo=_dt.UTC)


@pytest.mark.parametrize("tags,expired,why", [
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T11:59:59+00:00"}, True, None),
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T12:00:00Z"}, True, None),  # at the instant: due
    # compared in UTC: 12:30 at +01:00 is 11:30 UTC (passed); 12:30 at -01:00 is 13:30 UTC (not yet)
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T12:30:00+01:00"}, True, None),
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T12:30:00-01:00"}, False, "not expired"),
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T11:00:00+00:00 "}, False, "malformed"),
    ({"awswiz:managed": "true", "awswiz:expires-at": " 2026-11-24T11:00:00+00:00"}, False, "malformed"),
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24 11:00:00+00:00"}, False, "malformed"),
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-11-24T11:00:00"}, False, "malformed"),  # no offset
    ({"awswiz:managed": "true", "awswiz:expires-at": "2026-02-30T11:00:00Z"}, False, "not a real date"),
    ({"awswiz:managed": "true", "Awswiz:Expires-At": "2020-01-01T00:00:00Z"}, False, "not exactly"),
    ({"awswiz:managed": "true"}, False, None),
    ({"awswiz:managed": "TRUE", "awswiz:expires-at": "2020-01-01T00:00:00Z"}, False, "not managed"),
    ({"awswiz:managed": "true ", "awswiz:expires-at": "2020-01-01T00:00:00Z"}, False, "not managed"),
])
def test_expiry_is_read_strictly_and_in_utc(tags, expired, why):
    from _awswiz.removal import expiry

    got, reason = expiry.judge(tags, NOW)
    assert got is expired and (reason is None if why is None else why in reason), reason


def test_the_readme_policy_sample_is_a_valid_policy(tmp_path):
    import re

    from _awswiz.inventory.table import BY_TYPE
    from _awswiz.removal import policy
    from conftest import ROOT

    sample = re.search(r"```toml\n(# \.github/reap-policy\.toml\n.*?)```", (ROOT / "README.md").read_text(), re.S)
    pol = policy.load(str(write_policy(tmp_path, sample.group(1))), BY_TYPE)
    assert pol.types == ("ec2:instance", "s3:bucket") and pol.schedules is True
    assert "--policy .github/reap-policy.toml" in (ROOT / "README.md").read_text()
