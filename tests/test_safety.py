"""Issue 7: the guard tried as an attacker would. Each test names the hole it closes; each failed on the
main branch before the fix (noted where the old behaviour was)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time

import pytest
from _awswiz import guard
from _awswiz.guard import tokens as plans
from _awswiz.shell import output, settings
from conftest import ROOT, TOOLS, clean_env
from mutation_helpers import audit_lines, instance, mutating_calls, state

REGION = "ap-south-1"  # no other test counts on this region


def ec2_of(sandbox):
    return sandbox.client("ec2", REGION)


# --- 1. an empty selector is bad input, never "everything" ----------------------------------------
# (each tool's empty selector, bad settings, a bad AWSWIZ_TODAY: test_bad_input.py, without the emulator)

def test_guard_refuses_a_plan_whose_selector_is_empty():
    """The rule lives in the guard too, so a new tool that forgets to check its flags cannot widen."""
    with pytest.raises(guard.BadInput):
        guard.check_selector({"region": "r", "ids": [], "tags": {}})
    guard.check_selector({"region": "r", "ids": [], "tags": {"a": "b"}})
    guard.check_selector({"region": "r"})  # a tool without selectors (cleanup_sg's region sweep)


# --- 2. protection: stripped, case-folded, true/yes/1 --------------------------------------------

@pytest.mark.parametrize("tags", [
    {"stage": "prod "}, {"env": " prod"}, {"environment": "production\t"}, {"env ": "prod"}, {"ENV": "PROD"},
    {"AWSWIZ:PROTECTED": "true"}, {"awswiz:protected": "yes"}, {"awswiz:protected": "1"},
    {" awswiz:protected ": " Yes "},
])
def test_protection_ignores_spaces_and_case(tags):
    assert guard.protection(tags), tags  # each of these was unprotected before


@pytest.mark.parametrize("tags", [{"env": "dev"}, {"awswiz:protected": "false"}, {"awswiz:protected": "no"},
                                  {"stage": "preprod"}, {"name": "prod"}, {}])
def test_protection_is_not_claimed_where_none_was_asked(tags):
    assert guard.protection(tags) is None


def test_inherited_protection_names_the_container():
    reason = guard.inherited_protection({"Name": "a"}, {"VPC vpc-1": {"Env ": "Prod"}})
    assert reason.startswith("VPC vpc-1 is protected")
    assert guard.inherited_protection({}, {"VPC vpc-1": {"env": "dev"}}) is None


def test_a_spaced_prod_tag_is_refused_and_next_leaves_it_out(sandbox, run_tool):
    ec2 = ec2_of(sandbox)
    prod = instance(ec2, tags={"stage": "prod "})
    free = instance(ec2)
    mark = sandbox.mark()
    r = run_tool("stop", "--id", f"{prod},{free}", "--region", REGION)
    assert r.code == 4 and prod in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == [] and state(ec2, prod) == "running"
    # the refusal offers the command without the protected id, and it works as printed
    (cmd,) = r.json["next"]
    assert prod not in cmd and f"--id {free}" in cmd and "--confirm" not in cmd
    args = cmd.split()[3:]  # uv run tools/stop.py ARGS
    again = run_tool("stop", *args)
    assert again.code == 0 and [a["id"] for a in again.json["data"]["plan"]] == [free]


# --- 4. a token applies once, even under concurrent confirms ---------------------------------------

def test_concurrent_confirms_of_one_token_apply_once(sandbox, run_tool, state_dir):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    args = ["stop", "--id", iid, "--region", REGION]
    token = run_tool(*args).json["data"]["confirm"]
    mark = sandbox.mark()
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(state_dir))
    procs = [subprocess.Popen([sys.executable, str(TOOLS / "stop.py"), *args[1:], "--confirm", token], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outs = [(p.wait(120), json.loads(p.stdout.read())) for p in procs]
    assert sorted(code for code, _ in outs) == [0, 4, 4, 4], outs
    for code, doc in outs:
        if code == 4:
            assert "already applied" in doc["errors"][0]["message"]
    stops = [c for c in mutating_calls(sandbox, mark) if c["action"] == "StopInstances"]
    assert len(stops) == 1
    assert [s["confirm"] for s in audit_lines(state_dir) if s["operation"] == "StopInstances"] == [token]


# --- 5. plan files are signed ---------------------------------------------------------------------

def test_a_copied_or_edited_plan_file_is_refused(sandbox, run_tool, state_dir):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    args = ("stop", "--id", iid, "--region", REGION)
    token = run_tool(*args).json["data"]["confirm"]
    plans_dir = state_dir / "plans"
    # copied under a new token (the old replay: a fresh expiry for an old plan)
    forged = "0" * 16
    (plans_dir / f"{forged}.json").write_text((plans_dir / f"{token}.json").read_text())
    r = run_tool(*args, "--confirm", forged)
    assert r.code == 4 and "belongs to token" in r.json["errors"][0]["message"]
    # edited: expiry moved, or the digest swapped
    doc = json.loads((plans_dir / f"{token}.json").read_text())
    doc["record"]["expires_at"] += 10 ** 8
    (plans_dir / f"{token}.json").write_text(json.dumps(doc))
    r = run_tool(*args, "--confirm", token)
    assert r.code == 4 and "does not verify" in r.json["errors"][0]["message"]
    assert state(ec2, iid) == "running" and audit_lines(state_dir) == []
    key = plans_dir.parent / "plan.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_a_token_expires_after_its_ttl(state_dir, monkeypatch):
    """In-process: the shortest TTL allowed is 60 s, too long to sleep through in a test."""
    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(state_dir))
    monkeypatch.setenv("AWSWIZ_CONFIRM_TTL", "60")
    record = plans.save({"tool": "stop", "account": "123456789012", "digest": "d", "scope": {}, "actions": []})
    assert guard._token_problem("stop", "123456789012", record["token"])[1] is None
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    _, problem = guard._token_problem("stop", "123456789012", record["token"])
    assert problem and "expired at" in problem[0]


# --- 6. every wait is bounded; a dead region holds nobody hostage -----------------------------------

def test_a_region_that_never_answers_becomes_a_timeout_error(run_tool, faulty):
    url, _ = faulty(hang={"eu-west-1"})
    r = run_tool("scan", "--region", "us-east-1,eu-west-1", "--service", "ec2", "--timeout", "15",
                 endpoint=url, timeout=120)
    assert r.code == 3, r.stderr  # was: ~570 s (10 attempts x 30 s), then the same answer
    doc = r.json
    assert {e["region"] for e in doc["errors"]} == {"eu-west-1"}
    assert {e["code"] for e in doc["errors"]} == {"Timeout"}
    assert doc["data"]["resources"] and {x["region"] for x in doc["data"]["resources"]} == {"us-east-1"}


def test_a_changing_tool_against_a_dead_endpoint_fails_at_its_deadline(run_tool, faulty):
    url, _ = faulty(hang={REGION})
    r = run_tool("stop", "--id", "i-0123456789abcdef0", "--region", REGION, "--timeout", "3",
                 endpoint=url, timeout=120)
    assert r.code == 1, r.stdout  # was: 345 s to fail
    assert r.json["errors"][0]["code"] == "Timeout"


# --- 7. every AWSWIZ_* setting is checked --------------------------------------------------------

def test_every_setting_is_documented():
    readme, agents = (ROOT / "README.md").read_text(), (ROOT / "AGENTS.md").read_text()
    for name in [*settings.SETTINGS, "AWSWIZ_STATE_DIR", settings.TODAY]:
        assert name in readme and name in agents, name


# --- 8. strict JSON ------------------------------------------------------------------------------

def test_output_is_strict_json():
    text = output.dumps({"a": float("inf"), "b": [float("nan"), 1.5]})
    assert "Infinity" not in text.replace('"inf"', "") and "NaN" not in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-strict constant {c}"))


# --- 9. the state directory is private and follows no link ----------------------------------------

def _modes(root):
    for dirpath, _dirnames, filenames in os.walk(root):
        yield dirpath, stat.S_IMODE(os.lstat(dirpath).st_mode), True
        for f in filenames:
            yield os.path.join(dirpath, f), stat.S_IMODE(os.lstat(os.path.join(dirpath, f)).st_mode), False


def test_state_files_are_private(sandbox, run_tool, tmp_path):
    state_dir = tmp_path / "fresh-state"
    iid = instance(ec2_of(sandbox))
    env = {"AWSWIZ_STATE_DIR": str(state_dir)}
    token = run_tool("stop", "--id", iid, "--region", REGION, env=env).json["data"]["confirm"]
    assert run_tool("stop", "--id", iid, "--region", REGION, "--confirm", token, env=env).code == 0
    assert run_tool("list_instances", "--filter", "g5.xlarge", "--region", "us-east-1", env=env).code == 0
    seen = list(_modes(state_dir))
    names = {os.path.basename(p) for p, _, _ in seen}
    assert {"audit.jsonl", "plan.key", f"{token}.json", f"{token}.claim"} <= names
    assert all(mode == (0o700 if is_dir else 0o600) for _, mode, is_dir in seen), seen


def test_an_open_state_dir_is_tightened(sandbox, run_tool, tmp_path):
    state_dir = tmp_path / "open-state"
    state_dir.mkdir(mode=0o755)
    os.chmod(state_dir, 0o755)  # what git made of the tracked .state/ before
    iid = instance(ec2_of(sandbox))
    assert run_tool("stop", "--id", iid, "--region", REGION, env={"AWSWIZ_STATE_DIR": str(state_dir)}).code == 0
    assert stat.S_IMODE(state_dir.stat().st_mode) == 0o700


@pytest.mark.parametrize("link", ["audit.jsonl", "plans"])
def test_links_inside_the_state_dir_are_refused(sandbox, run_tool, state_dir, tmp_path, link):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    if link == "plans":
        (state_dir / "plans").symlink_to(outside, target_is_directory=True)
        r = run_tool("stop", "--id", iid, "--region", REGION)
    else:
        (state_dir / "audit.jsonl").symlink_to(outside / "stolen.jsonl")
        r = run_tool("stop", "--id", iid, "--region", REGION)
    assert r.code == 1 and r.json["errors"][0]["code"] == "UnsafeState", r.stdout
    assert list(outside.iterdir()) == []  # nothing was written through the link
    assert state(ec2, iid) == "running"  # and no call left without its audit line


def test_a_relative_state_dir_is_made_absolute_and_said(sandbox, tmp_path):
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR="rel-state")
    p = subprocess.run([sys.executable, str(TOOLS / "stop.py"), "--id", "i-0123456789abcdef0", "--region", REGION],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert str(tmp_path / "rel-state") in p.stderr and (tmp_path / "rel-state").is_dir()


def test_the_state_dir_is_not_tracked_by_git():
    tracked = subprocess.run(["git", "ls-files", ".state"], cwd=ROOT, capture_output=True, text=True).stdout
    assert tracked == ""


# --- 11. exit codes and messages that do not mislead ----------------------------------------------

def test_max_refusal_shows_counts_not_the_whole_plan(sandbox, run_tool):
    ec2 = ec2_of(sandbox)
    batch = os.urandom(4).hex()
    ids = [instance(ec2, tags={"batch": batch}) for _ in range(12)]
    r = run_tool("stop", "--tag", f"batch={batch}", "--region", REGION, "--max", "2")
    assert r.code == 4 and "12 resources, over --max 2" in r.json["errors"][0]["message"]
    data = r.json["data"]
    assert len(data["plan"]) == guard.SHOWN_WHEN_REFUSED < len(ids)
    assert data["plan_total"] == 12 and data["plan_counts"] == {"stop ec2:instance": 12}


def test_a_token_of_another_tool_says_so(sandbox, run_tool):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    token = run_tool("stop", "--id", iid, "--region", REGION).json["data"]["confirm"]
    r = run_tool("terminate", "--type", "ec2", "--id", iid, "--region", REGION, "--confirm", token)
    assert r.code == 4 and "belongs to a plan of stop, not of terminate" in r.json["errors"][0]["message"]
    assert state(ec2, iid) == "running"


def test_a_garbage_token_on_an_empty_plan_is_refused(sandbox, run_tool):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    ec2.stop_instances(InstanceIds=[iid])  # nothing left to stop
    r = run_tool("stop", "--id", iid, "--region", REGION, "--confirm", "garbage")
    assert r.code == 4, r.stdout  # was: exit 0, "nothing to do"
    assert "not a confirmation token" in r.json["errors"][0]["message"]


def test_every_action_failing_is_exit_1_and_says_so(sandbox, run_tool, faulty):
    ec2 = ec2_of(sandbox)
    iid = instance(ec2)
    url, _ = faulty(fail={"StopInstances": ("UnauthorizedOperation", 403)})
    args = ("stop", "--id", iid, "--region", REGION)
    token = run_tool(*args, endpoint=url).json["data"]["confirm"]
    r = run_tool(*args, "--confirm", token, endpoint=url)
    assert r.code == 1, r.stdout  # was: exit 1 but only a per-action error; now said first
    assert r.json["errors"][0]["code"] == "NothingApplied"
    assert r.json["data"]["summary"] == {"done": 0, "failed": 1, "not_attempted": 0}
    assert state(ec2, iid) == "running"


def test_every_call_failing_is_exit_1_not_3(run_tool, faulty):
    url, _ = faulty(deny={"us-east-1", "us-west-2"}, deny_code="ExpiredToken")
    r = run_tool("quota_check", "--region", "us-east-1,us-west-2", endpoint=url)
    assert r.code == 1, r.stdout  # was: 3 (partial) although nothing answered
    assert {e["code"] for e in r.json["errors"]} == {"ExpiredToken"}


def test_typed_confirmation_works_when_the_selection_holds_a_protected_instance(sandbox, state_dir):
    """The rebuild at the terminal applied protection differently from the plan, so digests never agreed."""
    import pty

    ec2 = ec2_of(sandbox)
    batch = os.urandom(4).hex()
    free = instance(ec2, tags={"batch": batch})
    prod = instance(ec2, tags={"batch": batch, "env": "prod"})
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(state_dir))
    master, slave = pty.openpty()
    try:
        os.write(master, b"123456789012\n")
        p = subprocess.run([sys.executable, str(TOOLS / "stop.py"), "--tag", f"batch={batch}", "--region", REGION,
                            "--pretty"], stdin=slave, capture_output=True, text=True, env=env, timeout=120)
    finally:
        os.close(master)
        os.close(slave)
    assert p.returncode == 0, p.stdout + p.stderr
    assert state(ec2, free) in ("stopping", "stopped") and state(ec2, prod) == "running"


# --- 12. an answer that is not from AWS ----------------------------------------------------------

def test_an_html_error_page_is_named_not_dumped(run_tool, faulty):
    url, _ = faulty(html={"eu-west-1"})
    r = run_tool("scan", "--region", "us-east-1,eu-west-1", "--service", "ec2", endpoint=url)
    assert r.code == 3
    errs = [e for e in r.json["errors"] if e["region"] == "eu-west-1"]
    assert errs and all(e["code"] == "NonAwsResponse" for e in errs)
    assert "answered HTTP 502 with a non-AWS body" in errs[0]["message"] and len(errs[0]["message"]) < 300
    assert "<html" not in r.stdout and "<!-- padding -->" not in r.stdout
