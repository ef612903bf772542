"""s3:bucket: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/s3_bucket.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

# Paged (MaxBuckets): AWS names each bucket's BucketRegion only "if the request contains at least one valid
# parameter", and will reject unpaged ListBuckets for accounts allowed over 10,000 buckets (S3 API Reference)
ROW = Row(
    type="s3:bucket", order=150, service="s3", call="list_buckets",
    items="Buckets[]", id="Name",
    name="Name", tags=None, scope="global", kwargs={"MaxBuckets": 10000},
    fields={"created": "CreationDate", "bucket_region": "BucketRegion"},
    removal=(
        "terminate empties every object version and delete marker, then deletes the bucket; Object Lock retention and "
        "MFA Delete block it"
    ),
    cost="per GiB-month stored (every version) by storage class, plus requests",
)
