"""launch.py --role killed after the box's role (and profile) is made and before RunInstances, then the same confirm
again (exit 4) and a fresh plan: the role is found under its launch's IAM path (awswiz:launch-of), carries the
managed tags terminate reads, and the resumed confirm reuses it (same launch id, so the same RunInstances client
tokens) or, when its launch id may be spent, removes it first: never a second role for one box, none left without
one. And --idle-stop's alarm, put after RunInstances: a confirm killed in between is named with its fix."""

from __future__ import annotations

import pytest
from gate import kill_through
from mutation_helpers import audit_lines
from test_launch_roles import box_roles, cleanup  # noqa: F401 - the autouse fixture removes boxes, roles, profiles

REGION = "us-east-1"


def tags_of(items: list[dict]) -> dict:
    return {t["Key"]: t["Value"] for t in items}


def boxes(sandbox, name: str) -> list[dict]:
    ec2 = sandbox.client("ec2", REGION)
    return [i for r in ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])["Reservations"]
        for i in r["Instances"]]


@pytest.mark.parametrize("op, spent", [
    ("CreateRole", False),                # the role alone: no policy, no profile yet
    ("AddRoleToInstanceProfile", False),  # role and profile made, killed before the key pair and the box
    ("AddRoleToInstanceProfile", True),   # and its launch id spent since (an instance carried it): removed first
])
def test_a_confirm_killed_after_the_role_reuses_or_removes_it_never_a_second(sandbox, run_tool, state_dir, op, spent):
    name = f"t-kill-role-{op[:6].lower()}-{int(spent)}"
    args = ["--type", "g5.xlarge", "--name", name, "--no-wait", "--region", REGION, "--role", "ssm",
            "--ssh-cidr", "192.0.2.71/32"]
    plan = run_tool("launch", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    token = plan.json["data"]["confirm"]
    assert kill_through(sandbox.url, state_dir, "launch", [*args, "--confirm", token], op, 1) is None
    iam = sandbox.client("iam")
    [role], profiles = box_roles(sandbox)
    assert profiles == ([] if op == "CreateRole" else [role]) and boxes(sandbox, name) == []
    made = iam.get_role(RoleName=role)["Role"]
    rtags = tags_of(iam.list_role_tags(RoleName=role)["Tags"])
    lid, of = rtags["awswiz:launch-id"], rtags["awswiz:launch-of"]
    # what the rest of the toolbox reads: managed, its launch, and the launch's path (a fresh plan's one ListRoles)
    assert rtags["awswiz:managed"] == "true" and role == f"awswiz-box-{lid}" and made["Path"] == f"/awswiz/{of}/"
    if spent:  # an instance carried the launch id (a box launched and terminated by hand): its tokens are spent
        ec2 = sandbox.client("ec2", REGION)
        image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
        iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "awswiz:launch-id", "Value": lid}]}])["Instances"][0][
            "InstanceId"]
        ec2.terminate_instances(InstanceIds=[iid])
    again = run_tool("launch", *args, "--confirm", token)
    assert again.code == 4 and "already applied" in again.json["errors"][0]["message"], again.stdout
    fresh = run_tool("launch", *args)
    assert fresh.code == 0, fresh.stdout + fresh.stderr
    creates = fresh.json["data"]["plan"][0]["detail"]["creates"]
    said = [c for c in creates if role in c]
    assert said and ("removes first" in said[0] if spent else "used now" in said[0]), creates
    before = len(audit_lines(state_dir))
    done = run_tool("launch", *args, "--confirm", fresh.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    answered = {d["id"]: d["outcome"] for d in audit_lines(state_dir, "done")}
    # what AWS did (roles.create sends CreateRole again and keeps the role on EntityAlreadyExists: not made twice)
    ops = [s["operation"] for s in audit_lines(state_dir)[before:] if answered[s["id"]] == "ok"]
    [box] = boxes(sandbox, name)
    box_lid = tags_of(box["Tags"])["awswiz:launch-id"]
    profile = box["IamInstanceProfile"]["Arn"].rpartition("/")[2]
    roles, profiles = box_roles(sandbox)
    assert roles == profiles == [profile] == [f"awswiz-box-{box_lid}"], (roles, profiles)  # one role, the box's
    if spent:
        assert box_lid != lid and ops.index("DeleteRole") < ops.index("CreateRole"), ops
    else:  # the killed confirm's role and launch id (the same RunInstances ClientTokens)
        assert box_lid == lid and "DeleteRole" not in ops and "CreateRole" not in ops, ops
        assert ops.count("CreateInstanceProfile") == (op == "CreateRole"), ops
    # the box's own role goes with it: terminate finds it by the profile's tags
    end = run_tool("terminate", "--type", "ec2", "--id", box["InstanceId"], "--region", REGION)
    assert f"awswiz-box-{box_lid}" in {a["id"] for a in end.json["data"]["plan"]}, end.stdout
    r = run_tool("terminate", "--type", "ec2", "--id", box["InstanceId"], "--region", REGION, "--confirm",
                 end.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert box_roles(sandbox) == ([], [])


def test_a_confirm_killed_after_the_box_before_its_idle_alarm_names_the_command_that_puts_it(sandbox, run_tool,
                                                                                              state_dir):
    """--idle-stop's alarm is put after RunInstances: a confirm killed in between leaves a box without its AWS-side
    stop. The same launch planned again does not launch a second box (it exists) and says the alarm is missing,
    with the alarms.py command that puts it; that command, run as printed, puts it."""
    import shlex

    name = "t-kill-idle"
    args = ["--type", "g5.xlarge", "--name", name, "--no-wait", "--region", REGION, "--idle-stop", "1h30m",
            "--ssh-cidr", "192.0.2.72/32"]
    plan = run_tool("launch", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    assert kill_through(sandbox.url, state_dir, "launch", [*args, "--confirm", plan.json["data"]["confirm"]],
                        "RunInstances", 1) is None
    [box] = boxes(sandbox, name)
    iid, cw = box["InstanceId"], sandbox.client("cloudwatch", REGION)
    try:
        assert cw.describe_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])["MetricAlarms"] == []
        again = run_tool("launch", *args)
        assert again.code == 0 and again.json["data"]["plan"] == [], again.stdout
        [said] = again.json["data"]["skipped"]
        assert said["id"] == iid and "idle-stop alarm is missing" in said["reason"], said
        fix = said["reason"].split("put it with: ")[1]
        assert fix == (f"uv run tools/alarms.py idle-stop --id {iid} --duration 1h30m --then terminate "
                       f"--region {REGION}"), fix
        words = shlex.split(fix)[3:]
        put = run_tool("alarms", *words)
        assert put.code == 0 and [a["action"] for a in put.json["data"]["plan"]] == ["put-alarm"], put.stdout
        assert run_tool("alarms", *words, "--confirm", put.json["data"]["confirm"]).code == 0
        [alarm] = cw.describe_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])["MetricAlarms"]
        assert alarm["AlarmActions"] == [f"arn:aws:automate:{REGION}:ec2:terminate"]
        assert alarm["Period"] * alarm["EvaluationPeriods"] == 5400
        done = run_tool("launch", *args)  # nothing missing now
        assert "missing" not in done.json["data"]["skipped"][0]["reason"], done.stdout
    finally:
        cw.delete_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])


def test_a_left_role_tagged_protected_refuses_the_resumed_launch(sandbox, run_tool, state_dir):
    """The resumed confirm changes the left role (its policy is put again, or it is removed): it is a part the launch
    touches, with its own tags, so the guard's one rule refuses a protected one (exit 4, nothing sent)."""
    from mutation_helpers import mutating_calls

    name = "t-kill-role-prot"
    args = ["--type", "g5.xlarge", "--name", name, "--no-wait", "--region", REGION, "--role", "ssm",
            "--ssh-cidr", "192.0.2.73/32"]
    plan = run_tool("launch", *args)
    assert kill_through(sandbox.url, state_dir, "launch", [*args, "--confirm", plan.json["data"]["confirm"]],
                        "AddRoleToInstanceProfile", 1) is None
    [role], _ = box_roles(sandbox)
    iam = sandbox.client("iam")
    iam.tag_role(RoleName=role, Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    mark = sandbox.mark()
    r = run_tool("launch", *args)
    assert r.code == 4, r.stdout + r.stderr
    assert f"IAM role {role}" in r.json["errors"][0]["message"] and "protected" in r.json["errors"][0]["message"]
    assert [c for c in mutating_calls(sandbox, mark) if c["action"] != "RunInstances"] == []  # but the DryRun check
    assert box_roles(sandbox) == ([role], [role]) and boxes(sandbox, name) == []
    iam.untag_role(RoleName=role, TagKeys=["awswiz:protected"])
