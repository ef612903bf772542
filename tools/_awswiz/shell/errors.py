"""Error codes, listed once, and the translation of AWS failures into messages a reader can act on."""

from __future__ import annotations

import re

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
EXIT_REFUSED = 4


class AwsWizError(Exception):
    """An expected failure: becomes an envelope error and an exit code, never a traceback."""

    exit_code = EXIT_FAILED
    code = "Failed"

    def __init__(self, message: str, hint: str = "", code: str | None = None, region: str | None = None,
                 data: object = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.region = region
        self.data = data
        if code:
            self.code = code

    def entry(self) -> dict:
        return error_entry(self.code, self.message, self.hint, self.region)


class BadInput(AwsWizError):
    exit_code = EXIT_BAD_INPUT
    code = "BadInput"


class Refused(AwsWizError):
    exit_code = EXIT_REFUSED
    code = "Refused"


def error_entry(code: str, message: str, hint: str = "", region: str | None = None, **extra) -> dict:
    entry = {"code": code, "message": message, "hint": hint}
    if region:
        entry["region"] = region
    entry.update({k: v for k, v in extra.items() if v is not None})
    return entry


# AWS error codes grouped by what the reader must do about them (c7n-style: listed once).
CREDENTIAL_CODES = {
    "AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
    "ExpiredTokenException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "RequestExpired",
}
DENIED_CODES = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "OptInRequired"}
THROTTLE_CODES = {
    "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException",
    "SlowDown", "RequestThrottled", "ProvisionedThroughputExceededException",
}

HINTS = {
    "credentials": "check the credentials for this profile and region (aws sts get-caller-identity), "
                   "or enable the region in the account settings",
    "denied": "the identity lacks permission for this call; ask for the permission or skip the region",
    "throttled": "AWS kept throttling after every retry; run again later or narrow --region",
    "no-credentials": "set credentials (aws configure, AWS_PROFILE or --profile), "
                      "or add --sandbox to use the local demo lab",
    "endpoint": "the endpoint did not answer; check the network, or AWS_ENDPOINT_URL if you set one",
    "non-aws": "something between you and AWS (a proxy, a gateway, AWS_ENDPOINT_URL) answered instead of AWS; "
               "check the network and AWS_ENDPOINT_URL",
}


def non_aws_body(exc: BaseException, response: dict) -> str | None:
    """The message for an error answered by something that is not AWS (an HTML page from a proxy, a bare
    500), or None. AWS errors carry a named code (InvalidParameterValue); S3's HEAD calls have no body,
    so a bare status code is theirs by design and left alone."""
    err = response.get("Error") or {}
    code, msg = str(err.get("Code") or ""), str(err.get("Message") or "")
    if getattr(exc, "operation_name", "").startswith("Head"):
        return None
    if code and not code.isdigit() and code != "Unknown" and "<html" not in msg.lower():
        return None
    status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode") or (code if code.isdigit() else "?")
    excerpt = _excerpt(msg)
    return f"the endpoint answered HTTP {status} with a non-AWS body" + (f": {excerpt!r}" if excerpt else "")


def _excerpt(body: str, limit: int = 80) -> str:
    """A short, tag-free excerpt of a page (never the page itself)."""
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]*>|\\n|<!--.*?-->", " ", body)).strip()
    return (text[:limit] + "...") if len(text) > limit else text


def classify(exc: BaseException, region: str | None = None, what: str = "") -> dict:
    """Turn any exception raised by boto3 into an error entry {code, message, hint, region}."""
    prefix = f"{what}: " if what else ""
    name = type(exc).__name__
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and (foreign := non_aws_body(exc, response)):
        return error_entry("NonAwsResponse", f"{prefix}{foreign}{f' in {region}' if region else ''}",
                           HINTS["non-aws"], region)
    if isinstance(response, dict) and "Error" in response:
        code = response["Error"].get("Code") or name
        msg = response["Error"].get("Message") or str(exc)
        if code in CREDENTIAL_CODES:
            hint = HINTS["credentials"]
        elif code in DENIED_CODES:
            hint = HINTS["denied"]
        elif code in THROTTLE_CODES:
            hint = HINTS["throttled"]
        else:
            hint = ""
        where = f" in {region}" if region else ""
        return error_entry(code, f"{prefix}{msg}{where}", hint, region)
    if name == "ResponseParserError":  # a 2xx body botocore cannot read: not an AWS answer either
        text = _excerpt(str(exc).partition("b'")[2] or str(exc))
        return error_entry("NonAwsResponse", f"{prefix}the endpoint answered with a body that is not AWS's"
                           f"{f': {text!r}' if text else ''}{f' in {region}' if region else ''}", HINTS["non-aws"],
                           region)
    if name in ("NoCredentialsError", "PartialCredentialsError", "ProfileNotFound"):
        return error_entry("NoCredentials", f"{prefix}{exc}", HINTS["no-credentials"], region)
    if name in ("EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError"):
        return error_entry("Unreachable", f"{prefix}{exc}", HINTS["endpoint"], region)
    if isinstance(exc, AwsWizError):
        return exc.entry()
    return error_entry(name, f"{prefix}{exc}", "", region)


def is_expected(exc: BaseException) -> bool:
    """True for failures we explain rather than crash on (botocore errors, our own)."""
    if isinstance(exc, AwsWizError):
        return True
    return type(exc).__module__.startswith("botocore")
