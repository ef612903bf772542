"""quota_request.py: validation before anything is sent, the plan/confirm guard, a pending request reported."""

from __future__ import annotations

import pytest

SUBMIT = "RequestServiceQuotaIncrease"


def sent(sandbox, mark: int) -> list[dict]:
    return [c for c in sandbox.calls(mark) if c["action"] == SUBMIT]


@pytest.mark.parametrize("args, words", [  # refused before any call: test_bad_input.py (no sandbox)
    (["--code", "L-00000000", "--value", "64", "--region", "us-east-1"], ["L-00000000", "L-417A185B"]),
    (["--code", "L-417A185B", "--value", "50", "--region", "us-west-2"], ["not above", "96"]),
    (["--code", "L-417A185B", "--value", "96", "--region", "us-west-2"], ["not above", "96"]),
])
def test_bad_input_exit_2_and_nothing_sent(run_tool, sandbox, args, words):
    mark = sandbox.mark()
    r = run_tool("quota_request", *args)
    assert r.code == 2, r.stdout
    msg = r.json["errors"][0]["message"]
    assert all(w in msg for w in words), msg
    assert sent(sandbox, mark) == []


def test_value_not_above_reports_the_current_value(run_tool):
    r = run_tool("quota_request", "--code", "L-DB2E81BA", "--value", "100", "--region", "us-west-2")
    assert r.code == 2
    assert r.json["data"] == {"code": "L-DB2E81BA", "region": "us-west-2", "current": 128.0, "source": "applied"}


def test_pending_request_is_reported_and_nothing_sent(run_tool, sandbox):
    mark = sandbox.mark()
    r = run_tool("quota_request", "--code", "L-417A185B", "--value", "500", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    assert data["plan"] == [] and data["confirm"] is None
    pending = data["skipped"][0]
    assert "already pending" in pending["reason"]
    assert " for 384 " in pending["reason"]
    # every skipped entry has the same keys (guard.skipped_view)
    assert set(pending) == {"id", "type", "region", "name", "reason"} and pending["type"] == "servicequotas:quota"
    assert sent(sandbox, mark) == []


def test_plan_then_confirm_submits_once_and_shows_in_status(run_tool, sandbox):
    region, code = "ca-central-1", "L-1216C47A"
    mark = sandbox.mark()
    plan = run_tool("quota_request", "--code", code, "--value", "64", "--region", region)
    assert plan.code == 0, plan.stderr
    p = plan.json["data"]
    assert p["applied"] is False and p["confirm"]
    assert p["plan"][0]["action"] == "request-increase" and p["plan"][0]["detail"]["from"] == 5
    assert sent(sandbox, mark) == []  # the plan sends nothing

    r = run_tool("quota_request", "--code", code, "--value", "64", "--region", region, "--confirm", p["confirm"])
    assert r.code == 0, r.stdout
    res = r.json["data"]["results"][0]
    assert res["ok"] and res["status"] == "PENDING" and res["request_id"] and res["case_id"]
    assert res["console"].startswith(f"https://{region}.console.aws.amazon.com/servicequotas/")
    assert len(sent(sandbox, mark)) == 1

    again = run_tool("quota_request", "--code", code, "--value", "64", "--region", region, "--confirm", p["confirm"])
    # replayed: the token is used (exit 4, issue 7 item 11), and the fresh plan sees the pending request
    assert again.code == 4 and "already applied at" in again.json["errors"][0]["message"]
    assert again.json["data"]["plan"] == [] and res["request_id"] in again.json["data"]["skipped"][0]["reason"]
    assert len(sent(sandbox, mark)) == 1

    status = run_tool("quota_status", "--region", region)
    assert status.code == 0
    mine = [q for q in status.json["data"]["requests"] if q["id"] == res["request_id"]]
    assert mine and mine[0]["code"] == code and mine[0]["desired"] == 64 and mine[0]["status"] == "PENDING"
    # and a new plan for the same quota now reports it pending
    later = run_tool("quota_request", "--code", code, "--value", "128", "--region", region)
    assert res["request_id"] in later.json["data"]["skipped"][0]["reason"]


def test_audit_log_records_the_request(run_tool, state_dir):
    region = "eu-north-1"
    p = run_tool("quota_request", "--code", "L-DB2E81BA", "--value", "16", "--region", region).json["data"]
    r = run_tool("quota_request", "--code", "L-DB2E81BA", "--value", "16", "--region", region,
                 "--confirm", p["confirm"])
    assert r.code == 0, r.stdout
    audit = (state_dir / "audit.jsonl").read_text()
    assert SUBMIT in audit and p["confirm"] in audit
