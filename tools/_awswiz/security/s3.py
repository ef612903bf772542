"""S3 evidence and tests: each bucket's ACL, policy, public access block and default encryption (follow-ups
of ListBuckets, in the bucket's own region), and the account's public access block (S3 Control)."""

from __future__ import annotations

import json

from _awswiz.aws.client import paginate
from _awswiz.inventory.table import BY_TYPE
from _awswiz.security.table import finding, fix_command

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


# The condition keys that make a Principal "*" statement non-public when they hold fixed values (no wildcard, no
# policy variable): Amazon S3 User Guide, Blocking public access to your Amazon S3 storage, "The meaning of
# 'public'" (also the S3 API Reference, PublicAccessBlockConfiguration): a set of CIDRs in aws:SourceIp, or a fixed
# aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:userid (outside the
# pattern "AROLEID:*"), s3:DataAccessPointArn, s3:DataAccessPointAccount,
# s3:x-amz-server-side-encryption-aws-kms-key-id, or a fixed principal (aws:PrincipalAccount, aws:PrincipalArn,
# aws:PrincipalOrgID). Any other key (aws:SecureTransport, s3:prefix, aws:UserAgent, aws:Referer, ...) narrows
# nothing: the statement stays public. (Prowler's is_policy_public takes the same keys as restricting whatever
# their value, wildcards included, and aws:SourceIp only when every range is private; ours reads S3's own rule.)
FIXED_KEYS = {"aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceowner", "aws:sourceaccount",
              "aws:userid", "aws:principalaccount", "aws:principalarn", "aws:principalorgid",
              "s3:dataaccesspointarn", "s3:dataaccesspointaccount", "s3:x-amz-server-side-encryption-aws-kms-key-id"}
# operators under which a key must hold one of the values (a ...IfExists operator passes when the key is absent,
# as aws:SourceVpc is for a request from the internet: IAM User Guide, Condition operators, ...IfExists)
MATCHING = {"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"}


def _fixed(key: str, value) -> bool:
    text = str(value)
    if key == "aws:userid" and text.endswith(":*"):
        text = text[:-2]  # a role's id and any session name: the role is fixed
    return bool(text) and not any(ch in text for ch in "*?") and "${" not in text


def _restricts(operator: str, key: str, values) -> bool:
    from _awswiz.inventory.open_rules import covers_internet

    op, key = operator.lower().split(":")[-1], key.lower()  # ForAnyValue:/ForAllValues: qualify the same test
    values = values if isinstance(values, list) else [values]
    if not values:
        return False
    if key == "aws:sourceip":
        return op == "ipaddress" and all(_valid_ip(v) for v in values) and not covers_internet(
            str(v) if "/" in str(v) else f"{v}/{128 if ':' in str(v) else 32}" for v in values)
    return op in MATCHING and key in FIXED_KEYS and all(_fixed(key, v) for v in values)


def _valid_ip(value) -> bool:
    import ipaddress

    try:
        ipaddress.ip_network(str(value), strict=False)
        return True
    except ValueError:
        return False


def _public_principal(p) -> bool:
    if p == "*":
        return True
    if isinstance(p, dict):
        aws = p.get("AWS", [])
        return "*" in (aws if isinstance(aws, list) else [aws])
    return False


def public_statements(policy_text: str | None) -> list[dict]:
    """Allow statements open to everyone: Principal "*" (or AWS "*") whose Condition, if any, pins no key S3
    counts as restricting to a fixed value (FIXED_KEYS, a set of CIDRs): aws:SecureTransport alone keeps it public."""
    if not policy_text:
        return []
    doc = json.loads(policy_text) if isinstance(policy_text, str) else policy_text
    stmts = doc.get("Statement", [])
    out = []
    for s in stmts if isinstance(stmts, list) else [stmts]:
        if not isinstance(s, dict) or s.get("Effect") != "Allow" or not _public_principal(s.get("Principal")):
            continue
        cond = s.get("Condition") or {}
        if any(_restricts(op, key, vals) for op, keys in cond.items() if isinstance(keys, dict)
               for key, vals in keys.items()):
            continue
        out.append({k: s[k] for k in ("Sid", "Effect", "Principal", "Action", "Resource", "Condition") if k in s})
    return out


def evaluate(results: dict, regions: list[str], want: set[str], scope) -> list[dict]:
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
