"""launch.py --role, --secret and --idle-stop (issue 24): one least-privilege role and instance profile per box,
read back from IAM; the secret's value never in user data, stdout, stderr, the audit log or .state; the idle alarm
with its region's EC2 action ARN, fired by the sandbox so the box stops; terminate leaves no role, profile or alarm;
bad input (a bucket name AWS refuses, a secret that does not exist, a duration under the alarm's period) is exit 2
and creates nothing."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from mutation_helpers import mutating_calls
from test_launch import clean_launches, launch

VALUE = "wandb_" + uuid.uuid4().hex
REGION = "us-east-1"


@pytest.fixture(autouse=True)
def cleanup(sandbox):
    yield
    clean_launches(sandbox)
    iam = sandbox.client("iam")
    for p in iam.list_instance_profiles()["InstanceProfiles"]:
        if p["InstanceProfileName"].startswith("awswiz-box-"):
            for r in p["Roles"]:
                iam.remove_role_from_instance_profile(InstanceProfileName=p["InstanceProfileName"],
                                                      RoleName=r["RoleName"])
            iam.delete_instance_profile(InstanceProfileName=p["InstanceProfileName"])
    for r in iam.list_roles()["Roles"]:
        if r["RoleName"].startswith("awswiz-box-"):
            for pol in iam.list_role_policies(RoleName=r["RoleName"])["PolicyNames"]:
                iam.delete_role_policy(RoleName=r["RoleName"], PolicyName=pol)
            iam.delete_role(RoleName=r["RoleName"])


def fire(sandbox, alarm: str, region: str = REGION) -> dict:
    return sandbox.control("FireAlarm", alarm_name=alarm, region=region)


def changes(sandbox, mark) -> list[dict]:
    """Changing calls since mark, but the image check's RunInstances, sent with DryRun (amis.py: launchable?)."""
    return [c for c in mutating_calls(sandbox, mark) if c["action"] != "RunInstances"]


def box_roles(sandbox) -> tuple[list, list]:
    iam = sandbox.client("iam")
    return ([r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith("awswiz-box-")],
            [p["InstanceProfileName"] for p in iam.list_instance_profiles()["InstanceProfiles"]
             if p["InstanceProfileName"].startswith("awswiz-box-")])


def test_role_secret_and_idle_stop_least_privilege_no_leak_then_terminate_leaves_nothing(sandbox, run_tool,
                                                                                          state_dir):
    name = f"lab/wandb-{uuid.uuid4().hex[:6]}"
    secret_arn = sandbox.client("secretsmanager").create_secret(Name=name, SecretString=VALUE)["ARN"]
    args = ("--type", "g5.xlarge", "--name", "t-roles", "--no-wait", "--region", REGION, "--role",
            "s3-read:lab-datasets", "--role", "ecr-pull", "--secret", f"{name}=WANDB_API_KEY", "--idle-stop", "1h",
            "--on-shutdown", "stop")
    mark = sandbox.mark()
    plan = launch(run_tool, *args, confirm=False)
    assert changes(sandbox, mark) == [] and box_roles(sandbox) == ([], [])  # a plan makes nothing
    detail = plan.json["data"]["plan"][0]["detail"]
    assert "read secret " + name in " ".join(detail["role"]["allows"]) and detail["idle_stop"].endswith(
        "arn:aws:automate:us-east-1:ec2:stop")
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    assert res.code == 0, res.stdout + res.stderr
    out = res.json["data"]["results"][0]
    iid = out["instances"][0]
    ec2, iam, cw = sandbox.client("ec2"), sandbox.client("iam"), sandbox.client("cloudwatch")
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    profile = inst["IamInstanceProfile"]["Arn"].rpartition("/")[2]
    lid = {t["Key"]: t["Value"] for t in inst["Tags"]}["awswiz:launch-id"]
    assert profile == f"awswiz-box-{lid}"  # one role and profile per box, named after its launch
    assert out["role"] == profile and out["idle_alarms"] == [f"awswiz-idle-stop-{iid}"]
    roles = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]["Roles"]
    assert [r["RoleName"] for r in roles] == [profile]
    # least privilege, read back: the bucket and its objects only, the secret's own ARN only, no S3 "*"
    doc = iam.get_role_policy(RoleName=profile, PolicyName="awswiz-box")["PolicyDocument"]
    doc = json.loads(doc) if isinstance(doc, str) else doc
    by_resource = {json.dumps(s["Resource"]): sorted(s["Action"]) for s in doc["Statement"]}
    assert by_resource[json.dumps("arn:aws:s3:::lab-datasets")] == ["s3:GetBucketLocation", "s3:ListBucket"]
    assert by_resource[json.dumps("arn:aws:s3:::lab-datasets/*")] == ["s3:GetObject"]
    assert by_resource[json.dumps([secret_arn])] == ["secretsmanager:GetSecretValue"]
    star = [s for s in doc["Statement"] if s["Resource"] == "*"]
    # ECR User Guide, "Private registry authentication": GetAuthorizationToken takes no narrower resource than "*"
    assert [a for s in star for a in s["Action"]] == ["ecr:GetAuthorizationToken"]
    # and asked of IAM's policy simulator (moto lacks it: sandbox/iam/policy_simulator.py): what the box may do
    role_arn = iam.get_role(RoleName=profile)["Role"]["Arn"]

    def decision(action: str, resource: str) -> str:
        return iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=[action], ResourceArns=[
            resource])["EvaluationResults"][0]["EvalDecision"]

    assert decision("s3:GetObject", "arn:aws:s3:::lab-datasets/train/x.parquet") == "allowed"
    assert decision("s3:PutObject", "arn:aws:s3:::lab-datasets/x") == "implicitDeny"  # read only
    assert decision("s3:GetObject", "arn:aws:s3:::other-bucket/x") == "implicitDeny"
    assert decision("secretsmanager:GetSecretValue", secret_arn) == "allowed"
    assert decision("secretsmanager:GetSecretValue", secret_arn.replace(name, "lab/other")) == "implicitDeny"
    assert decision("iam:PassRole", "*") == "implicitDeny" and decision("ec2:TerminateInstances", "*") == "implicitDeny"
    trust = iam.get_role(RoleName=profile)["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    rtags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=profile)["Tags"]}
    assert rtags["awswiz:managed"] == "true" and rtags["awswiz:launch-id"] == lid
    # user data names the secret and fetches it at boot into a 0600 file; it never holds the value
    ud = base64.b64decode(ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"])
    text = ud.decode()
    assert f"--secret-id {name}" in text and "export WANDB_API_KEY=" in text and "chmod 600" in text
    assert VALUE not in text
    leaked = [p for p in state_dir.rglob("*") if p.is_file() and VALUE.encode() in p.read_bytes()]
    assert leaked == [] and VALUE not in res.stdout + res.stderr + plan.stdout + plan.stderr
    # the idle alarm: CPU < 5% over 12 periods of 300 s (1 h), the region's EC2 stop action (as --on-shutdown says)
    alarm = cw.describe_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])["MetricAlarms"][0]
    assert alarm["AlarmActions"] == ["arn:aws:automate:us-east-1:ec2:stop"]
    assert (alarm["Period"], alarm["EvaluationPeriods"], alarm["Threshold"]) == (300, 12, 5.0)
    assert alarm["Dimensions"] == [{"Name": "InstanceId", "Value": iid}]
    # moto runs no alarm action: the sandbox fires it, and the box stops as AWS would stop it
    fired = fire(sandbox, alarm["AlarmName"])
    assert fired["actions"][0]["instance_id"] == iid
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"
    # terminate removes the box with its role, profile and alarm
    gone = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    ops = [a["action"] for a in gone.json["data"]["plan"]]
    assert "delete-launch-role" in ops and "delete-launch-alarm" in ops
    done = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm",
                    gone.json["data"]["confirm"])
    assert done.code == 0, done.stdout
    assert box_roles(sandbox) == ([], [])
    assert cw.describe_alarms(AlarmNamePrefix=f"awswiz-idle-stop-{iid}")["MetricAlarms"] == []


@pytest.mark.parametrize("args, said", [
    (("--role", "s3-read:My_Bucket"), "not a bucket name AWS accepts"),
    (("--role", "s3-rw:xn--abc"), "not a bucket name AWS accepts"),
    (("--role", "s3-read"), "needs :BUCKET"),
    (("--role", "admin"), "the templates are"),
    (("--idle-stop", "2m"), "5m to 24h"),
    (("--idle-stop", "25h"), "5m to 24h"),
    (("--secret", "hf/token"), "NAME=ENV_VAR"),
    (("--role", "ssm", "--instance-profile", "mine"), "one or the other"),
])
def test_bad_flags_are_exit_2_before_any_call(offline, args, said):
    r = offline.run("launch", "--type", "g5.xlarge", "--ssh-cidr", "203.0.113.7/32", *args)
    assert r.code == 2 and said in r.json["errors"][0]["message"], r.stdout
    assert offline.connections == 0


def test_a_secret_that_does_not_exist_is_exit_2_and_creates_nothing(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("launch", "--type", "g5.xlarge", "--region", REGION, "--no-wait", "--secret",
                 f"lab/none-{uuid.uuid4().hex[:6]}=HF_TOKEN")
    assert r.code == 2 and "no such secret" in r.json["errors"][0]["message"], r.stdout
    asked = r.json["errors"][0]["message"].split()[1].rstrip(":")
    assert r.json["errors"][0]["hint"].endswith(f"uv run tools/secret.py put --name {asked} --region {REGION}")
    assert changes(sandbox, mark) == [] and box_roles(sandbox) == ([], [])


def test_alarm_action_arn_names_its_region():
    from _awswiz.compute import idle_alarm

    # CloudWatch API Reference, PutMetricAlarm AlarmActions: arn:aws:automate:region:ec2:stop|terminate
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        p = idle_alarm.params("i-0123456789abcdef0", region, 3600, "terminate", {})
        assert p["AlarmActions"] == [f"arn:aws:automate:{region}:ec2:terminate"]
        assert idle_alarm.params("i-0123456789abcdef0", region, 300, "stop", {})["AlarmActions"] == [
            f"arn:aws:automate:{region}:ec2:stop"]
    # botocore PutMetricAlarm Period: a period under an hour spans at most one day (86,400 s)
    assert idle_alarm.parse("24h") == 86400 and idle_alarm.parse("1h30m") == 5400


def test_a_failed_launch_removes_the_role_it_made(sandbox, run_tool):
    from test_launch import set_faults

    args = ("--type", "g5.xlarge", "--name", "t-role-rollback", "--region", REGION, "--no-wait", "--role", "ssm")
    plan = launch(run_tool, *args, confirm=False)
    set_faults(sandbox, [{"type": "g5.xlarge", "region": REGION}])  # no capacity in any AZ: the launch fails
    try:
        res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    finally:
        set_faults(sandbox, [])
    assert res.code == 1, res.stdout
    undone = [r for r in res.json["data"]["results"][0]["rolled_back"] if r["type"] == "iam:role"]
    assert [(r["id"].startswith("awswiz-box-"), r["ok"]) for r in undone] == [(True, True)]
    assert box_roles(sandbox) == ([], [])


def test_a_region_without_the_secret_is_not_used(sandbox, run_tool):
    name = f"lab/west-{uuid.uuid4().hex[:6]}"
    sandbox.client("secretsmanager", "us-west-2").create_secret(Name=name, SecretString=VALUE)
    r = run_tool("launch", "--type", "g5.xlarge", "--region", "us-east-1,us-west-2", "--no-wait", "--secret",
                 f"{name}=HF_TOKEN")
    assert r.code == 0, r.stdout
    data = r.json["data"]
    assert data["plan"][0]["region"] == "us-west-2"  # us-east-1 is cheaper, but the box could not read the secret
    assert {s["id"]: s["reason"] for s in data["skipped"]}["us-east-1"] == f"secret {name} is not in us-east-1"
    stmt = [s for s in data["plan"][0]["detail"]["role"]["policy"]["Statement"] if s["Action"] ==
            ["secretsmanager:GetSecretValue"]]
    assert len(stmt) == 1 and stmt[0]["Resource"][0].startswith(f"arn:aws:secretsmanager:us-west-2:123456789012:"
                                                                f"secret:{name}-")


def test_idle_stop_that_terminates_a_persistent_spot_box_is_refused(offline):
    # EC2 User Guide, "Persistent Spot Instance requests": terminating its instance reopens the request
    r = offline.run("launch", "--type", "g5.xlarge", "--ssh-cidr", "203.0.113.7/32", "--spot", "--persistent",
                    "--on-shutdown", "terminate", "--idle-stop", "1h")
    assert r.code == 2 and "replacement" in r.json["errors"][0]["message"]
    assert offline.connections == 0


def test_an_existing_instance_profile_is_used_and_kept(sandbox, run_tool):
    iam = sandbox.client("iam")
    name = f"lab-profile-{uuid.uuid4().hex[:6]}"
    arn = iam.create_instance_profile(InstanceProfileName=name)["InstanceProfile"]["Arn"]
    missing = run_tool("launch", "--type", "g5.xlarge", "--region", REGION, "--instance-profile", name + "-x")
    assert missing.code == 2 and "no such instance profile" in missing.json["errors"][0]["message"]
    args = ("--type", "g5.xlarge", "--name", "t-profile", "--region", REGION, "--no-wait", "--instance-profile", name)
    plan = launch(run_tool, *args, confirm=False)
    assert "not removed" in plan.json["data"]["plan"][0]["detail"]["instance_profile"]
    res = run_tool("launch", *args, "--confirm", plan.json["data"]["confirm"])
    iid = res.json["data"]["results"][0]["instances"][0]
    inst = sandbox.client("ec2").describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["IamInstanceProfile"]["Arn"] == arn
    gone = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION)
    assert "delete-launch-role" not in [a["action"] for a in gone.json["data"]["plan"]]  # not ours: it stays
    iam.delete_instance_profile(InstanceProfileName=name)


def test_the_sandbox_policy_simulator_follows_iams_evaluation_logic():
    # IAM User Guide, "Policy evaluation logic": an explicit deny wins over any allow; nothing allowed is implicitDeny
    from _awswiz.sandbox.iam.policy_simulator import decide

    allow = {"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]}
    deny = {"Statement": {"Effect": "Deny", "Action": "s3:getobject", "Resource": "arn:aws:s3:::b/secret?"}}
    assert decide([allow], "s3:GetObject", "arn:aws:s3:::b/k") == "allowed"
    assert decide([allow, deny], "s3:GetObject", "arn:aws:s3:::b/secret1") == "explicitDeny"
    assert decide([allow, deny], "s3:GetObject", "arn:aws:s3:::b/secret12") == "allowed"  # ? is one character
    assert decide([allow], "s3:GetObject", "arn:aws:s3:::B/k") == "implicitDeny"  # resources are case-sensitive
    not_action = {"Statement": [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}]}
    assert decide([not_action], "iam:PassRole", "*") == "implicitDeny"
    assert decide([not_action], "ec2:RunInstances", "*") == "allowed"
    conditional = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*",
                                  "Condition": {"Bool": {"aws:SecureTransport": "true"}}}]}
    assert decide([conditional], "s3:GetObject", "*") == "implicitDeny"  # conditions are not modelled: never allows
