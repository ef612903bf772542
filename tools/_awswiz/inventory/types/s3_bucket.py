"""s3:bucket: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/s3_bucket.py."""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.inventory.collect import GLOBAL
from _awswiz.inventory.table import Row, tag_map
from _awswiz.shell.errors import DENIED_CODES


def follow(job, recs: list[dict]) -> None:
    """Each bucket's region (ListBuckets' BucketRegion, else the bucket's own calls) and tags (one GetResources per
    region asked for: the buckets of other regions are left out by collect(), so their tags are not asked)."""
    by_region: dict[str, list] = {}
    for rec in recs:
        if rec.get("bucket_region"):
            rec["region"] = rec.pop("bucket_region")
            by_region.setdefault(rec["region"], []).append(rec)
        else:  # an answer without BucketRegion: the bucket's own calls
            job.submit(("bucket", rec["id"]), lambda rec=rec: details(job.aws, rec), None, f"s3 bucket {rec['id']}")
    for where, group in by_region.items():
        if where not in job.wanted:  # dropped by collect(): placed, not asked
            continue
        job.submit(("bucket-tags", where), lambda w=where, g=group: region_tags(job.aws, w, g), where,
                   "tagging:GetResources (s3 buckets)")


def region_tags(aws, region: str, recs: list[dict]) -> None:
    """The tags of a region's buckets from one paginated GetResources (Resource Groups Tagging API: "all the
    tagged or previously tagged resources that are located in the specified Region", 100 a page), rather than
    a GetBucketTagging per bucket (~4 ms of client CPU each). A bucket it does not list has no tags. Where the
    caller may not call it, each bucket is asked itself, as before."""
    try:
        found = paginate(aws.client("resourcegroupstaggingapi", region), "get_resources", "ResourceTagMappingList",
                         ResourceTypeFilters=["s3"])
    except Exception as exc:  # noqa: BLE001 - sorted below
        if getattr(exc, "response", {}).get("Error", {}).get("Code") not in DENIED_CODES:
            raise
        for rec in recs:
            details(aws, rec)
        return
    # arn:<partition>:s3:::<bucket>; objects (".../key") and access points (arn:...:s3:<region>:...) are not buckets
    tags = {m["ResourceARN"].split(":::", 1)[1]: tag_map(m.get("Tags")) for m in found
            if ":s3:::" in m["ResourceARN"] and "/" not in m["ResourceARN"]}
    for rec in recs:
        rec["tags"] = tags.get(rec["id"], {})


def details(aws, rec: dict) -> None:
    """A bucket's region (when ListBuckets did not say) and its tags."""
    region = rec["region"] if rec["region"] != GLOBAL else None  # from ListBuckets' BucketRegion, when it said
    if not region:
        region = aws.client("s3").get_bucket_location(Bucket=rec["id"]).get("LocationConstraint") or "us-east-1"
    rec["region"] = region
    try:
        tags = aws.client("s3", region).get_bucket_tagging(Bucket=rec["id"])["TagSet"]
        rec["tags"] = tag_map(tags)
    except Exception as exc:  # noqa: BLE001 - NoSuchTagSet is the normal answer for an untagged bucket
        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchTagSet":
            exc.awswiz_region = region
            raise



# Paged (MaxBuckets): AWS names each bucket's BucketRegion only "if the request contains at least one valid
# parameter", and will reject unpaged ListBuckets for accounts allowed over 10,000 buckets (S3 API Reference)
ROW = Row(
    type="s3:bucket", order=150, service="s3", call="list_buckets",
    items="Buckets[]", id="Name",
    name="Name", tags=None, scope="global", follow=follow, kwargs={"MaxBuckets": 10000},
    # created: Bucket.CreationDate (botocore s3 model)
    fields={"created": "CreationDate", "bucket_region": "BucketRegion"},
    removal=(
        "terminate empties every object version and delete marker, then deletes the bucket; Object Lock retention and "
        "MFA Delete block it"
    ),
    cost="per GiB-month stored (every version) by storage class, plus requests",
)
