"""The envelope's `account` is never null once a tool has called AWS (DESIGN.md: envelope; issue 25 item 5), and
it comes from the one GetCallerIdentity the run asks (sts:GetCallerIdentity needs no permission: STS API reference,
"GetCallerIdentity"): never asked twice."""

import pytest

LAB_ACCOUNT = "123456789012"  # the sandbox's account (moto's default)

CASES = [
    ("instance_status", "--region", "us-east-1", "--no-check-ssh"),
    ("instance_status", "--region", "all", "--no-check-ssh"),
    ("schedule", "list", "--region", "us-east-1"),
    ("list_instances", "--gpu", "--region", "us-east-1"),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c) for c in CASES])
def test_account_is_named_after_calls(sandbox, run_tool, args):
    mark = sandbox.mark()
    r = run_tool(*args)
    assert r.code == 0, r.stdout + r.stderr
    calls = sandbox.calls(mark)
    assert any(c["service"] != "sts" for c in calls)  # the tool called AWS
    assert r.json["account"] == LAB_ACCOUNT
    assert sum(c["action"] == "GetCallerIdentity" for c in calls) == 1  # asked once, not once more for the envelope
