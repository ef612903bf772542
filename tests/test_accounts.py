"""Many accounts in one run (issue 22): --accounts org|ID,ID, --assume-role, --external-id, --skip-self, --profile a,b.

The sandbox's Organization (sandbox/lab/org.py): the lab account (moto's default, 123456789012) is the management
account, and two fellows are members, each with the OrganizationAccountAccessRole that Organizations creates in an
account it creates ("AWS Organizations automatically creates an IAM role named OrganizationAccountAccessRole in the
new member account": Organizations User Guide, "Accessing a member account that has a management account access
role"). moto acts in the account whose credentials sign a request: an assumed role's keys act in the role's account
(moto docs, "Multi-Account support": "Passing in a role that belongs to a different account will return a set of
credentials that give access to that account"). AWS refuses AssumeRole (AccessDenied) for a role that does not exist
or does not trust the caller (IAM User Guide, "Troubleshoot IAM roles"); the sandbox does so in member accounts
(sandbox/sts/assume_role.py).
"""

from __future__ import annotations

import pytest

LAB = "123456789012"
ROLE_SESSION_CALLS = "AssumeRole"



def test_scan_org_reads_three_accounts(sandbox, run_tool, members):
    mark = sandbox.mark()
    r = run_tool("scan", "--accounts", "org", "--region", "us-east-1,us-west-2")
    assert r.code == 0, r.stdout + r.stderr
    doc = r.json
    ada, grace = members["fellow-ada"], members["fellow-grace"]
    assert sorted(doc["account"]) == sorted([LAB, ada, grace])  # the envelope names every account read
    assert {a["account"]: a.get("name") for a in doc["data"]["accounts"]} == \
        {LAB: "master", ada: "fellow-ada", grace: "fellow-grace"}
    res = doc["data"]["resources"]
    assert all(x["account"] in (LAB, ada, grace) for x in res)  # every record says its account
    by = {(x["account"], x["name"]): x for x in res if x.get("name")}  # empty fields are left out
    assert by[(ada, "ada-train")]["type"] == "ec2:instance"
    assert by[(grace, "grace-old-data")]["type"] == "ec2:volume"
    assert (LAB, "train-a") in by and (ada, "train-a") not in by  # each account's own, not the lab's again
    kinds = {(f["account"], f["kind"], f["id"]) for f in doc["data"]["findings"]}
    assert (ada, "gpu-running", by[(ada, "ada-train")]["id"]) in kinds
    assert (grace, "unattached-volume", by[(grace, "grace-old-data")]["id"]) in kinds
    calls = sandbox.calls(mark)
    assert sum(c["action"] == ROLE_SESSION_CALLS for c in calls) == 2  # once per member account, not per call
    assert sum(c["action"] == "ListAccounts" for c in calls) == 1


def test_next_keeps_one_account(sandbox, run_tool, members):
    r = run_tool("scan", "--accounts", "org", "--region", "us-east-1", "--service", "ec2,vpc")
    assert r.code == 0, r.stdout + r.stderr
    ada = members["fellow-ada"]
    found = r.json["data"]["findings"]
    ssh = next(f for f in found if f["kind"] == "sg-open-ssh" and f["account"] == LAB)
    # a fix in the caller's account acts there alone: never the whole selection again
    assert "--accounts org" not in ssh["next"] and ssh["next"].startswith("uv run tools/security.py --fix")
    gpu = next(f for f in found if f["kind"] == "gpu-running" and f["account"] == ada)
    assert gpu["next"].endswith(f"--accounts {ada} --skip-self")  # stop.py enters ada's account alone
    assert all("--accounts org" not in n for n in r.json["next"] if "tools/scan.py" not in n)


def test_role_that_cannot_enter_is_that_accounts_error(sandbox, run_tool, members):
    r = run_tool("scan", "--accounts", "org", "--assume-role", "NoSuchRole", "--region", "us-east-1",
                 "--service", "ec2:instance")
    assert r.code == 3, r.stdout + r.stderr  # partial: the caller's account is in data
    doc = r.json
    errs = {e["account"]: e for e in doc["errors"] if e.get("account")}
    assert set(errs) == set(members.values())
    assert all(e["code"] == "AccessDenied" and "NoSuchRole" in e["hint"] for e in errs.values())
    assert doc["account"] == LAB and {x["account"] for x in doc["data"]["resources"]} == {LAB}


def test_skip_self_and_listed_ids(sandbox, run_tool, members):
    ada, grace = members["fellow-ada"], members["fellow-grace"]
    r = run_tool("scan", "--accounts", f"{ada},{grace}", "--skip-self", "--region", "us-west-2",
                 "--service", "ec2:volume")
    assert r.code == 0, r.stdout + r.stderr
    assert sorted(r.json["account"]) == sorted([ada, grace])
    assert {x["account"] for x in r.json["data"]["resources"]} <= {ada, grace}
    assert any(x.get("name") == "grace-old-data" for x in r.json["data"]["resources"])


def test_sharded_scan_is_the_same(sandbox, run_tool, members):
    args = ("scan", "--accounts", "org", "--region", "us-east-1,us-west-2,eu-west-1", "--service", "ec2,vpc")
    one = run_tool(*args, env={"AWSWIZ_SHARDS": "1"})
    many = run_tool(*args, env={"AWSWIZ_SHARDS": "3"})
    assert one.code == many.code == 0, one.stderr + many.stderr
    key = [(x["account"], x["type"], x["id"]) for x in one.json["data"]["resources"]]
    assert key == [(x["account"], x["type"], x["id"]) for x in many.json["data"]["resources"]]


@pytest.mark.parametrize("args, says", [
    (("--accounts", "12345"), "12-digit"),
    (("--accounts", "123456789012,abc"), "12-digit"),
    (("--accounts", ""), "12-digit"),
    (("--skip-self",), "--accounts"),
    (("--accounts", "org", "--assume-role", "bad role"), "IAM role name"),
    (("--accounts", "org", "--external-id", "x"), "2-1224"),
])
def test_bad_selection_is_exit_2_before_any_call(offline, args, says):
    r = offline.run("scan", *args)
    assert r.code == 2, r.stdout + r.stderr
    assert says in r.json["errors"][0]["message"] and offline.connections == 0


def test_tool_of_one_account_refuses_several_profiles(offline):
    r = offline.run("cleanup_sg", "--region", "us-east-1", "--profile", "a,b")
    assert r.code == 2 and "one NAME" in r.json["errors"][0]["message"] and offline.connections == 0


def test_account_tools_are_the_hints_list():
    """hints.ACCOUNT_TOOLS (which commands keep --accounts) names exactly the tools that take it."""
    import re

    from _awswiz.shell.hints import ACCOUNT_TOOLS
    from conftest import TOOLS

    takes = {p.stem for p in TOOLS.glob("*.py") if re.search(r"cli\.command\(app, \"\w+\", accounts=(True|\"each\")\)",
                                                             p.read_text())}
    assert takes == set(ACCOUNT_TOOLS)


@pytest.mark.parametrize("tool, args, key", [
    ("waste", ("--region", "us-west-2"), "items"),
    ("security", ("--region", "us-east-1", "--check", "ec2-imdsv1"), "findings"),
    ("quota_check", ("--region", "us-east-1", "--family", "g"), "quotas"),
    ("instance_status", ("--region", "us-east-1", "--no-check-ssh"), "instances"),
])
def test_reads_of_one_account_run_in_each(sandbox, run_tool, members, tool, args, key):
    """The tools of one account run once per account and merge: every record names its account, the envelope names
    the accounts read, and each account is entered once."""
    mark = sandbox.mark()
    r = run_tool(tool, *args, "--accounts", "org")
    assert r.code == 0, r.stdout + r.stderr
    doc = r.json
    assert sorted(doc["account"]) == sorted([LAB, *members.values()])
    assert {a["account"] for a in doc["data"]["accounts"]} == set(doc["account"])
    assert all(x["account"] in doc["account"] for x in doc["data"][key])
    assert sum(c["action"] == "AssumeRole" for c in sandbox.calls(mark)) == 2
    if tool == "waste":  # grace's orphaned volume, its terminate command entering grace's account alone
        grace = next(i for i in doc["data"]["items"] if i["account"] == members["fellow-grace"])
        assert grace["kind"] == "unattached-volume"
        assert grace["next"].endswith(f"--accounts {members['fellow-grace']} --skip-self")
    if tool == "security":  # ada's box answers IMDSv1: its fix keeps to ada's account alone
        ada = [f for f in doc["data"]["findings"] if f["account"] == members["fellow-ada"]]
        assert ada and all(f"--accounts {members['fellow-ada']} --skip-self" in f["fix"] for f in ada if f.get("fix"))
    if tool == "quota_check":  # each account has its own quotas
        assert {q["account"] for q in doc["data"]["quotas"]} == set(doc["account"])


def test_pretty_groups_by_account(sandbox, run_tool, members):
    r = run_tool("scan", "--accounts", "org", "--region", "us-west-2", "--service", "ec2:volume", "--pretty",
                 env={"COLUMNS": "120"})
    assert r.code == 0, r.stdout + r.stderr
    assert "account 603836017320 (fellow-grace)".replace("603836017320", members["fellow-grace"]) in r.stdout
    assert "account 123456789012 (master)" in r.stdout
    assert "total: 3 accounts, resources" in r.stdout


def test_a_fix_across_several_accounts_is_refused(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("security", "--fix", "ec2-imdsv1", "--region", "us-east-1", "--accounts", "org")
    assert r.code == 2 and "one account at a time" in r.json["errors"][0]["message"]
    assert not [c for c in sandbox.calls(mark) if c["action"] and c["action"].startswith("Modify")]


def _in(sandbox, account: str, service: str, region: str = "us-east-1"):
    """A client acting in account (through its OrganizationAccountAccessRole), for a test's own resources."""
    import boto3

    c = sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                                          RoleSessionName="test")["Credentials"]
    return boto3.client(service, region_name=region, endpoint_url=sandbox.url,
                        aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"])


def _box(ec2, tag: str) -> str:
    image = ec2.register_image(Name=f"img-{tag}", Architecture="x86_64", RootDeviceName="/dev/sda1",
                               VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
        {"ResourceType": "instance", "Tags": [{"Key": "batch", "Value": tag}]}])["Instances"][0]["InstanceId"]


def test_stop_across_accounts_one_plan_one_token(sandbox, run_tool, members, state_dir):
    import json

    ada = members["fellow-ada"]
    mine, theirs = _box(sandbox.client("ec2"), "x22"), _box(_in(sandbox, ada, "ec2"), "x22")
    args = ("stop", "--accounts", "org", "--tag", "batch=x22", "--region", "us-east-1")
    over = run_tool(*args, "--max", "1")
    assert over.code == 4, over.stdout + over.stderr  # --max counts across all accounts
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    plan = {(a["account"], a["id"]) for a in r.json["data"]["plan"]}
    assert plan == {(LAB, mine), (ada, theirs)}  # each action names its account
    token = r.json["data"]["confirm"]
    assert r.json["next"][0].endswith(f"--confirm {token}") and "--accounts org" in r.json["next"][0]
    done = run_tool(*args, "--confirm", token, "--wait")
    assert done.code == 0, done.stdout + done.stderr
    results = done.json["data"]["results"]
    assert {(x["account"], x["id"]) for x in results if x["ok"]} == plan
    assert {x["state"] for x in results} == {"stopped"}  # waited for in each account, through its own clients
    state = sandbox.client("ec2").describe_instances(InstanceIds=[mine])["Reservations"][0]["Instances"][0]["State"]
    assert state["Name"] == "stopped"
    theirs_state = _in(sandbox, ada, "ec2").describe_instances(InstanceIds=[theirs])["Reservations"][0]
    assert theirs_state["Instances"][0]["State"]["Name"] == "stopped"
    lines = [json.loads(x) for x in (state_dir / "audit.jsonl").read_text().splitlines()]
    sent = {(x["account"], x["resources"][0]) for x in lines if x.get("operation") == "StopInstances"}
    assert sent == plan and all(x["confirm"] == token for x in lines if x.get("operation") == "StopInstances")


def test_terminate_by_id_finds_its_account(sandbox, run_tool, members):
    grace = members["fellow-grace"]
    ec2 = _in(sandbox, grace, "ec2", "us-west-2")
    vol = ec2.create_volume(AvailabilityZone="us-west-2a", Size=1)["VolumeId"]
    args = ("terminate", "--type", "ec2:volume", "--id", vol, "--accounts", "org")
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    assert [(a["account"], a["id"]) for a in r.json["data"]["plan"]] == [(grace, vol)]
    done = run_tool(*args, "--confirm", r.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert not [v for v in ec2.describe_volumes()["Volumes"] if v["VolumeId"] == vol]
    nowhere = run_tool("terminate", "--type", "ec2:volume", "--id", "vol-0123456789abcdef0", "--accounts", "org")
    assert nowhere.code == 2 and "not found" in nowhere.json["errors"][0]["message"]


def test_costs_each_account_reads_its_own(sandbox, run_tool, members):
    """costs --accounts: each account's own Cost Explorer (the fellows' are empty in the sandbox's ledger: its
    line items are the lab's and the fellow_costs accounts'), totals summed, months naming their account."""
    r = run_tool("costs", "--months", "1", "--accounts", "org", env={"AWSWIZ_TODAY": "2026-11-20"})
    assert r.code == 0, r.stdout + r.stderr
    data = r.json["data"]
    assert sorted(r.json["account"]) == sorted([LAB, *members.values()])
    assert {m["account"] for m in data["months"]} == set(r.json["account"])
    lab_only = run_tool("costs", "--months", "1", env={"AWSWIZ_TODAY": "2026-11-20"}).json["data"]
    assert data["totals"] == lab_only["totals"]  # the members add nothing: the sum is the lab's


def test_reap_across_accounts(sandbox, run_tool, members):
    """reap --accounts: what is managed and expired in each account, one plan, each action naming its account."""
    ada = members["fellow-ada"]
    region = "ca-central-1"  # no other test reaps here
    ec2 = _in(sandbox, ada, "ec2", region)
    vol = ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, TagSpecifications=[{
        "ResourceType": "volume", "Tags": [{"Key": "awswiz:managed", "Value": "true"},
                                           {"Key": "awswiz:expires-at", "Value": "2020-01-01T00:00:00+00:00"}]}])
    r = run_tool("reap", "--accounts", "org", "--region", region, "--no-schedules")
    assert r.code == 0, r.stdout + r.stderr
    assert (ada, vol["VolumeId"]) in {(a["account"], a["id"]) for a in r.json["data"]["plan"]}
    done = run_tool("reap", "--accounts", "org", "--region", region, "--no-schedules",
                    "--confirm", r.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert not [v for v in ec2.describe_volumes()["Volumes"] if v["VolumeId"] == vol["VolumeId"]]


def test_several_profiles(sandbox, run_tool, members, tmp_path):
    """--profile a,b: each profile its own credentials; a profile with role_arn enters the member account (botocore
    assumes the role: AWS CLI User Guide, "Use an IAM role in the AWS CLI", role_arn and source_profile)."""
    ada = members["fellow-ada"]
    (tmp_path / "config").write_text(
        "[profile lab]\nregion = us-east-1\n"
        f"[profile ada]\nrole_arn = arn:aws:iam::{ada}:role/OrganizationAccountAccessRole\n"
        "source_profile = lab\nregion = us-east-1\n")
    (tmp_path / "credentials").write_text("[lab]\naws_access_key_id = testing\naws_secret_access_key = testing\n")
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    r = run_tool("scan", "--profile", "lab,ada", "--region", "us-east-1", "--service", "ec2:instance", env=env)
    assert r.code == 0, r.stdout + r.stderr
    assert sorted(r.json["account"]) == sorted([LAB, ada])
    assert {a["account"]: a["profile"] for a in r.json["data"]["accounts"]} == {LAB: "lab", ada: "ada"}
    gpu = next(f for f in r.json["data"]["findings"] if f["kind"] == "gpu-running" and f["account"] == ada)
    assert gpu["next"].endswith("--profile ada")  # the hint keeps to that account's own profile
    bad = run_tool("scan", "--profile", "lab,nosuch", "--region", "us-east-1", env=env)
    assert bad.code == 2 and "nosuch" in bad.json["errors"][0]["message"]


def test_credentials_refresh_before_expiry(monkeypatch):
    """AssumeRole once; again only when the credentials near their expiry (botocore's RefreshableCredentials
    refreshes within 15 minutes of it, botocore/credentials.py _advisory_refresh_timeout)."""
    import datetime as _dt

    from _awswiz.aws.client import Aws

    for k, v in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                 "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null",
                 "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}.items():
        monkeypatch.setenv(k, v)

    class Sts:
        def __init__(self, left: _dt.timedelta):
            self.calls, self.left = 0, left

        def assume_role(self, **kw):
            self.calls += 1
            return {"Credentials": {"AccessKeyId": f"ASIA{self.calls}", "SecretAccessKey": "s", "SessionToken": "t",
                                    "Expiration": _dt.datetime.now(_dt.UTC) + self.left}}

    for left, calls in ((_dt.timedelta(hours=1), 1), (_dt.timedelta(minutes=5), 2)):
        base, sts = Aws(), Sts(left)
        base._clients[("sts", base.home_region)] = sts
        other = base.assumed("210987654321", "arn:aws:iam::210987654321:role/R", None, "awswiz-test")
        assert sts.calls == 1  # entered once
        other.session.get_credentials().get_frozen_credentials()
        assert sts.calls == calls  # an hour left: no new call; 5 minutes left: refreshed before use


def test_external_id(sandbox, run_tool, members):
    """A role whose trust asks for an external id (Condition StringEquals sts:ExternalId: IAM User Guide, "Access to
    AWS accounts owned by third parties") is entered only with it; an account without the role is its error."""
    import json

    ada, grace = members["fellow-ada"], members["fellow-grace"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                     "Principal": {"AWS": f"arn:aws:iam::{LAB}:root"},
                                                     "Condition": {"StringEquals": {"sts:ExternalId": "lab-x22"}}}]}
    iam = _in(sandbox, ada, "iam")
    if not [r for r in iam.list_roles()["Roles"] if r["RoleName"] == "AuditX22"]:
        iam.create_role(RoleName="AuditX22", AssumeRolePolicyDocument=json.dumps(trust))
    base = ("scan", "--accounts", f"{ada},{grace}", "--skip-self", "--assume-role", "AuditX22", "--region",
            "us-east-1", "--service", "ec2:instance")
    wrong = run_tool(*base, "--external-id", "lab-wrong")
    assert wrong.code == 1, wrong.stdout + wrong.stderr  # no account could be entered: nothing read
    assert {e.get("account") for e in wrong.json["errors"]} == {ada, grace}, wrong.stdout
    right = run_tool(*base, "--external-id", "lab-x22")
    assert right.code == 3, right.stdout + right.stderr  # ada read, grace (no such role) its error
    assert right.json["account"] == ada and [e["account"] for e in right.json["errors"]] == [grace]
    assert any(x.get("name") == "ada-train" for x in right.json["data"]["resources"])


def test_fix_in_one_member_account(sandbox, run_tool, members):
    """security.py's fix hint for a member account (--accounts ID --skip-self) plans and applies there."""
    ada = members["fellow-ada"]
    ec2 = _in(sandbox, ada, "ec2")
    iid = _box(ec2, "fix22")
    ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="optional")
    args = ("security", "--fix", "ec2-imdsv1", "--id", iid, "--region", "us-east-1", "--accounts", ada, "--skip-self")
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    assert r.json["account"] == ada and [a["id"] for a in r.json["data"]["plan"]] == [iid]
    done = run_tool(*args, "--confirm", r.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    opts = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["MetadataOptions"]
    assert opts["HttpTokens"] == "required"


def test_terminate_tag_across_accounts_one_plan_one_token(sandbox, run_tool, members, state_dir):
    """terminate --tag --accounts org: each account's part planned by the bulk planner with its own clients,
    dependencies first within each (DeleteSecurityGroup is refused with DependencyViolation while an instance's
    interface uses the group: EC2 API Reference, DeleteSecurityGroup), protected ones skipped and listed with their
    account, --max counting across all, the confirm applying each action in its account. An IAM role name is
    unique only within its account ("names must be unique within an account": IAM User Guide, "IAM identifiers"),
    so one name in two accounts is two targets."""
    import json

    from mutation_helpers import instance, name

    region = "us-east-2"  # no other test of this file acts here
    ada, grace = members["fellow-ada"], members["fellow-grace"]
    batch = name("t22")
    spec = [{"Key": "batch", "Value": batch}]
    a_ec2, g_ec2 = _in(sandbox, ada, "ec2", region), _in(sandbox, grace, "ec2", region)
    sg = a_ec2.create_security_group(GroupName=name("sg"), Description="t22", TagSpecifications=[
        {"ResourceType": "security-group", "Tags": spec}])["GroupId"]
    box = instance(a_ec2, tags={"batch": batch}, SecurityGroupIds=[sg])
    kept = a_ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, TagSpecifications=[{
        "ResourceType": "volume", "Tags": [*spec, {"Key": "awswiz:protected", "Value": "true"}]}])["VolumeId"]
    vol = g_ec2.create_volume(AvailabilityZone=f"{region}a", Size=1, TagSpecifications=[
        {"ResourceType": "volume", "Tags": spec}])["VolumeId"]
    role = name("t22-role")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                                "Principal": {"Service": "ec2.amazonaws.com"}}]})
    for acct in (ada, grace):
        _in(sandbox, acct, "iam").create_role(RoleName=role, AssumeRolePolicyDocument=trust, Tags=spec)
    args = ("terminate", "--tag", f"batch={batch}", "--accounts", "org", "--region", region)
    over = run_tool(*args, "--max", "4")
    assert over.code == 4 and "over --max 4" in over.json["errors"][0]["message"], over.stdout + over.stderr
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    steps = [(a["account"], a["type"], a["id"]) for a in r.json["data"]["plan"]]
    assert sorted(steps) == sorted([(ada, "ec2:instance", box), (ada, "vpc:security-group", sg),
                                    (ada, "iam:role", role), (grace, "ec2:volume", vol), (grace, "iam:role", role)])
    assert steps.index((ada, "ec2:instance", box)) < steps.index((ada, "vpc:security-group", sg))
    assert [(s["account"], s["id"]) for s in r.json["data"]["skipped"] if "protected" in s["reason"]] == [(ada, kept)]
    token = r.json["data"]["confirm"]
    assert r.json["next"][0].endswith(f"--confirm {token}") and "--accounts org" in r.json["next"][0]
    mark = sandbox.mark()
    done = run_tool(*args, "--confirm", token)
    assert done.code == 0, done.stdout + done.stderr
    assert {(x["account"], x["id"]) for x in done.json["data"]["results"] if x["ok"]} == {(a, i) for a, _, i in steps}
    # states after the call, read in each account
    assert a_ec2.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]["State"]["Name"] in (
        "shutting-down", "terminated")
    assert not a_ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroups"]
    assert a_ec2.describe_volumes(VolumeIds=[kept])["Volumes"][0]["State"] == "available"
    assert not g_ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"]
    for acct in (ada, grace):
        assert role not in [x["RoleName"] for x in _in(sandbox, acct, "iam").list_roles()["Roles"]]
    sent = [json.loads(x) for x in (state_dir / "audit.jsonl").read_text().splitlines()]
    sent = {(x["account"], x["operation"]) for x in sent if x.get("phase") == "sent" and x.get("confirm") == token}
    assert {(ada, "TerminateInstances"), (ada, "DeleteSecurityGroup"), (ada, "DeleteRole"),
            (grace, "DeleteVolume"), (grace, "DeleteRole")} <= sent
    assert not {op for acct, op in sent if acct == LAB}  # nothing in the lab's own account
    deletes = [c for c in sandbox.calls(mark) if c["action"] == "DeleteVolume" and c["region"] == region]
    assert len(deletes) == 1  # grace's volume; the protected one in ada's account was never sent
    again = run_tool(*args)  # the kept volume is all that carries the tag now, protected: nothing to plan
    assert again.code == 0 and again.json["data"]["plan"] == [], again.stdout + again.stderr
    said = again.json["data"]["message"]
    assert said.startswith(f"nothing removable carries batch={batch} in {region} of 3 accounts"), said
    assert batch in again.json["data"]["tags_in_use"]["batch"]  # the kept volume (and the terminated box) carry it


def test_a_read_of_several_accounts_has_more_calls_in_flight(monkeypatch):
    """The pool grows with the accounts read (their calls wait on the network; EC2 throttles per account and
    Region), up to 128 threads a process; AWSWIZ_WORKERS, when set, is kept as set. In process: no AWS."""
    from _awswiz.aws.client import MANY_ACCOUNTS_WORKERS, pool_size

    monkeypatch.delenv("AWSWIZ_WORKERS", raising=False)
    assert [pool_size(32, n) for n in (1, 2, 3, 50)] == [32, 64, 96, MANY_ACCOUNTS_WORKERS]
    assert pool_size(200, 50) == 200  # never fewer than asked
    monkeypatch.setenv("AWSWIZ_WORKERS", "16")
    assert pool_size(16, 50) == 16
