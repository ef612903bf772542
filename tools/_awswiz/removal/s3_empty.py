"""Emptying and deleting an S3 bucket: every object version and delete marker, in batches of 1,000.

The plan refuses (Action.blocked) what AWS would refuse half-way through:
- MFA Delete: DeleteObjects of versions fails whole without the root user's MFA code (S3 User Guide,
  "Deleting an object from an MFA delete-enabled bucket"); AwsWiz never sends MFA codes;
- Object Lock: a version under a retention period or a legal hold cannot be deleted (S3 User Guide,
  "Locking objects with Object Lock"). Read with HeadObject per version, only when the bucket has
  Object Lock enabled (GetObjectLockConfiguration).
"""

from __future__ import annotations

import datetime as _dt

from _awswiz.guard import Action
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import AwsWizError, BadInput

BATCH = 1000
LOCK_EXAMPLES = 3  # locked versions named in the refusal (the scan stops there)


def bucket_region(s3, bucket: str) -> str:
    loc = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)


def _code(exc: Exception) -> str | None:
    return getattr(exc, "response", {}).get("Error", {}).get("Code")


def lock_enabled(s3, bucket: str) -> bool:
    try:
        cfg = s3.get_object_lock_configuration(Bucket=bucket).get("ObjectLockConfiguration", {})
    except Exception as exc:
        if _code(exc) != "ObjectLockConfigurationNotFoundError":
            raise
        return False
    return cfg.get("ObjectLockEnabled") == "Enabled"


def lock_of(s3, bucket: str, version: dict, now: _dt.datetime) -> str | None:
    """Why this object version is locked (legal hold, or retention until a later date), or None."""
    head = s3.head_object(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
    if head.get("ObjectLockLegalHoldStatus") == "ON":
        return f"{version['Key']} ({version['VersionId']}): legal hold"
    until = head.get("ObjectLockRetainUntilDate")
    if head.get("ObjectLockMode") and until and until > now:
        return f"{version['Key']} ({version['VersionId']}): {head['ObjectLockMode']} retention until {until}"
    return None


def blocker(mfa: bool, locked: list[str]) -> str | None:
    if mfa:
        return ("MFA Delete is enabled: AWS refuses DeleteObjects without the root user's MFA code, which "
                "AwsWiz never sends; delete it yourself as the root user, or disable MFA Delete first")
    if locked:
        more = " (and maybe more)" if len(locked) >= LOCK_EXAMPLES else ""
        return (f"Object Lock holds versions that cannot be deleted until their retention ends or the legal "
                f"hold is lifted: {'; '.join(locked)}{more}")
    return None


def bucket_action(ctx, bucket: str, region_asked: str | None = None) -> Action:
    """The plan for one bucket; an unknown bucket, or one outside --region, is BadInput."""
    aws = ctx.aws
    s3 = aws.client("s3")
    try:
        region = bucket_region(s3, bucket)
    except Exception as exc:
        if _code(exc) in ("NoSuchBucket", "404"):
            raise BadInput(f"bucket {bucket} not found",
                           f"list buckets with {hints.command(ctx, 'scan', '--service', 's3')}") from None
        raise
    if region_asked and region != region_asked:
        raise BadInput(f"bucket {bucket} is in {region}, not in --region {region_asked}",
                       f"pass --region {region}: {hints.again(region=region)}", region=region_asked)
    s3 = aws.client("s3", region)
    try:
        tags = tag_map(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
    except Exception as exc:
        if _code(exc) != "NoSuchTagSet":
            raise
        tags = {}
    ver = s3.get_bucket_versioning(Bucket=bucket)
    versioning, mfa = ver.get("Status", "Disabled"), ver.get("MFADelete") == "Enabled"
    locking, locked, now = lock_enabled(s3, bucket), [], _dt.datetime.now(_dt.UTC)
    versions = markers = size = 0
    latest = None
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            versions += 1
            size += v.get("Size", 0)
            latest = max(latest or v["LastModified"], v["LastModified"])
            if locking and len(locked) < LOCK_EXAMPLES and (why := lock_of(s3, bucket, v, now)):
                locked.append(why)
        markers += len(page.get("DeleteMarkers", []))
    return Action(op="empty-and-delete", type="s3:bucket", id=bucket, region=region, name=bucket, tags=tags,
                  state={"versioning": versioning, "versions": versions, "delete_markers": markers,
                         "bytes": size, "latest": str(latest)},
                  detail={"object_versions": versions, "delete_markers": markers, "bytes": size,
                          "versioning": versioning, "batches": -(-(versions + markers) // BATCH),
                          **({"mfa_delete": True} if mfa else {}), **({"object_lock": True} if locking else {})},
                  blocked=blocker(mfa, locked))


def empty_and_delete(s3, bucket: str) -> dict:
    """Delete every version and delete marker (1,000 per DeleteObjects call), then the bucket."""
    deleted = batches = 0
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=BATCH)
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if not objs:
            break
        for i in range(0, len(objs), BATCH):
            out = s3.delete_objects(Bucket=bucket, Delete={"Objects": objs[i:i + BATCH], "Quiet": True})
            batches += 1
            if out.get("Errors"):
                e = out["Errors"][0]
                raise AwsWizError(f"{len(out['Errors'])} objects of {bucket} could not be deleted, e.g. "
                                  f"{e.get('Key')}: {e.get('Code')} {e.get('Message')}",
                                  "object lock or a bucket policy may forbid deletion", code=e.get("Code"))
            deleted += len(objs[i:i + BATCH])
    s3.delete_bucket(Bucket=bucket)
    return {"deleted_versions": deleted, "batches": batches}
