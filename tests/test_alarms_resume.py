"""alarms.py notify and idle-stop killed mid-confirm (SIGKILL once a changing call is answered; the next call held at
the gate, never sent), then the same confirm again (exit 4: applied once) and the same command planned afresh: the
plan holds only what is left, its confirm finishes it, and nothing is made twice. Until then `alarms.py list` names
the half-made notification (a topic without rules, a rule without its target) with what it lacks and the command
that removes it.

Regions: only this file uses mx-central-1 (notify) and ap-southeast-7 (idle-stop)."""

from __future__ import annotations

import uuid

import pytest
from gate import kill_through
from mutation_helpers import audit_lines, instance

NOTIFY_REGION = "mx-central-1"
IDLE_REGION = "ap-southeast-7"
EVENTS = "stopped,spot-interruption"


def listed(run_tool, name: str) -> dict:
    out = run_tool("alarms", "list", "--region", NOTIFY_REGION)
    assert out.code == 0, out.stdout + out.stderr
    return {n["name"]: n for n in out.json["data"]["notifications"]}.get(name, {})


# (the changing call after which it is killed, its count) -> what a fresh plan still holds; and whether list can tell
# it is half-made (after the first rule is complete, a missing second event is not visible without the command)
@pytest.mark.parametrize("op, nth, left, visible", [
    ("CreateTopic", 1, ["finish-topic", "put-rule", "put-rule"], True),        # a topic without policy or e-mail
    ("Subscribe", 1, ["put-rule", "put-rule"], True),                           # a topic without rules
    ("PutRule", 1, ["put-rule", "put-rule"], True),                             # a rule that sends nowhere
    ("PutTargets", 1, ["put-rule"], False),                                     # one rule of two
])
def test_notify_killed_half_way_is_listed_and_finished_by_the_same_command_planned_again(sandbox, run_tool, state_dir,
                                                                                       op, nth, left, visible):
    email = f"kill-{uuid.uuid4().hex[:6]}@example.org"
    args = ["notify", "--email", email, "--on", EVENTS, "--region", NOTIFY_REGION]
    plan = run_tool("alarms", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    name, token = plan.json["data"]["plan"][0]["id"], plan.json["data"]["confirm"]
    assert kill_through(sandbox.url, state_dir, "alarms", [*args, "--confirm", token], op, nth) is None
    half = listed(run_tool, name)
    assert half, f"killed after {op}: the half-made notification is not listed"
    if visible:
        assert "made half-way" in half["incomplete"], half
        assert half["fix"] == f"uv run tools/alarms.py delete --name {name} --region {NOTIFY_REGION}", half
    again = run_tool("alarms", *args, "--confirm", token)
    assert again.code == 4 and "already applied" in again.json["errors"][0]["message"], again.stdout
    fresh = run_tool("alarms", *args)
    assert fresh.code == 0, fresh.stdout
    assert [a["action"] for a in fresh.json["data"]["plan"]] == left, fresh.json["data"]["plan"]
    before = len(audit_lines(state_dir))
    done = run_tool("alarms", *args, "--confirm", fresh.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    ops = [s["operation"] for s in audit_lines(state_dir)[before:]]
    assert "CreateTopic" not in ops  # made once, by the killed run
    assert ops.count("Subscribe") == (op == "CreateTopic")  # one confirmation mail, never a second
    whole = listed(run_tool, name)
    assert "incomplete" not in whole and sorted(whole["events"]) == ["spot-interruption", "stopped"], whole
    assert whole["emails"] == [email] and len(whole["topics"]) == 1, whole
    ev, sns = sandbox.client("events", NOTIFY_REGION), sandbox.client("sns", NOTIFY_REGION)
    assert all(ev.list_targets_by_rule(Rule=f"{name}-{e}")["Targets"][0]["Arn"] == whole["topics"][0]
               for e in ("stopped", "spot-interruption"))
    assert len(sns.list_subscriptions_by_topic(TopicArn=whole["topics"][0])["Subscriptions"]) == 1
    finished = run_tool("alarms", *args)  # complete: nothing left to do
    assert finished.code == 0 and finished.json["data"]["plan"] == [], finished.stdout
    assert "already set up" in finished.json["data"]["skipped"][0]["reason"]
    gone = run_tool("alarms", "delete", "--name", name, "--region", NOTIFY_REGION)
    assert run_tool("alarms", "delete", "--name", name, "--region", NOTIFY_REGION, "--confirm",
                    gone.json["data"]["confirm"]).code == 0
    assert listed(run_tool, name) == {}


def test_a_topic_left_without_rules_is_removed_by_the_listed_fix(sandbox, run_tool, state_dir):
    email = f"kill-{uuid.uuid4().hex[:6]}@example.org"
    args = ["notify", "--email", email, "--on", "terminated", "--region", NOTIFY_REGION]
    plan = run_tool("alarms", *args)
    name = plan.json["data"]["plan"][0]["id"]
    assert kill_through(sandbox.url, state_dir, "alarms", [*args, "--confirm", plan.json["data"]["confirm"]],
                        "SetTopicAttributes", 1) is None
    fix = listed(run_tool, name)["fix"].split()[2:]  # uv run tools/alarms.py ...
    gone = run_tool("alarms", *fix[1:])
    assert gone.code == 0 and [a["action"] for a in gone.json["data"]["plan"]] == ["delete-topic"], gone.stdout
    assert run_tool("alarms", *fix[1:], "--confirm", gone.json["data"]["confirm"]).code == 0
    assert listed(run_tool, name) == {}


def test_idle_stop_killed_after_one_alarm_of_two_plans_only_the_other(sandbox, run_tool, state_dir):
    ec2, cw = sandbox.client("ec2", IDLE_REGION), sandbox.client("cloudwatch", IDLE_REGION)
    ids = sorted(instance(ec2) for _ in range(2))
    args = ["idle-stop", "--id", ",".join(ids), "--duration", "30m", "--region", IDLE_REGION]
    try:
        plan = run_tool("alarms", *args)
        assert plan.code == 0, plan.stdout + plan.stderr
        order = [a["target"] for a in plan.json["data"]["plan"]]
        assert sorted(order) == ids
        token = plan.json["data"]["confirm"]
        assert kill_through(sandbox.url, state_dir, "alarms", [*args, "--confirm", token], "PutMetricAlarm", 1) is None
        made = [a["AlarmName"] for a in cw.describe_alarms(AlarmNamePrefix="awswiz-idle-stop-")["MetricAlarms"]]
        assert made == [f"awswiz-idle-stop-{order[0]}"]
        assert run_tool("alarms", *args, "--confirm", token).code == 4
        fresh = run_tool("alarms", *args)
        assert fresh.code == 0, fresh.stdout
        assert [a["target"] for a in fresh.json["data"]["plan"]] == [order[1]], fresh.json["data"]
        said = {s["id"]: s["reason"] for s in fresh.json["data"]["skipped"]}
        assert "already has this idle stop" in said[order[0]], said
        before = len(audit_lines(state_dir))
        done = run_tool("alarms", *args, "--confirm", fresh.json["data"]["confirm"])
        assert done.code == 0, done.stdout + done.stderr
        sent = audit_lines(state_dir)[before:]
        assert [(s["operation"], s["params"]["AlarmName"]) for s in sent] == [
            ("PutMetricAlarm", f"awswiz-idle-stop-{order[1]}")]
        alarms = cw.describe_alarms(AlarmNamePrefix="awswiz-idle-stop-")["MetricAlarms"]
        assert sorted(a["AlarmName"] for a in alarms) == [f"awswiz-idle-stop-{i}" for i in ids]
        again = run_tool("alarms", *args)  # all in place: nothing to do, no token
        assert again.code == 0 and again.json["data"]["plan"] == [], again.stdout
        # a different duration is a change again: the alarm is replaced, not skipped
        other = run_tool("alarms", "idle-stop", "--id", ids[0], "--duration", "1h", "--region", IDLE_REGION)
        assert [a["action"] for a in other.json["data"]["plan"]] == ["replace-alarm"], other.stdout
    finally:
        cw.delete_alarms(AlarmNames=[f"awswiz-idle-stop-{i}" for i in ids])
        ec2.terminate_instances(InstanceIds=ids)
