"""terminate --type s3 refuses in the plan what AWS would refuse half-way: MFA Delete and Object Lock; and
--region is used (buckets elsewhere are bad input), never ignored."""

from __future__ import annotations

import datetime as _dt

import pytest
from botocore.exceptions import ClientError
from mutation_helpers import mutating_calls, name

REGION = "eu-north-1"


def bucket(s3, **kw) -> str:
    b = name("awswiz-test-lock")
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": REGION}, **kw)
    return b


def versions(s3, b: str) -> list[dict]:
    return s3.list_object_versions(Bucket=b).get("Versions", [])


def test_sandbox_refuses_deleting_locked_versions(sandbox):
    # S3 User Guide, "Locking objects with Object Lock": a version under retention or a legal hold cannot be
    # deleted; DeleteObjects reports AccessDenied for it.
    s3 = sandbox.client("s3", REGION)
    b = bucket(s3, ObjectLockEnabledForBucket=True)
    until = _dt.datetime.now(_dt.UTC) + _dt.timedelta(days=2)
    s3.put_object(Bucket=b, Key="kept", Body=b"x", ObjectLockMode="COMPLIANCE", ObjectLockRetainUntilDate=until)
    v = versions(s3, b)[0]
    out = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "kept", "VersionId": v["VersionId"]}]})
    assert out["Errors"][0]["Code"] == "AccessDenied" and len(versions(s3, b)) == 1


def test_sandbox_refuses_delete_objects_whole_on_mfa_delete(sandbox):
    # S3 User Guide, "Deleting an object from an MFA delete-enabled bucket": without x-amz-mfa the request
    # fails (moto ignores MFA Delete; tools/_awswiz/sandbox/s3_rules.py teaches it).
    s3 = sandbox.client("s3", REGION)
    b = bucket(s3)
    with pytest.raises(ClientError):  # changing MFA Delete needs the MFA code too
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    s3.put_bucket_versioning(Bucket=b, MFA="arn:aws:iam::123456789012:mfa/root 123456",
                             VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=b)["MFADelete"] == "Enabled"
    s3.put_object(Bucket=b, Key="a", Body=b"x")
    v = versions(s3, b)[0]
    with pytest.raises(ClientError) as refused:
        s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a", "VersionId": v["VersionId"]}]})
    assert refused.value.response["Error"]["Code"] == "AccessDenied" and len(versions(s3, b)) == 1


def test_terminate_refuses_mfa_delete_bucket_in_the_plan(sandbox, run_tool):
    s3 = sandbox.client("s3", REGION)
    b = bucket(s3)
    s3.put_bucket_versioning(Bucket=b, MFA="arn:aws:iam::123456789012:mfa/root 123456",
                             VersioningConfiguration={"Status": "Enabled", "MFADelete": "Enabled"})
    s3.put_object(Bucket=b, Key="a", Body=b"x")
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "s3", "--id", b)
    assert r.code == 4, r.stdout + r.stderr
    assert "MFA Delete" in r.json["data"]["plan"][0]["blocked"] and "MFA Delete" in r.json["errors"][0]["message"]
    assert r.json["data"]["confirm"] is None and mutating_calls(sandbox, mark) == [] and len(versions(s3, b)) == 1


def test_terminate_refuses_locked_versions_in_the_plan(sandbox, run_tool):
    s3 = sandbox.client("s3", REGION)
    b = bucket(s3, ObjectLockEnabledForBucket=True)
    until = _dt.datetime.now(_dt.UTC) + _dt.timedelta(days=2)
    s3.put_object(Bucket=b, Key="free", Body=b"x")
    s3.put_object(Bucket=b, Key="held", Body=b"x", ObjectLockLegalHoldStatus="ON")
    s3.put_object(Bucket=b, Key="kept", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until)
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "s3", "--id", b)
    assert r.code == 4, r.stdout + r.stderr
    blocked = r.json["data"]["plan"][0]["blocked"]
    assert "held (" in blocked and "legal hold" in blocked and "kept (" in blocked and "GOVERNANCE" in blocked
    assert "free" not in blocked
    assert mutating_calls(sandbox, mark) == [] and len(versions(s3, b)) == 3
    # Object Lock enabled but nothing locked: the bucket is emptied and deleted
    empty = bucket(s3, ObjectLockEnabledForBucket=True)
    s3.put_object(Bucket=empty, Key="free", Body=b"x")
    plan = run_tool("terminate", "--type", "s3", "--id", empty)
    assert plan.code == 0 and plan.json["data"]["plan"][0]["detail"]["object_lock"] is True
    done = run_tool("terminate", "--type", "s3", "--id", empty, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert empty not in [x["Name"] for x in s3.list_buckets()["Buckets"]]


def test_region_restricts_the_buckets(sandbox, run_tool):
    s3 = sandbox.client("s3", REGION)
    b = bucket(s3)
    mark = sandbox.mark()
    wrong = run_tool("terminate", "--type", "s3", "--id", b, "--region", "us-west-2")
    assert wrong.code == 2 and wrong.json["errors"][0]["code"] == "BadInput"
    assert f"bucket {b} is in {REGION}, not in --region us-west-2" == wrong.json["errors"][0]["message"]
    many = run_tool("terminate", "--type", "s3", "--id", b, "--region", "us-west-2,eu-north-1")
    assert many.code == 2
    assert mutating_calls(sandbox, mark) == []
    right = run_tool("terminate", "--type", "s3", "--id", b, "--region", REGION)
    assert right.code == 0 and right.json["data"]["plan"][0]["region"] == REGION
