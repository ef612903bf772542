"""S3 MFA Delete as AWS enforces it, which moto (5.2) ignores: PutBucketVersioning keeps MfaDelete only with an
x-amz-mfa header, GetBucketVersioning reports it, and DeleteObjects naming versions on such a bucket fails
whole without x-amz-mfa (S3 User Guide, "Deleting an object from an MFA delete-enabled bucket": "If you don't
include this request header, the request fails"; for DeleteObjects that is the whole request).

S3 speaks REST, which the sandbox's handler table (query and JSON targets) does not route, so this module
teaches moto's S3 responder in place. Object Lock needs nothing: moto already refuses locked versions in
DeleteObjects (AccessDenied per object), as AWS does.
"""

from __future__ import annotations

import re

from .handlers import LOCK, STATE, seeder

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


_teach_moto()
