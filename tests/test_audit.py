"""The audit log: one "sent" line per mutating call before it leaves, an outcome after, secrets redacted."""

from __future__ import annotations

import json

import boto3
import pytest
from _awswiz.guard import audit
from botocore.config import Config
from mutation_helpers import instance, mutating_calls, name

REGION = "us-east-2"


def hooked(sandbox, tmp_path, endpoint=None, service="ec2"):
    log = audit.AuditLog("test", lambda: "123456789012", tmp_path / "audit.jsonl")
    client = boto3.client(service, region_name=REGION, endpoint_url=endpoint or sandbox.url,
                          aws_access_key_id="testing", aws_secret_access_key="testing",
                          config=Config(retries={"max_attempts": 1}, connect_timeout=1))
    log.install(client)
    return log, client


def records(log):
    return [json.loads(line) for line in log.path.read_text().splitlines()] if log.path.exists() else []


def test_mutating_calls_are_recorded_reads_and_dry_runs_are_not(sandbox, tmp_path):
    log, ec2 = hooked(sandbox, tmp_path)
    iid = instance(sandbox.client("ec2", REGION))
    mark = sandbox.mark()
    ec2.describe_vpcs()
    with pytest.raises(Exception, match="DryRunOperation"):
        ec2.stop_instances(InstanceIds=[iid], DryRun=True)
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    with pytest.raises(Exception, match="InvalidVpcID"):
        ec2.delete_vpc(VpcId="vpc-0123456789abcdef0")
    ec2.delete_vpc(VpcId=vpc)
    recs = records(log)
    sent = [r for r in recs if r["phase"] == "sent"]
    assert [s["operation"] for s in sent] == ["CreateVpc", "DeleteVpc", "DeleteVpc"]
    # the server saw the same mutating calls, plus the dry run, which the log leaves out on purpose
    assert [c["action"] for c in mutating_calls(sandbox, mark)] == ["StopInstances"] + [s["operation"] for s in sent]
    calls = audit.read_calls(log.path)
    assert [c["outcome"] for c in calls] == ["ok", "error", "ok"]
    assert calls[0]["created"][0] == vpc and calls[0]["region"] == REGION and calls[0]["account"] == "123456789012"
    assert calls[1]["error"]["code"].startswith("InvalidVpcID") and calls[1]["resources"] == ["vpc-0123456789abcdef0"]
    assert all(c["duration_ms"] >= 0 and c["tool"] == "test" for c in calls)


def test_secrets_are_redacted(sandbox, tmp_path):
    log, iam = hooked(sandbox, tmp_path, service="iam")
    user = name("audit-user")
    iam.create_user(UserName=user)
    iam.create_login_profile(UserName=user, Password="Hunter2-very-secret!")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    text = log.path.read_text()
    assert "Hunter2-very-secret!" not in text and key["SecretAccessKey"] not in text
    profile = [r for r in records(log) if r.get("operation") == "CreateLoginProfile"][0]
    assert profile["params"] == {"UserName": user, "Password": "<redacted>"}
    assert audit.redact({"UserData": "x", "Nested": [{"PrivateKey": "k", "Size": 1}], "Body": b"abc"}) == {
        "UserData": "<redacted>", "Nested": [{"PrivateKey": "<redacted>", "Size": 1}], "Body": "<redacted>"}


def test_a_call_that_never_returns_still_leaves_a_true_record(sandbox, tmp_path):
    """Connection refused: the sent line was on disk before the request; the outcome says it failed."""
    log, ec2 = hooked(sandbox, tmp_path, endpoint="http://127.0.0.1:9")
    with pytest.raises(Exception):  # noqa: B017 - any connection error
        ec2.terminate_instances(InstanceIds=["i-0123456789abcdef0"])
    recs = records(log)
    sent, attempts, done = recs[0], recs[1:-1], recs[-1]
    assert sent["phase"] == "sent" and sent["operation"] == "TerminateInstances"
    assert attempts and all(a["phase"] == "attempt" and a["id"] == sent["id"] for a in attempts)
    assert attempts[0]["error"]["code"] == "EndpointConnectionError"
    assert done["id"] == sent["id"] and done["outcome"] == "error" and done["attempts"] == len(attempts)


def test_retries_are_recorded_with_their_attempt_number(sandbox, tmp_path):
    """Issue 7 item 11: a retried call says how many attempts it took and how each failed one ended, so
    an "error" outcome is never ambiguous (was it the first try, or the tenth?)."""
    log = audit.AuditLog("test", lambda: "123456789012", tmp_path / "audit.jsonl")
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url="http://127.0.0.1:9", aws_access_key_id="testing",
                       aws_secret_access_key="testing",
                       config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=1))
    log.install(ec2)
    with pytest.raises(Exception):  # noqa: B017 - connection refused, retried by standard mode
        ec2.terminate_instances(InstanceIds=["i-0123456789abcdef0"])
    recs = records(log)
    numbers = [r["attempt"] for r in recs if r["phase"] == "attempt"]
    assert recs[0]["phase"] == "sent" and recs[-1]["phase"] == "done" and len(recs) == len(numbers) + 2
    assert len(numbers) > 1 and numbers == list(range(1, len(numbers) + 1))
    assert recs[-1]["attempts"] == len(numbers) and recs[-1]["outcome"] == "error"


def test_a_crash_between_sent_and_outcome_reads_as_unknown(tmp_path):
    log = audit.AuditLog("test", path=tmp_path / "audit.jsonl")
    log.write({"phase": "sent", "id": "abc", "operation": "DeleteVpc"})
    with log.path.open("a") as f:
        f.write('{"phase": "done", "id": "ab')  # torn by the crash
    assert [(c["id"], c["outcome"]) for c in audit.read_calls(log.path)] == [("abc", "unknown")]


def test_mutating_is_decided_by_the_operation_name():
    assert audit.is_mutating("TerminateInstances") and audit.is_mutating("RevokeSecurityGroupIngress")
    assert not audit.is_mutating("DescribeInstances") and not audit.is_mutating("ListObjectVersions")
    assert not audit.is_mutating("GetBucketLocation") and not audit.is_mutating("HeadBucket")
