"""Emptying and deleting an S3 bucket: every object version and delete marker, in batches of 1,000."""

from __future__ import annotations

from .errors import AwsWizError, BadInput
from .guard import Action
from .resources import tag_map

BATCH = 1000


def bucket_region(s3, bucket: str) -> str:
    loc = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    return {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(loc, loc)


def bucket_action(aws, bucket: str) -> Action:
    """The plan for one bucket; an unknown bucket is BadInput."""
    s3 = aws.client("s3")
    try:
        region = bucket_region(s3, bucket)
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") in ("NoSuchBucket", "404"):
            raise BadInput(f"bucket {bucket} not found", "list buckets with uv run tools/scan.py") from None
        raise
    s3 = aws.client("s3", region)
    try:
        tags = tag_map(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
    except Exception as exc:
        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchTagSet":
            raise
        tags = {}
    versioning = s3.get_bucket_versioning(Bucket=bucket).get("Status", "Disabled")
    versions = markers = size = 0
    latest = None
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        for v in page.get("Versions", []):
            versions += 1
            size += v.get("Size", 0)
            latest = max(latest or v["LastModified"], v["LastModified"])
        markers += len(page.get("DeleteMarkers", []))
    return Action(op="empty-and-delete", type="s3:bucket", id=bucket, region=region, name=bucket, tags=tags,
                  state={"versioning": versioning, "versions": versions, "delete_markers": markers,
                         "bytes": size, "latest": str(latest)},
                  detail={"object_versions": versions, "delete_markers": markers, "bytes": size,
                          "versioning": versioning, "batches": -(-(versions + markers) // BATCH)})


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
