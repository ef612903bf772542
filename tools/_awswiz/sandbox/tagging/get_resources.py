"""GetResources as AWS answers it: "all the tagged or previously tagged resources that are located in the
specified Region" (Resource Groups Tagging API Reference, "GetResources"). moto lists every S3 bucket in every
region's answer; here a bucket is listed only in the region it is located in (its LocationConstraint)."""

from __future__ import annotations

from moto.resourcegroupstaggingapi.models import ResourceGroupsTaggingAPIBackend

_moto_generator = ResourceGroupsTaggingAPIBackend._get_resources_generator


def _located_here(self, *args, **kwargs):
    from moto.s3.models import s3_backends

    for res in _moto_generator(self, *args, **kwargs):
        if res.arn.startswith("arn:aws:s3:::") and "/" not in res.arn:
            bucket = s3_backends[self.account_id][self.partition].buckets.get(res.arn.split(":::", 1)[1])
            if bucket is not None and bucket.region_name != self.region_name:
                continue
        yield res


ResourceGroupsTaggingAPIBackend._get_resources_generator = _located_here
