"""A confirm of the multi-step removers (terminate --type ec2:image | iam:user | elb:load-balancer
--with-target-groups | ecs:cluster | eks:cluster), of reap and of schedule set, killed with SIGKILL right after
its first, its last and a seeded sample of its changing calls (every one in turn under `pytest -m nightly`), then
planned and confirmed again: nothing the first plan named is left, nothing else
is removed, and the re-plan does not fail on what is already gone (DESIGN.md: "A run killed half-way is finished
by planning and confirming again: the new plan holds everything still left to do").

The kill lands deterministically through the Gate of test_cleanup_resume: calls pass until the n-th changing
call has been answered, then the tool's next call (of any kind) is held and the tool is killed."""

from __future__ import annotations

import datetime as _dt
import json
import random
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from gate import kill_through
from mutation_helpers import audit_lines, instance, name
from test_removers_services import lb_with_target_group, user_with_everything

REGION = "eu-central-2"  # no other test uses it
REAP_REGION = "ap-south-2"  # reap sees every managed resource of its region: only this file uses it
PAST = "2020-01-01T00:00:00+00:00"
SEED = 20261206  # fixed: the same kill points on every run (a failure reproduces)
SAMPLED = 1      # kill points besides the first and the last; the nightly test takes them all
MANAGED = {"awswiz:managed": "true", "awswiz:owner": "launch", "awswiz:expires-at": PAST}


@dataclass
class Case:
    tool: str
    args: list[str]
    left: Callable[[], list[str]]   # what the first plan named that still exists
    kept: Callable[[], list[str]] = lambda: []  # what must survive (not named), that is gone

    @property
    def ids(self) -> list[str]:
        """The ids the command names (--id), none for reap."""
        return self.args[self.args.index("--id") + 1].split(",") if "--id" in self.args else []


def kill_after(sandbox, state_dir, tool: str, args: list[str], nth: int) -> bool:
    """Run a confirm through a gate; SIGKILL once the nth changing call is answered (the next call is held,
    never sent). False when the confirm finished first, exit 0 (it makes fewer than nth changing calls)."""
    code = kill_through(sandbox.url, state_dir, tool, args, None, nth)
    assert code in (None, 0), f"{tool} {args} failed through the gate (exit {code})"
    return code is None


def gone(fn: Callable[[], object], *codes: str) -> bool:
    """True when the describe call says the resource does not exist (one of codes)."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001 - the sandbox's answer is what is judged
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in codes:
            return True
        raise
    return False


# --- cases: each makes fresh resources (and one of the same kind that must stay) -----------------------

def ami(ec2, tags: dict | None = None) -> tuple[str, list[str]]:
    """An AMI made by CreateImage from an instance of its own (terminated at once), with its snapshots. moto
    snapshots the root volume only, and ignores RegisterImage's BlockDeviceMappings: one snapshot per AMI."""
    iid = instance(ec2)
    spec = [{"ResourceType": "image", "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}] if tags else []
    image = ec2.create_image(InstanceId=iid, Name=name("resume-ami"), TagSpecifications=spec)["ImageId"]
    ec2.terminate_instances(InstanceIds=[iid])
    maps = ec2.describe_images(ImageIds=[image])["Images"][0]["BlockDeviceMappings"]
    return image, [m["Ebs"]["SnapshotId"] for m in maps if m.get("Ebs", {}).get("SnapshotId")]


def image_state(ec2, amis: list[str], snaps: list[str]) -> list[str]:
    out = [i["ImageId"] for i in ec2.describe_images(Owners=["self"], Filters=[
        {"Name": "image-id", "Values": amis}])["Images"]]
    return out + [s["SnapshotId"] for s in ec2.describe_snapshots(OwnerIds=["self"], Filters=[
        {"Name": "snapshot-id", "Values": snaps}])["Snapshots"]]


def image_case(sandbox) -> Case:
    """An AMI with its snapshots (moto's CreateImage makes one: the root's), and another AMI that stays.
    Deregistering leaves the snapshots, billed (Amazon EC2 User Guide: Deregister an Amazon EC2 AMI), and a
    snapshot an AMI uses cannot be deleted first (EC2 API Reference, DeleteSnapshot: InvalidSnapshot.InUse)."""
    ec2 = sandbox.client("ec2", REGION)
    (image, snaps), (other, other_snaps) = ami(ec2), ami(ec2)
    return Case("terminate", ["--type", "ec2:image", "--id", image, "--region", REGION],
                left=lambda: image_state(ec2, [image], snaps),
                kept=lambda: sorted({other, *other_snaps} - set(image_state(ec2, [other], other_snaps))))


def user_state(iam, user: str, mfa: str | None) -> list[str]:
    left = [] if gone(lambda: iam.get_user(UserName=user), "NoSuchEntity") else [user]
    if mfa:
        left += [d["SerialNumber"] for d in iam.list_virtual_mfa_devices()["VirtualMFADevices"]
                 if d["SerialNumber"] == mfa]
    return left


def make_user(iam) -> tuple[str, str]:
    made = user_with_everything(iam)
    return made["user"], made["mfa"]


def user_case(sandbox) -> Case:
    """Everything attached goes before the user (IAM API Reference, DeleteUser: DeleteConflict), a virtual MFA
    device deactivated before it is deleted (DeleteVirtualMFADevice)."""
    iam = sandbox.client("iam")
    user, mfa = make_user(iam)
    other, other_mfa = make_user(iam)
    return Case("terminate", ["--type", "iam:user", "--id", user], left=lambda: user_state(iam, user, mfa),
                kept=lambda: sorted({other, other_mfa} - set(user_state(iam, other, other_mfa))))


def lb_state(elb, lb: dict, tg: dict) -> list[str]:
    lbs = {x["LoadBalancerArn"] for x in elb.describe_load_balancers()["LoadBalancers"]}
    tgs = {x["TargetGroupArn"] for x in elb.describe_target_groups()["TargetGroups"]}
    return [a for a in (lb["LoadBalancerArn"],) if a in lbs] + [a for a in (tg["TargetGroupArn"],) if a in tgs]


def lb_case(sandbox) -> Case:
    """"Deleting a load balancer also deletes its listeners"; its target groups stay (Elastic Load Balancing API
    Reference, DeleteLoadBalancer); a target group a listener forwards to cannot be deleted first
    (DeleteTargetGroup: ResourceInUse)."""
    elb, lb, tg = lb_with_target_group(sandbox, REGION)
    _, other, other_tg = lb_with_target_group(sandbox, REGION)
    return Case("terminate", ["--type", "elb:load-balancer", "--id", lb["LoadBalancerArn"], "--with-target-groups",
                              "--region", REGION], left=lambda: lb_state(elb, lb, tg),
                kept=lambda: sorted({other["LoadBalancerArn"], other_tg["TargetGroupArn"]}
                                    - set(lb_state(elb, other, other_tg))))


def ecs_cluster(ecs, ec2) -> tuple[str, str, str]:
    """A cluster with a service of 2 tasks and a registered container instance; -> (cluster, service, instance)."""
    arn = ecs.create_cluster(clusterName=name("resume-ecs"))["cluster"]["clusterArn"]
    ecs.register_task_definition(family=name("resume-td"), containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])
    family = ecs.list_task_definitions()["taskDefinitionArns"][-1]
    svc = ecs.create_service(cluster=arn, serviceName="web", taskDefinition=family,
                             desiredCount=2)["service"]["serviceArn"]
    image = ec2.describe_images(Owners=["amazon"])["Images"] or []
    iid = ec2.run_instances(ImageId=image[0]["ImageId"] if image else "ami-12c6146b", MinCount=1, MaxCount=1,
                            InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    ci = ecs.register_container_instance(cluster=arn, instanceIdentityDocument=json.dumps(
        {"instanceId": iid, "region": REGION}))["containerInstance"]["containerInstanceArn"]
    return arn, svc, ci


def ecs_state(ecs, arn: str, svc: str, ci: str) -> list[str]:
    left = [c["clusterArn"] for c in ecs.describe_clusters(clusters=[arn])["clusters"] if c["status"] != "INACTIVE"]
    left += [s["serviceArn"] for s in ecs.describe_services(cluster=arn, services=[svc])["services"]
             if s["status"] == "ACTIVE"]
    return left + [c for c in ecs.list_container_instances(cluster=arn)["containerInstanceArns"] if c == ci]


def ecs_case(sandbox) -> Case:
    """Services, tasks and container instances go before the cluster (Amazon ECS API Reference, DeleteCluster:
    ClusterContainsServicesException, ClusterContainsContainerInstancesException)."""
    ecs, ec2 = sandbox.client("ecs", REGION), sandbox.client("ec2", REGION)
    arn, svc, ci = ecs_cluster(ecs, ec2)
    other = ecs_cluster(ecs, ec2)
    return Case("terminate", ["--type", "ecs:cluster", "--id", arn, "--region", REGION],
                left=lambda: ecs_state(ecs, arn, svc, ci),
                kept=lambda: sorted(set(other) - set(ecs_state(ecs, *other))))


def eks_cluster(eks, ec2) -> str:
    subnets = [x["SubnetId"] for x in ec2.describe_subnets()["Subnets"]][:2]
    role, cluster = "arn:aws:iam::123456789012:role/eks", name("resume-eks")
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName=cluster, nodegroupName="gpu", subnets=subnets, nodeRole=role)
    eks.create_fargate_profile(clusterName=cluster, fargateProfileName="fp", podExecutionRoleArn=role,
                               selectors=[{"namespace": "default"}])
    return cluster


def eks_state(eks, cluster: str) -> list[str]:
    if cluster not in eks.list_clusters()["clusters"]:
        return []
    return [cluster, *eks.list_nodegroups(clusterName=cluster)["nodegroups"],
            *eks.list_fargate_profiles(clusterName=cluster)["fargateProfileNames"]]


def eks_case(sandbox) -> Case:
    """A cluster with a node group and a Fargate profile (Amazon EKS API Reference, DeleteCluster: they go first)."""
    eks, ec2 = sandbox.client("eks", REGION), sandbox.client("ec2", REGION)
    cluster, other = eks_cluster(eks, ec2), eks_cluster(eks, ec2)
    return Case("terminate", ["--type", "eks:cluster", "--id", cluster, "--region", REGION],
                left=lambda: eks_state(eks, cluster),
                kept=lambda: [] if eks_state(eks, other) == [other, "gpu", "fp"] else [other])


def schedule_case(sandbox) -> Case:
    """schedule.py set on three instances (one CreateTags each): the re-plan skips those already tagged."""
    ec2 = sandbox.client("ec2", REGION)
    ids, other = [instance(ec2) for _ in range(3)], instance(ec2)
    value = "stop=20:00;start=08:00;tz=UTC"

    def unset(iids: list[str]) -> list[str]:
        found = {i["InstanceId"]: {t["Key"]: t["Value"] for t in i.get("Tags", [])}
                 for r in ec2.describe_instances(InstanceIds=iids)["Reservations"] for i in r["Instances"]}
        return [i for i in iids if found[i].get("awswiz:schedule") != value]

    return Case("schedule", ["set", "--id", ",".join(ids), "--stop", "20:00", "--start", "08:00", "--region",
                             REGION], left=lambda: unset(ids), kept=lambda: [] if unset([other]) else [other])


def reap_state(ec2, iid: str, vol: str, image: str, snaps: list[str]) -> list[str]:
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
    left = [] if inst in ("shutting-down", "terminated") else [iid]
    left += [v["VolumeId"] for v in ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"]]
    return left + image_state(ec2, [image], snaps)


def reap_case(sandbox) -> Case:
    """Three expired managed resources: an instance, an unattached volume and an AMI with its snapshot; and
    an unexpired managed volume that stays. GetResources lists what is tagged (Resource Groups Tagging API
    Reference, GetResources); the AMI's snapshot is not tagged managed: it goes as a step of the AMI."""
    ec2 = sandbox.client("ec2", REAP_REGION)
    iid = instance(ec2, tags=MANAGED)
    vol_tags = [{"ResourceType": "volume", "Tags": [{"Key": k, "Value": v} for k, v in MANAGED.items()]}]
    vol = ec2.create_volume(AvailabilityZone=f"{REAP_REGION}a", Size=5, TagSpecifications=vol_tags)["VolumeId"]
    image, snaps = ami(ec2, MANAGED)  # its snapshot is not tagged: it goes as a step of the AMI
    later = (_dt.datetime.now(_dt.UTC) + _dt.timedelta(days=1)).isoformat(timespec="seconds")
    young = ec2.create_volume(AvailabilityZone=f"{REAP_REGION}a", Size=5, TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": k, "Value": v}
                                            for k, v in {**MANAGED, "awswiz:expires-at": later}.items()]}])["VolumeId"]

    def kept() -> list[str]:
        return [] if ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [young]}])["Volumes"] else [young]

    return Case("reap", ["--region", REAP_REGION, "--no-schedules"],
                left=lambda: reap_state(ec2, iid, vol, image, snaps), kept=kept)


CASES = {"ec2-image": image_case, "iam-user": user_case, "elb-with-target-groups": lb_case, "ecs-cluster": ecs_case,
         "eks-cluster": eks_case, "reap": reap_case, "schedule-set": schedule_case}


def kill_and_resume(sandbox, run_tool, state_dir, kind: str, n: int) -> bool:
    """Fresh resources; plan; kill -9 the confirm once its nth changing call is answered; then a fresh plan exits
    0, names only what the first plan named, and its confirm leaves nothing of it (and removes nothing else).
    False when the confirm finished before its nth call (it ran to its end: nothing left, nothing else removed)."""
    case = CASES[kind](sandbox)
    first = run_tool(case.tool, *case.args)
    assert first.code == 0, first.stdout + first.stderr
    named = {a["id"] for a in first.json["data"]["plan"]}
    assert case.left() and named
    if not kill_after(sandbox, state_dir, case.tool, [*case.args, "--confirm", first.json["data"]["confirm"]], n):
        assert case.left() == [] and case.kept() == []
        return False
    assert case.left(), f"killed after call {n}, yet nothing is left: the kill came too late"
    again = run_tool(case.tool, *case.args)
    assert again.code == 0, f"re-plan after call {n}: " + again.stdout + again.stderr
    data = again.json["data"]
    replanned = {a["id"] for a in data["plan"]}  # a step may go on differently (a deactivated MFA: delete)
    assert replanned <= named, f"after call {n} the re-plan names what the first did not: {replanned - named}"
    assert replanned, f"after call {n} the re-plan forgot what is left: {case.left()}"
    for i in case.ids:  # each id named is planned again, or said to be gone already (not an error)
        said = [s["reason"] for s in data["skipped"] if s["id"] == i]
        assert i in {a["id"] for a in data["plan"]} or (said and "already" in said[0]), (n, i, data)
    r = run_tool(case.tool, *case.args, "--confirm", data["confirm"])
    assert r.code == 0, f"confirm after call {n}: " + r.stdout + r.stderr
    assert case.left() == [], f"killed after call {n}: still there after the re-plan's confirm"
    assert case.kept() == [], f"killed after call {n}: removed though never named"
    return True


def kill_points(sandbox, run_tool, state_dir, kind: str, every: bool) -> list[int]:
    """Every changing call of the confirm (1..N), or the first, the last and SAMPLED between them chosen by a
    seeded random. N is counted on one confirm run to its end unkilled (the audit log's sent lines)."""
    before = len(audit_lines(state_dir))
    assert not kill_and_resume(sandbox, run_tool, state_dir, kind, 10**6)  # never held: runs to its end
    n = len(audit_lines(state_dir)) - before
    assert n > 2, n  # every case has several changing calls, each a kill point
    if every:
        return list(range(1, n + 1))
    return sorted({1, n, *random.Random(f"{SEED}-{kind}").sample(range(2, n), min(SAMPLED, n - 2))})


def kill_after_each(sandbox, run_tool, state_dir, kind: str, points: list[int]) -> None:
    for n in points:
        killed = kill_and_resume(sandbox, run_tool, state_dir, kind, n)
        assert killed or n == points[-1], f"the confirm ended before its changing call #{n}"


@pytest.mark.parametrize("kind", list(CASES))
def test_killed_after_sampled_changing_calls_then_planned_again_leaves_nothing(sandbox, run_tool, state_dir, kind):
    """Kill -9 the confirm after its first, its last and a seeded sample of the changing calls between (fresh
    resources each time); `pytest -m nightly` kills after every one (issue 20: the suite answers in minutes)."""
    kill_after_each(sandbox, run_tool, state_dir, kind, kill_points(sandbox, run_tool, state_dir, kind, every=False))


@pytest.mark.nightly
@pytest.mark.parametrize("kind", list(CASES))
def test_killed_after_every_changing_call_then_planned_again_leaves_nothing(sandbox, run_tool, state_dir, kind):
    kill_after_each(sandbox, run_tool, state_dir, kind, kill_points(sandbox, run_tool, state_dir, kind, every=True))


def test_sandbox_tags_virtual_mfa_devices_and_refuses_deleting_an_enabled_one(sandbox):
    """What the iam:user remover relies on, as AWS answers it (moto lacks it: sandbox/mfa_tags.py). IAM API
    Reference: TagMFADevice and ListMFADeviceTags ("sorted by tag key"); ListVirtualMFADevices "does not return
    tags"; DeleteVirtualMFADevice: "You must deactivate a user's virtual MFA device before you can delete it"."""
    iam = sandbox.client("iam")
    user, mfa = make_user(iam)
    iam.tag_mfa_device(SerialNumber=mfa, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "1"}])
    tags = iam.list_mfa_device_tags(SerialNumber=mfa)["Tags"]
    assert tags == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert gone(lambda: iam.delete_virtual_mfa_device(SerialNumber=mfa), "DeleteConflict")  # still enabled
    iam.deactivate_mfa_device(UserName=user, SerialNumber=mfa)
    iam.delete_virtual_mfa_device(SerialNumber=mfa)
    assert gone(lambda: iam.list_mfa_device_tags(SerialNumber=mfa), "NoSuchEntity")


def running_ids(ec2) -> set[str]:
    return {i["InstanceId"] for r in ec2.describe_instances(Filters=[
        {"Name": "instance-state-name", "Values": ["running"]}])["Reservations"] for i in r["Instances"]}


def test_a_policy_reap_leaves_a_stopped_runs_ami_snapshots_to_a_human(sandbox, run_tool, state_dir, tmp_path):
    """A snapshot marked by a stopped AMI removal is not expired-and-managed, which is all a policy pre-approves:
    the unattended run skips it, naming the command that finishes it, and still reaps the rest (it once refused
    the whole run: the snapshot's step was planned for an AMI the plan did not remove)."""
    ec2 = sandbox.client("ec2", REAP_REGION)
    vol = ec2.create_volume(AvailabilityZone=f"{REAP_REGION}a", Size=1)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol, TagSpecifications=[{"ResourceType": "snapshot", "Tags": [  # as ebs marks
        {"Key": "awswiz:teardown-of", "Value": "ami-0123456789abcdef0"}, {"Key": "awswiz:managed", "Value": "true"}]}])[
        "SnapshotId"]
    ec2.delete_volume(VolumeId=vol)
    iid = instance(ec2, tags=MANAGED)
    policy = tmp_path / "policy.toml"
    policy.write_text(f'types = ["ec2:instance", "ec2:image"]\nregions = ["{REAP_REGION}"]\nmax = 5\n')
    policy.chmod(0o600)
    try:
        r = run_tool("reap", "--policy", str(policy), "--no-schedules")
        assert r.code == 0, r.stdout + r.stderr
        assert [x["id"] for x in r.json["data"]["results"]] == [iid]
        why = {x["id"]: x["reason"] for x in r.json["data"]["skipped"]}["ami-0123456789abcdef0"]
        assert f"terminate.py --type ec2:image --id ami-0123456789abcdef0 --region {REAP_REGION}" in why
        assert ec2.describe_snapshots(SnapshotIds=[snap])["Snapshots"]
    finally:
        ec2.delete_snapshot(SnapshotId=snap)
        if iid in running_ids(ec2):
            ec2.terminate_instances(InstanceIds=[iid])


# --- what the core answers (regional.locate, guard's policy claims) for a killed run ---------------------------

def test_a_rerun_naming_an_id_the_killed_run_removed_plans_the_rest(sandbox, run_tool, state_dir):
    """Two AMIs in one run: deregister A, deregister B, delete A's snapshot (kill), delete B's. A is gone for
    good, B's snapshot is left; the same command planned again plans B's snapshot and says A is gone (the audit
    log shows the killed run removed it)."""
    ec2 = sandbox.client("ec2", REGION)
    (a, snaps_a), (b, snaps_b) = ami(ec2), ami(ec2)
    args = ["--type", "ec2:image", "--id", f"{a},{b}", "--region", REGION]
    first = run_tool("terminate", *args)
    assert first.code == 0, first.stdout
    calls = ["CreateTags", "DeregisterImage", "CreateTags", "DeregisterImage", "DeleteSnapshot"]
    assert kill_after(sandbox, state_dir, "terminate", [*args, "--confirm", first.json["data"]["confirm"]],
                      len(calls))
    assert image_state(ec2, [a, b], snaps_a + snaps_b) == snaps_b  # A is all gone; B's snapshot is left
    again = run_tool("terminate", *args)
    assert again.code == 0, again.stdout
    assert [x["id"] for x in again.json["data"]["plan"]] == snaps_b
    said = {x["id"]: x["reason"] for x in again.json["data"]["skipped"]}
    assert "already" in said[a] and "already" in said[b], said
    r = run_tool("terminate", *args, "--confirm", again.json["data"]["confirm"])
    assert r.code == 0, r.stdout
    assert image_state(ec2, [a, b], snaps_a + snaps_b) == []


def test_a_killed_policy_reap_is_finished_by_the_next_policy_reap(sandbox, run_tool, state_dir, tmp_path):
    ec2 = sandbox.client("ec2", REAP_REGION)
    first, second = instance(ec2, tags=MANAGED), instance(ec2, tags=MANAGED)
    policy = tmp_path / "policy.toml"
    policy.write_text(f'types = ["ec2:instance"]\nregions = ["{REAP_REGION}"]\nmax = 5\n')
    policy.chmod(0o600)
    args = ["--policy", str(policy), "--no-schedules"]
    assert kill_after(sandbox, state_dir, "reap", args, 1)  # one instance terminated, then killed

    def running() -> list[str]:
        return [i for i in (first, second) if i in running_ids(ec2)]

    try:
        assert len(running()) == 1
        r = run_tool("reap", *args)
        assert r.code == 0, r.stdout + r.stderr
        assert running() == [], r.json["data"].get("skipped")  # its claims died with it
    finally:
        if left := running():
            ec2.terminate_instances(InstanceIds=left)  # the reap case must not meet them
