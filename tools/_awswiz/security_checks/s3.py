"""S3 evidence and tests: each bucket's ACL, policy, public access block and default encryption (follow-ups
of ListBuckets, in the bucket's own region), and the account's public access block (S3 Control)."""

from __future__ import annotations

import json

from ..aws import paginate
from ..checks import finding, fix_command
from ..resources import BY_TYPE

CHECKS = {"s3-bucket-public-acl", "s3-bucket-public-policy", "s3-account-pab-off", "s3-bucket-pab-off",
          "s3-bucket-no-encryption"}
PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
PUBLIC_GROUPS = ("http://acs.amazonaws.com/groups/global/AllUsers",
                 "http://acs.amazonaws.com/groups/global/AuthenticatedUsers")
ABSENT = {"NoSuchPublicAccessBlockConfiguration", "NoSuchBucketPolicy",
          "ServerSideEncryptionConfigurationNotFoundError"}


def _code(exc) -> str:
    return (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "")


def _or_absent(fn):
    """The answer, or None when AWS says the configuration does not exist (which is evidence, not an error)."""
    try:
        return fn()
    except Exception as exc:
        if _code(exc) in ABSENT:
            return None
        raise


def s3control(aws):
    """The S3 Control client. Its calls go to {AccountId}.s3-control.{region}.amazonaws.com; behind a custom
    endpoint (the sandbox, a proxy) that host prefix names no host, so it is dropped there."""
    client = aws.client("s3control")
    if aws.endpoint:
        def strip(request, **_):
            account = aws.account_id()
            request.url = request.url.replace(f"://{account}.", "://", 1)

        client.meta.events.register("before-sign.s3-control", strip, unique_id="awswiz-s3control-endpoint")
    return client


def account_pab(aws) -> dict | None:
    return _or_absent(lambda: s3control(aws).get_public_access_block(AccountId=aws.account_id())[
        "PublicAccessBlockConfiguration"])


def submit(fan, aws, regions: list[str], want: set[str]) -> None:
    fan.submit(("s3", "account_pab"), lambda: account_pab(aws) or {}, None, "s3control:GetPublicAccessBlock")
    if not want - {"s3-account-pab-off"}:
        return

    def buckets():
        listed = paginate(aws.client("s3"), "list_buckets", "Buckets[]", **BY_TYPE["s3:bucket"].kwargs)
        for b in listed:
            fan.submit(("s3", "region", b["Name"]), lambda b=b: _details(b), None, f"s3 bucket {b['Name']}")
        return listed

    def _details(b: dict) -> str:
        name = b["Name"]
        region = b.get("BucketRegion") or aws.client("s3").get_bucket_location(Bucket=name).get(
            "LocationConstraint") or "us-east-1"
        if region not in regions:
            return region
        s3 = aws.client("s3", region)
        calls = {"acl": lambda: s3.get_bucket_acl(Bucket=name)["Grants"],
                 "policy": lambda: _or_absent(lambda: s3.get_bucket_policy(Bucket=name)["Policy"]),
                 "pab": lambda: _or_absent(lambda: s3.get_public_access_block(Bucket=name)[
                     "PublicAccessBlockConfiguration"]),
                 "encryption": lambda: _or_absent(lambda: s3.get_bucket_encryption(Bucket=name)[
                     "ServerSideEncryptionConfiguration"])}
        for kind, fn in calls.items():
            fan.submit(("s3", kind, name), fn, region, f"s3 {kind} of {name}")
        return region

    fan.submit(("s3", "buckets"), buckets, None, "s3:ListBuckets")


def full(pab: dict | None) -> bool:
    return bool(pab) and all(pab.get(k) for k in PAB_KEYS)


def public_statements(policy_text: str | None) -> list[dict]:
    """Allow statements open to everyone: Principal "*" or {"AWS": "*"}, and no Condition to narrow them."""
    if not policy_text:
        return []
    doc = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
    stmts = doc.get("Statement", [])
    out = []
    for s in stmts if isinstance(stmts, list) else [stmts]:
        p = s.get("Principal")
        anyone = p == "*" or (isinstance(p, dict) and p.get("AWS") in ("*", ["*"]))
        if s.get("Effect") == "Allow" and anyone and not s.get("Condition"):
            out.append({k: s[k] for k in ("Sid", "Effect", "Principal", "Action", "Resource") if k in s})
    return out


def evaluate(results: dict, regions: list[str], want: set[str], scope: str) -> list[dict]:
    out = []
    acct = results.get(("s3", "account_pab"))
    if acct is not None and not full(acct):
        out.append(finding("s3-account-pab-off", "account", "global",
                           {k: bool(acct.get(k)) for k in PAB_KEYS} if acct else {"configured": False},
                           rtype="s3:account-public-access-block",
                           fix=fix_command("s3-account-pab-off", "account", "global", scope)))
    acct = acct or {}
    for b in results.get(("s3", "buckets")) or []:
        name = b["Name"]
        region = results.get(("s3", "region", name))
        if region not in regions:
            continue
        pab = results.get(("s3", "pab", name)) or {}
        grants = results.get(("s3", "acl", name)) or []
        public = [{"grantee": g["Grantee"].get("URI"), "permission": g.get("Permission")} for g in grants
                  if g.get("Grantee", {}).get("URI") in PUBLIC_GROUPS]
        if public and not (pab.get("IgnorePublicAcls") or acct.get("IgnorePublicAcls")):
            out.append(finding("s3-bucket-public-acl", name, region, {"grants": public}, rtype="s3:bucket"))
        stmts = public_statements(results.get(("s3", "policy", name)))
        if stmts and not (pab.get("RestrictPublicBuckets") or acct.get("RestrictPublicBuckets")):
            out.append(finding("s3-bucket-public-policy", name, region, {"statements": stmts}, rtype="s3:bucket"))
        if ("s3", "pab", name) in results and not full(pab) and not full(acct):
            out.append(finding("s3-bucket-pab-off", name, region, {k: bool(pab.get(k)) for k in PAB_KEYS},
                               rtype="s3:bucket"))
        if ("s3", "encryption", name) in results and results[("s3", "encryption", name)] is None:
            out.append(finding("s3-bucket-no-encryption", name, region, {"default_encryption": None},
                               rtype="s3:bucket"))
    return [f for f in out if f["check"] in want]
