"""--fix: one guarded Action per finding of a fixable check, and the calls that apply it.

sg-open-*: revoke exactly the ranges that open the port to the internet (0.0.0.0/0, ::/0, or the pieces that
cover it together: open_rules.pieces) of each rule that reaches it, and with --cidr add the
same protocol and ports from that one address instead; ec2-imdsv1: require IMDSv2 on the instance;
ebs-default-encryption-off: turn it on in the region; s3-account-pab-off: all four account settings on;
iam-key-old / iam-key-unused: make the key Inactive (it can be made Active again; nothing is deleted).
"""

from __future__ import annotations

import ipaddress

from _awswiz.guard import Action, Plan
from _awswiz.inventory.open_rules import label, open_ports, pieces
from _awswiz.security.checks import gather
from _awswiz.security.network import SG_CHECKS, sg_open
from _awswiz.security.s3 import PAB_KEYS, s3control
from _awswiz.shell.errors import BadInput

DESCRIPTION = "narrowed by awswiz security.py --fix"


def parse_cidr(value: str | None) -> str | None:
    """--cidr: one address, A.B.C.D/32 (or an IPv6 /128); a wider range is not a narrowing."""
    if value is None:
        return None
    try:
        net = ipaddress.ip_network(value.strip(), strict=True)
    except ValueError:
        net = None
    if net is None or net.prefixlen != net.max_prefixlen:
        raise BadInput(f"--cidr must be one address, A.B.C.D/32 or an IPv6 /128 (got {value!r})",
                       "e.g. --cidr 203.0.113.10/32 (your own public address)")
    return str(net)


def _revoke(perm: dict, ranges: list[str]) -> dict:
    """The part of one rule to revoke: its protocol and ports with only these ranges (AWS revokes exactly
    the protocol, ports and ranges given: Amazon EC2 API Reference, RevokeSecurityGroupIngress)."""
    rule = {k: perm[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in perm}
    v4 = [{"CidrIp": c} for c in ranges if ":" not in c]
    v6 = [{"CidrIpv6": c} for c in ranges if ":" in c]
    return {**rule, **({"IpRanges": v4} if v4 else {}), **({"Ipv6Ranges": v6} if v6 else {})}


def _actions(f: dict, cidr: str | None) -> list[Action]:
    check, rid, region = f["check"], f["resource"], f["region"]
    base = {"type": f["type"], "id": rid, "region": region, "name": f.get("name"), "tags": f.get("_tags") or {},
            "touches": f.get("_touches") or {}, "blocked": f.get("_blocked")}
    if check in SG_CHECKS:
        perms = f["_group"].get("IpPermissions") or []
        labels = sg_open(open_ports(perms)).get(check, [])
        out = []
        for perm, ranges in pieces(perms, labels):
            what = f"{perm.get('IpProtocol')} {label(perm)} from {', '.join(ranges)}"
            out.append(Action(op="narrow" if cidr else "revoke", **base,
                              state={"revoke": _revoke(perm, ranges), "cidr": cidr},
                              detail={"rule": what + (f" -> from {cidr}" if cidr else " removed")}))
        return out
    if check == "ec2-imdsv1":
        return [Action(op="require-imdsv2", **base, state=f["_metadata"],
                       detail={"http_tokens": f"{f['evidence']['http_tokens']} -> required"})]
    if check == "ebs-default-encryption-off":
        return [Action(op="enable-ebs-default-encryption", **base, state=False)]
    if check == "s3-account-pab-off":
        return [Action(op="block-public-access", **base, state=f["evidence"],
                       detail={k: True for k in PAB_KEYS})]
    if check in ("iam-key-old", "iam-key-unused"):
        return [Action(op="deactivate-key", **base, state={"user": f["_user"], "status": "Active"},
                       detail={"user": f["_user"], "age_days": f["evidence"].get("age_days")})]
    raise ValueError(check)  # pragma: no cover - FIXABLE and this function agree


OWN_KEY = "this is the access key AwsWiz runs with: deactivating it would cut the run off half-way"


def _own_key(aws) -> str | None:
    """The id of the access key this run signs with (an identifier, never the secret), or None."""
    creds = aws.session.get_credentials()
    return getattr(creds, "access_key", None) if creds is not None else None


def _touch(aws, check: str, chosen: list[dict]) -> None:
    """What each fix touches besides its resource, with ITS OWN tags (the guard judges protection, DESIGN.md):
    a security group's VPC (a protected VPC protects its groups, as cleanup_sg holds), an access key's user."""
    from _awswiz.aws.client import paginate
    from _awswiz.inventory.table import tag_map

    if check in SG_CHECKS:
        for region in {f["region"] for f in chosen}:
            vpcs = sorted({f["_group"]["VpcId"] for f in chosen if f["region"] == region and f["_group"].get("VpcId")})
            if vpcs:
                found = aws.client("ec2", region).describe_vpcs(VpcIds=vpcs)["Vpcs"]
                tags = {v["VpcId"]: tag_map(v.get("Tags")) for v in found}
                for f in chosen:
                    if (vpc := f["_group"].get("VpcId")) in tags and f["region"] == region:
                        f["_touches"] = {f"VPC {vpc}": tags[vpc]}
    elif check in ("iam-key-old", "iam-key-unused"):
        iam, own, users = aws.client("iam"), _own_key(aws), {}
        for f in chosen:
            user = f["_user"]
            if user not in users:  # IAM ListUsers leaves tags out (IAM API Reference, ListUsers): ask the user
                users[user] = tag_map(paginate(iam, "list_user_tags", "Tags", UserName=user))
            f["_touches"] = {f"IAM user {user} (the key's owner)": users[user]}
            if f["resource"] == own:
                f["_blocked"] = OWN_KEY


def plan(aws, check: str, regions: list[str], ids: list[str], cidr: str | None, scope) -> Plan:
    found, errors, _ = gather(aws, regions, {check}, scope)
    chosen = [f for f in found if not ids or f["resource"] in ids]
    _touch(aws, check, chosen)
    p = Plan(actions=[a for f in chosen for a in _actions(f, cidr)], errors=errors,
             scope={"check": check, "regions": regions, "cidr": cidr, **({"ids": ids} if ids else {})})
    seen = {f["resource"] for f in chosen}
    p.skipped = [{"id": i, "region": ",".join(regions), "reason": f"no {check} finding (already clean, or not "
                  "in these regions)"} for i in ids if i not in seen]
    return p


def do(aws, action: Action) -> dict | None:
    if action.op in ("revoke", "narrow"):
        ec2 = aws.client("ec2", action.region)
        world, cidr = action.state["revoke"], action.state["cidr"]
        ec2.revoke_security_group_ingress(GroupId=action.id, IpPermissions=[world])
        if cidr:
            rule = {k: world[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in world}
            key, field = ("Ipv6Ranges", "CidrIpv6") if ":" in cidr else ("IpRanges", "CidrIp")
            try:
                ec2.authorize_security_group_ingress(GroupId=action.id, IpPermissions=[
                    {**rule, key: [{field: cidr, "Description": DESCRIPTION}]}])
            except Exception as exc:
                if (getattr(exc, "response", None) or {}).get("Error", {}).get("Code") != "InvalidPermission.Duplicate":
                    raise
                return {"note": f"{cidr} was already allowed"}
        return None
    if action.op == "require-imdsv2":
        aws.client("ec2", action.region).modify_instance_metadata_options(
            InstanceId=action.id, HttpTokens="required", HttpEndpoint="enabled")
    elif action.op == "enable-ebs-default-encryption":
        aws.client("ec2", action.region).enable_ebs_encryption_by_default()
    elif action.op == "block-public-access":
        s3control(aws).put_public_access_block(AccountId=aws.account_id(),
                                               PublicAccessBlockConfiguration={k: True for k in PAB_KEYS})
    elif action.op == "deactivate-key":
        aws.client("iam").update_access_key(UserName=action.state["user"], AccessKeyId=action.id,
                                            Status="Inactive")
    else:  # pragma: no cover - a programming error
        raise ValueError(action.op)
    return None
