"""schedule.py set|list|remove, and reap.py applying schedules (the windows themselves: in-process)."""

from __future__ import annotations

import datetime as _dt

import pytest
from _awswiz.removal import schedules
from mutation_helpers import audit_lines, instance, state

REGION = "ap-northeast-3"  # no other test uses it: reap sees only these tests' resources
KEY = schedules.KEY


def hhmm(hours: float) -> str:
    return (_dt.datetime.now(_dt.UTC) + _dt.timedelta(hours=hours)).strftime("%H:%M")


def tags_of(ec2, iid: str) -> dict:
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    return {t["Key"]: t["Value"] for t in inst.get("Tags", [])}


def confirm(guarded, *args):
    """plan (nothing changed), confirm (the audit log equals what the server saw) -> (plan's data, confirm's Run)."""
    return guarded(*args).run()


@pytest.mark.parametrize("stop,start,tz,now,want,since", [
    ("20:00", "08:00", "UTC", "2026-11-24T23:30", "stopped", "2026-11-24T20:00"),
    ("20:00", "08:00", "UTC", "2026-11-24T07:59", "stopped", "2026-11-23T20:00"),
    ("20:00", "08:00", "UTC", "2026-11-24T08:00", "running", "2026-11-24T08:00"),
    ("08:00", "20:00", "UTC", "2026-11-24T12:00", "stopped", "2026-11-24T08:00"),
    ("08:00", "20:00", "UTC", "2026-11-24T21:00", "running", "2026-11-24T20:00"),
    # 20:00 in Paris is 19:00 UTC in winter (CET, UTC+1)
    ("20:00", "08:00", "Europe/Paris", "2026-11-24T19:30", "stopped", "2026-11-24T19:00"),
])
def test_window(stop, start, tz, now, want, since):
    at = _dt.datetime.fromisoformat(now).replace(tzinfo=_dt.UTC)
    got, began = schedules.wanted(schedules.parse(f"stop={stop};start={start};tz={tz}"), at)
    assert (got, began.strftime("%Y-%m-%dT%H:%M")) == (want, since)


@pytest.mark.parametrize("value", ["stop=20:00;start=08:00;tz=UTC ", "stop=20:00; start=08:00;tz=UTC",
                                   "STOP=20:00;start=08:00;tz=UTC", "stop=24:00;start=08:00;tz=UTC",
                                   "stop=8:00;start=20:00;tz=UTC", "stop=20:00;start=20:00;tz=UTC",
                                   "stop=20:00;start=08:00;tz=Mars/Olympus", "stop=20:00;start=08:00",
                                   # a zone whose meaning is the reaping machine's, not one place (issue 19)
                                   "stop=20:00;start=08:00;tz=localtime", "stop=20:00;start=08:00;tz=posixrules",
                                   "stop=20:00;start=08:00;tz=Factory"])
def test_hand_edited_schedules_do_not_parse(value):
    with pytest.raises(schedules.Invalid):
        schedules.parse(value)


def test_set_list_remove_round_trip(sandbox, run_tool, state_dir, guarded):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    plan, r = confirm(guarded, "schedule", "set", "--id", iid, "--stop", "20:00", "--start", "08:00")
    assert [(a["action"], a["id"], a["region"]) for a in plan["plan"]] == [("set-schedule", iid, REGION)]
    assert r.code == 0, r.stdout + r.stderr
    assert tags_of(ec2, iid)[KEY] == "stop=20:00;start=08:00;tz=UTC"
    assert [s["operation"] for s in audit_lines(state_dir)] == ["CreateTags"]

    listed = run_tool("schedule", "list", "--region", REGION)
    assert listed.code == 0, listed.stdout + listed.stderr
    row = next(i for i in listed.json["data"]["instances"] if i["id"] == iid)
    assert row["schedule"] == "stop=20:00;start=08:00;tz=UTC" and row["wanted_now"] in ("stopped", "running")

    plan, r = confirm(guarded, "schedule", "remove", "--id", iid, "--region", REGION)
    assert [a["action"] for a in plan["plan"]] == ["remove-schedule"] and r.code == 0, r.stdout + r.stderr
    assert KEY not in tags_of(ec2, iid)
    listed = run_tool("schedule", "list", "--region", REGION)
    assert iid not in [i["id"] for i in listed.json["data"]["instances"]]
    ec2.terminate_instances(InstanceIds=[iid])


def test_protected_instance_is_not_scheduled(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2, tags={"stage": "PRODUCTION"})
    r = run_tool("schedule", "set", "--id", iid, "--stop", "20:00", "--start", "08:00")
    assert r.code == 4 and "protected" in r.json["errors"][0]["message"]
    assert KEY not in tags_of(ec2, iid)
    ec2.terminate_instances(InstanceIds=[iid])


def test_reap_applies_schedules(sandbox, run_tool, state_dir, tmp_path):
    ec2 = sandbox.client("ec2", REGION)
    off_now = f"stop={hhmm(-1)};start={hhmm(1)};tz=UTC"  # a window that covers the current time
    on_now = f"stop={hhmm(1)};start={hhmm(-1)};tz=UTC"
    to_stop = instance(ec2, tags={KEY: off_now})
    to_start = instance(ec2, tags={KEY: on_now})
    ec2.stop_instances(InstanceIds=[to_start])
    in_window = instance(ec2, tags={KEY: on_now})
    # a one-time spot request (what RunInstances with spot market options makes) cannot be stopped: "Stop a Spot
    # Instance" (EC2 User Guide) requires a persistent request
    spot = instance(ec2, tags={KEY: off_now}, InstanceMarketOptions={"MarketType": "spot"})
    garbled = instance(ec2, tags={KEY: off_now + " "})

    plan = run_tool("reap", "--region", REGION)
    assert plan.code == 0, plan.stdout + plan.stderr
    data = plan.json["data"]
    acts = {a["id"]: a["action"] for a in data["plan"]}
    assert acts.get(to_stop) == "stop" and acts.get(to_start) == "start"
    assert in_window not in acts and spot not in acts and garbled not in acts
    reasons = {s["id"]: s["reason"] for s in data["skipped"]}
    assert "one-time spot request" in reasons[spot] and "malformed" in reasons[garbled]

    r = run_tool("reap", "--region", REGION, "--confirm", data["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert state(ec2, to_stop) in ("stopping", "stopped") and state(ec2, to_start) in ("pending", "running")
    assert state(ec2, in_window) == state(ec2, spot) == state(ec2, garbled) == "running"
    ops = sorted((s["operation"], s["resources"][0]) for s in audit_lines(state_dir))
    assert ops == sorted([("StopInstances", to_stop), ("StartInstances", to_start)])

    # under a policy: only when it says schedules = true
    ec2.start_instances(InstanceIds=[to_stop])
    policy = tmp_path / "p.toml"
    policy.write_text(f'types = ["ec2:instance"]\nregions = ["{REGION}"]\nmax = 5\n')
    policy.chmod(0o600)
    r = run_tool("reap", "--policy", str(policy))
    assert r.code == 0 and state(ec2, to_stop) == "running", r.stdout + r.stderr
    policy.write_text(policy.read_text() + "schedules = true\n")
    r = run_tool("reap", "--policy", str(policy))
    assert r.code == 0, r.stdout + r.stderr
    assert state(ec2, to_stop) in ("stopping", "stopped")
    assert [x["id"] for x in r.json["data"]["results"]] == [to_stop]
    ec2.terminate_instances(InstanceIds=[to_stop, to_start, in_window, spot, garbled])


def test_set_by_tag_skips_protected_and_already_scheduled(sandbox, run_tool, state_dir, guarded):
    ec2 = sandbox.client("ec2", REGION)
    team = f"t{_dt.datetime.now().microsecond}"
    plain = instance(ec2, tags={"team": team})
    prod = instance(ec2, tags={"team": team, "Environment": "Prod"})
    done = instance(ec2, tags={"team": team, KEY: "stop=19:00;start=07:00;tz=Europe/Paris"})
    args = ("schedule", "set", "--tag", f"team={team}", "--region", REGION, "--stop", "19:00", "--start", "07:00",
            "--tz", "Europe/Paris")
    plan, r = confirm(guarded, *args)
    assert [a["id"] for a in plan["plan"]] == [plain], plan
    reasons = {s["id"]: s["reason"] for s in plan["skipped"]}
    assert "protected" in reasons[prod] and "already has" in reasons[done]
    assert r.code == 0, r.stdout + r.stderr
    assert tags_of(ec2, plain)[KEY] == "stop=19:00;start=07:00;tz=Europe/Paris" and KEY not in tags_of(ec2, prod)
    ec2.terminate_instances(InstanceIds=[plain, prod, done])


@pytest.mark.parametrize("args", [
    ("schedule", "list", "--region", REGION),
    ("schedule", "set", "--id", "i-0123456789abcdef0", "--stop", "20:00", "--start", "08:00", "--region", REGION),
    ("terminate", "--type", "ec2", "--id", "i-0123456789abcdef0", "--region", REGION),
    ("reap", "--region", REGION, "--no-schedules"),
])
def test_every_run_that_asked_aws_names_the_account(sandbox, run_tool, args):
    # issue 19: several tools printed "account": null after making calls (DESIGN.md: the envelope's account)
    mark = sandbox.mark()
    r = run_tool(*args)
    assert r.code in (0, 2), r.stdout + r.stderr
    assert [c for c in sandbox.calls(mark) if c["service"] != "sts"]  # it asked AWS
    assert r.json["account"] == "123456789012", r.stdout


def test_a_spot_instance_stopped_by_an_interruption_is_never_started_by_its_schedule():
    """In-process (the sandbox cannot interrupt a spot instance: AWS does that through capacity, or FIS). EC2 User
    Guide, "Behavior of Spot Instance interruptions": "Only Amazon EC2 can restart an interrupted stopped Spot
    Instance"; botocore ec2 StateReason: Server.SpotInstanceShutdown is such a stop. A spot instance the user
    stopped (Client.UserInitiatedShutdown) and an on-demand one are started as their schedule says."""
    import types

    from _awswiz import guard
    from _awswiz.removal import reap as reap_plan

    def inst(iid: str, code: str, spot: bool = True) -> dict:
        return {"InstanceId": iid, "State": {"Name": "stopped"}, "StateReason": {"Code": code, "Message": code},
                "Tags": [{"Key": KEY, "Value": "stop=00:00;start=06:00;tz=UTC"}],
                **({"InstanceLifecycle": "spot"} if spot else {})}

    reaper = reap_plan.Reaper(types.SimpleNamespace(aws=types.SimpleNamespace(client=lambda *a: None)), [REGION])
    plan = guard.Plan(actions=[])
    reaper._schedule_actions(REGION, [inst("i-interrupted", "Server.SpotInstanceShutdown"),
                                      inst("i-user", "Client.UserInitiatedShutdown"),
                                      inst("i-ondemand", "Client.UserInitiatedShutdown", spot=False)],
                             _dt.datetime(2026, 11, 24, 12, 0, tzinfo=_dt.UTC), plan)
    assert [(a.op, a.id) for a in plan.actions] == [("start", "i-user"), ("start", "i-ondemand")]
    (why,) = [s["reason"] for s in plan.skipped if s["id"] == "i-interrupted"]
    assert "spot interruption" in why and "only Amazon EC2 restarts" in why
