"""S3 as AWS answers it where moto (5.2) does not: ListBuckets' BucketRegion and pages (below), and MFA Delete.

MFA Delete, which moto ignores: PutBucketVersioning keeps MfaDelete only with an
x-amz-mfa header, GetBucketVersioning reports it, and DeleteObjects naming versions on such a bucket fails
whole without x-amz-mfa (S3 User Guide, "Deleting an object from an MFA delete-enabled bucket": "If you don't
include this request header, the request fails"; for DeleteObjects that is the whole request).

S3 speaks REST, which the sandbox's handler table (query and JSON targets) does not route, so this module
teaches moto's S3 responder in place. Object Lock needs nothing: moto already refuses locked versions in
DeleteObjects (AccessDenied per object), as AWS does.
"""

from __future__ import annotations

import re

from ..handlers import LOCK, STATE, seeder

MFA_RE = re.compile(r"<MfaDelete>(Enabled|Disabled)</MfaDelete>")


@seeder
def _seed(state: dict) -> None:
    state["s3_mfa_delete"] = set()  # bucket names with MFA Delete enabled


def _teach_moto() -> None:
    from moto.s3.exceptions import S3ClientError
    from moto.s3.responses import S3Response

    put, get, delete_keys = (S3Response._bucket_response_put, S3Response.get_bucket_versioning,
                             S3Response._bucket_response_delete_keys)

    def _put(self, request, bucket_name, querystring):
        m = MFA_RE.search(self.body.decode("utf-8", "replace")) if "versioning" in querystring else None
        if m:
            if not request.headers.get("x-amz-mfa"):
                raise S3ClientError("AccessDenied", "Mfa Authentication must be used for this request")
            with LOCK:
                (STATE["s3_mfa_delete"].add if m.group(1) == "Enabled" else STATE["s3_mfa_delete"].discard)(
                    bucket_name)
        return put(self, request, bucket_name, querystring)

    def _get(self):
        if self.bucket_name not in STATE.get("s3_mfa_delete", ()):
            return get(self)
        status = self.backend.get_bucket_versioning(self.bucket_name) or "Enabled"
        body = ('<?xml version="1.0" encoding="UTF-8"?><VersioningConfiguration '
                'xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                f"<Status>{status}</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>")
        return 200, {"Content-Type": "application/xml"}, body

    def _delete_keys(self, bucket_name, authenticated=True):
        if bucket_name in STATE.get("s3_mfa_delete", ()) and b"<VersionId>" in (self.body or b"") \
                and not self.headers.get("x-amz-mfa"):
            raise S3ClientError("AccessDenied", "Mfa Authentication must be used for this request")
        return delete_keys(self, bucket_name, authenticated)

    S3Response._bucket_response_put = _put
    S3Response.get_bucket_versioning = _get
    S3Response._bucket_response_delete_keys = _delete_keys


# "BucketRegion indicates the Amazon Web Services region where the bucket is located. If the request contains
# at least one valid parameter, it is included in the response"; "If you specify the bucket-region, prefix, or
# continuation-token query parameters without using max-buckets ..., Amazon S3 applies a default page size of
# 10,000 and provides a continuation token if there are more buckets"; MaxBuckets: "Valid Range: Minimum value of
# 1. Maximum value of 10000" (Amazon S3 API Reference, ListBuckets). moto cuts the list at max-buckets with no
# token and never names the region.
LIST_PARAMS = ("max-buckets", "prefix", "bucket-region", "continuation-token")


def _teach_list_buckets() -> None:
    import base64

    from moto.core.responses import ActionResult
    from moto.s3.exceptions import InvalidArgumentError
    from moto.s3.responses import S3Response

    unpaged = S3Response.all_buckets

    def all_buckets(self):
        asked = {k: self._get_param(k) for k in LIST_PARAMS}
        if all(v is None for v in asked.values()):
            return unpaged(self)  # as AWS: the whole list, no BucketRegion
        self.data["Action"] = "ListAllMyBuckets"
        self._authenticate_and_authorize_s3_action()
        raw = asked["max-buckets"]
        if raw is not None and not (raw.isdigit() and 1 <= int(raw) <= 10000):
            raise InvalidArgumentError("max-buckets must be from 1 to 10000", "max-buckets", raw)
        size = int(raw or 10000)
        found = sorted(self.backend.list_buckets(prefix=asked["prefix"], bucket_region=asked["bucket-region"],
                                                 max_buckets=None), key=lambda b: b.name)
        after = base64.urlsafe_b64decode(asked["continuation-token"]).decode() if asked["continuation-token"] else ""
        rest = [b for b in found if b.name > after]
        page = rest[:size]
        result = {"Owner": {"ID": "bcaf1ffd86f41161ca5fb16fd081034f"},
                  "Buckets": [{"Name": b.name, "CreationDate": b.creation_date_ISO8601, "BucketRegion": b.region_name}
                              for b in page]}
        if len(rest) > size:
            result["ContinuationToken"] = base64.urlsafe_b64encode(page[-1].name.encode()).decode()
        if asked["prefix"]:
            result["Prefix"] = asked["prefix"]
        self.data["Action"] = "ListBuckets"
        return self.serialized(ActionResult(result))

    S3Response.all_buckets = all_buckets


_teach_moto()
_teach_list_buckets()
