"""The envelope's `account` is never null once a tool has called AWS (DESIGN.md: envelope; issue 25 item 5), and
it comes from the one GetCallerIdentity the run asks (sts:GetCallerIdentity needs no permission: STS API reference,
"GetCallerIdentity"): never asked twice."""

import pytest

LAB_ACCOUNT = "123456789012"  # the sandbox's account (moto's default)

CASES = [
    (0, "instance_status", "--region", "us-east-1", "--no-check-ssh"),
    (0, "instance_status", "--region", "all", "--no-check-ssh"),
    (0, "schedule", "list", "--region", "us-east-1"),
    (0, "list_instances", "--gpu", "--region", "us-east-1"),
    # an unknown id is bad input found by asking AWS (DescribeInstances in every region): calls were made
    (2, "connect", "--id", "i-0123456789abcdef0", "--", "true"),
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(c[1:]) for c in CASES])
def test_account_is_named_after_calls(sandbox, run_tool, args):
    mark = sandbox.mark()
    r = run_tool(*args[1:])
    assert r.code == args[0], r.stdout + r.stderr
    calls = sandbox.calls(mark)
    assert any(c["service"] != "sts" for c in calls)  # the tool called AWS
    assert r.json["account"] == LAB_ACCOUNT
    assert sum(c["action"] == "GetCallerIdentity" for c in calls) == 1  # asked once, not once more for the envelope
