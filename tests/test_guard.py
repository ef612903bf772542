"""The plan/confirm guard, through stop.py and terminate.py run as subprocesses against the sandbox."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import time

from _awswiz import guard
from _awswiz.inventory.table import tag_map
from conftest import TOOLS, clean_env
from mutation_helpers import assert_audit_matches_server, audit_lines, instance, mutating_calls, state

REGION = "ca-central-1"  # no other test counts on this region


def plan(run_tool, *args):
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    return r.json


def test_plan_step_changes_nothing(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    mark = sandbox.mark()
    doc = plan(run_tool, "stop", "--id", iid, "--region", REGION)
    assert mutating_calls(sandbox, mark) == []
    assert audit_lines(state_dir) == []
    assert state(ec2, iid) == "running"
    data = doc["data"]
    assert data["applied"] is False and len(data["confirm"]) == 16 and data["expires_at"]
    assert [a["id"] for a in data["plan"]] == [iid] and data["plan"][0]["action"] == "stop"
    assert doc["next"][0].endswith(f"--confirm {data['confirm']}")
    saved = json.loads((state_dir / "plans" / f"{data['confirm']}.json").read_text())
    assert saved["record"]["account"] == doc["account"] and saved["record"]["actions"][0]["region"] == REGION
    assert len(saved["hmac"]) == 64  # signed (issue 7 item 5)


def test_wrong_used_and_expired_tokens_are_refused(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    args = ("stop", "--id", iid, "--region", REGION)
    token = plan(run_tool, *args)["data"]["confirm"]
    mark = sandbox.mark()
    for bad, words in (("0123456789abcdef", "unknown"), ("../../etc/passwd", "not a confirmation token"),
                       ("x", "not a confirmation token")):
        r = run_tool(*args, "--confirm", bad)
        assert r.code == 4, r.stdout
        assert r.json["errors"][0]["code"] == "Refused" and words in r.json["errors"][0]["message"]
        assert r.json["data"]["plan"][0]["id"] == iid and r.json["data"]["confirm"] != bad  # the fresh plan
    path = state_dir / "plans" / f"{token}.json"
    saved = json.loads(path.read_text())
    saved["record"]["expires_at"] = time.time() + 10 ** 9  # an edited plan file does not verify
    path.write_text(json.dumps(saved))
    r = run_tool(*args, "--confirm", token)
    assert r.code == 4 and "does not verify" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"
    # (expiry itself is checked in-process in test_safety.py: the shortest TTL allowed is 60 s)
    # a good token works once, and only once
    token = plan(run_tool, *args)["data"]["confirm"]
    assert run_tool(*args, "--confirm", token).code == 0
    ec2.start_instances(InstanceIds=[iid])
    r = run_tool(*args, "--confirm", token)
    assert r.code == 4 and "already applied at" in r.json["errors"][0]["message"]
    assert state(ec2, iid) == "running"


def test_a_tag_added_between_plan_and_confirm_invalidates_the_token(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    token = plan(run_tool, "stop", "--id", iid, "--region", REGION)["data"]["confirm"]
    ec2.create_tags(Resources=[iid], Tags=[{"Key": "owner", "Value": "carol"}])
    mark = sandbox.mark()
    r = run_tool("stop", "--id", iid, "--region", REGION, "--confirm", token)
    assert r.code == 4
    assert "changed" in r.json["errors"][0]["message"] and "tags" in r.json["errors"][0]["message"]
    assert r.json["data"]["plan"][0]["tags"]["owner"] == "carol" and r.json["data"]["confirm"] != token
    assert mutating_calls(sandbox, mark) == [] and state(ec2, iid) == "running"


def test_an_instance_started_between_plan_and_confirm_invalidates_the_token(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    ec2.stop_instances(InstanceIds=[iid])
    token = plan(run_tool, "terminate", "--type", "ec2", "--id", iid, "--region", REGION)["data"]["confirm"]
    ec2.start_instances(InstanceIds=[iid])
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm", token)
    assert r.code == 4 and "state" in r.json["errors"][0]["message"]
    assert state(ec2, iid) == "running"


def test_protected_resources_are_refused_and_survive(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    prod = instance(ec2, tags={"env": "Production"})
    pinned = instance(ec2, tags={"awswiz:protected": "true"})
    mark = sandbox.mark()
    for iid in (prod, pinned):
        for tool in (("stop",), ("terminate", "--type", "ec2")):
            r = run_tool(*tool, "--id", iid, "--region", REGION)
            assert r.code == 4, r.stdout
            assert r.json["data"]["confirm"] is None and "protected" in r.json["errors"][0]["message"]
    # selected by tag, protected instances are skipped, never stopped
    r = run_tool("stop", "--tag", "env=Production", "--region", REGION)
    assert r.code == 0 and r.json["data"]["plan"] == [] and r.json["data"]["skipped"][0]["id"] == prod
    assert mutating_calls(sandbox, mark) == [] and audit_lines(state_dir) == []
    assert state(ec2, prod) == state(ec2, pinned) == "running"


def test_max_caps_the_resources_of_one_operation(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    batch = tag_map([{"Key": "batch", "Value": os.urandom(4).hex()}])
    ids = [instance(ec2, tags=batch) for _ in range(3)]
    tag = "batch=" + batch["batch"]
    mark = sandbox.mark()
    r = run_tool("stop", "--tag", tag, "--region", REGION, "--max", "2")
    assert r.code == 4 and "over --max 2" in r.json["errors"][0]["message"]
    assert r.json["data"]["confirm"] is None
    assert run_tool("stop", "--id", ",".join(ids), "--region", REGION, "--max", "2").code == 4
    assert mutating_calls(sandbox, mark) == []
    token = plan(run_tool, "stop", "--tag", tag, "--region", REGION, "--max", "3")["data"]["confirm"]
    assert run_tool("stop", "--tag", tag, "--region", REGION, "--max", "3", "--confirm", token).code == 0
    assert {state(ec2, i) for i in ids} <= {"stopping", "stopped"}
    assert len(assert_audit_matches_server(sandbox, state_dir, mark)) == 3


def test_typed_account_confirmation_at_a_terminal(sandbox, state_dir):
    """--pretty on a real pseudo-terminal: typing the account id applies; anything else cancels."""
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(state_dir))

    def typed(text: str) -> subprocess.CompletedProcess:
        master, slave = pty.openpty()
        try:
            os.write(master, text.encode() + b"\n")
            return subprocess.run([sys.executable, str(TOOLS / "stop.py"), "--id", iid, "--region", REGION,
                                   "--pretty"], stdin=slave, capture_output=True, text=True, env=env, timeout=60)
        finally:
            os.close(master)
            os.close(slave)

    p = typed("999999999999")
    assert p.returncode == 4 and "not confirmed" in p.stdout and state(ec2, iid) == "running"
    p = typed("123456789012")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "Applied" in p.stdout and state(ec2, iid) in ("stopping", "stopped")
    assert audit_lines(state_dir)[0]["confirm"] == "typed-account"


def test_protection_rules():
    assert guard.protection({"awswiz:protected": "TRUE"})
    assert guard.protection({"Environment": "prod"}) and guard.protection({"stage": "production"})
    assert guard.protection({"env": "dev"}) is None and guard.protection({}) is None


def test_an_action_is_refused_when_what_it_touches_is_protected():
    # The rule lives once, in the core (DESIGN "Mutations"): an action carries its resource's own tags and what
    # it touches (containers, side effects) with theirs; a protected one of these blocks the whole target, even
    # when the resource named is not protected itself, and in a bulk (not explicit) run the target is skipped.
    def plan():
        return guard.Plan(actions=[
            guard.Action(op="release", type="ec2:elastic-ip", id="eipalloc-1", region="r", tags={},
                         touches={"instance i-1 (associated)": {"Env ": " Prod"}}),
            guard.Action(op="delete", type="ec2:volume", id="vol-2", region="r", tags={}, target="i-2",
                         touches={"instance i-2": {}}),
            guard.Action(op="terminate", type="ec2:instance", id="i-2", region="r", tags={}),
            guard.Action(op="delete", type="ec2:volume", id="vol-3", region="r", tags={"awswiz:protected": "yes"},
                         target="i-3"),
            guard.Action(op="terminate", type="ec2:instance", id="i-3", region="r", tags={})])
    p = plan()
    blocked = guard._apply_protection(p, explicit=True)
    assert {a.id for a in blocked} == {"eipalloc-1", "vol-3", "i-3"}
    assert "instance i-1 (associated) is protected" in blocked[0].blocked
    p = plan()
    assert guard._apply_protection(p, explicit=False) == []
    assert [a.id for a in p.actions] == ["vol-2", "i-2"]  # only the target with nothing protected is left
    assert {s["id"] for s in p.skipped} == {"eipalloc-1", "i-3"}
