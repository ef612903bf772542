"""Pure logic of the security checks, in-process (no emulator): which stretches a group's ingress rules open to
the internet (tools/_awswiz/open_rules.py) and which security-group checks they fire."""

from __future__ import annotations

import pytest


def rule(proto, lo=None, hi=None, v4=(), v6=()):
    p = {"IpProtocol": proto, "IpRanges": [{"CidrIp": c} for c in v4], "Ipv6Ranges": [{"CidrIpv6": c} for c in v6]}
    if lo is not None:
        p["FromPort"] = lo
    if hi is not None:
        p["ToPort"] = hi
    return p


def fired(perms) -> dict:
    from _awswiz.inventory.open_rules import open_ports
    from _awswiz.security.network import sg_open

    return sg_open(open_ports(perms))


# botocore ec2 IpPermission.FromPort: "If the protocol is ICMP or ICMPv6, this is the ICMP type or -1 (all ICMP
# types)"; ToPort: "the ICMP code or -1 (all ICMP codes)". IpProtocol: "Use -1 to specify all protocols ...
# specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6 allows traffic on all ports, regardless
# of any port range you specify." So an ICMP rule opens no TCP port, and no odd rule may fail the run.
@pytest.mark.parametrize("perm,labels", [
    (rule("icmp", -1, -1, v4=["0.0.0.0/0"]), ["icmp all"]),           # "All ICMP - IPv4" in the console
    (rule("icmpv6", -1, -1, v6=["::/0"]), ["icmpv6 all"]),            # "All ICMP - IPv6"
    (rule("icmp", 8, -1, v4=["0.0.0.0/0"]), ["icmp 8"]),              # echo request, any code
    (rule("icmp", 22, -1, v4=["0.0.0.0/0"]), ["icmp 22"]),            # ICMP type 22 is not TCP port 22
    (rule("icmp", 3, 4, v4=["0.0.0.0/0"]), ["icmp 3/4"]),
    (rule("1", -1, -1, v4=["0.0.0.0/0"]), ["icmp all"]),              # the protocol by its number
    (rule("50", v4=["0.0.0.0/0"]), ["proto 50"]),                    # ESP: no ports at all
    (rule("47", -1, -1, v4=["0.0.0.0/0"]), ["proto 47"]),
    (rule("udp", 22, 22, v4=["0.0.0.0/0"]), ["udp 22"]),              # SSH is TCP 22
    (rule("tcp", v4=["0.0.0.0/0"]), ["0-65535"]),                     # malformed: read as open, never a crash
    (rule("-1", v4=["0.0.0.0/0"]), ["all"]),
    (rule("tcp", 22, 22, v4=["10.0.0.0/8"]), []),
])
def test_odd_rules_are_labelled_never_parsed_as_ports(perm, labels):
    from _awswiz.inventory.open_rules import covers, open_ports

    assert open_ports([perm]) == labels
    assert covers(labels, 22) == (labels in (["0-65535"], ["all"]))


def test_icmp_and_udp_fire_no_tcp_port_check():
    assert fired([rule("icmp", -1, -1, v4=["0.0.0.0/0"]), rule("icmpv6", -1, -1, v6=["::/0"]),
                  rule("icmp", 22, -1, v4=["0.0.0.0/0"]), rule("udp", 3389, 3389, v4=["0.0.0.0/0"])]) == {}
    # a whole UDP range is every port of a protocol, as Prowler's all-ports check counts it (65536 ports)
    assert fired([rule("udp", 0, 65535, v4=["0.0.0.0/0"])]) == {"sg-open-all": ["udp 0-65535"]}


@pytest.mark.parametrize("perms,labels", [
    # the internet in two halves is the internet (Amazon EC2 User Guide, Security group rules: a packet is
    # allowed when any rule allows it, so the ranges of every rule reaching a port add up)
    ([rule("tcp", 22, 22, v4=["0.0.0.0/1", "128.0.0.0/1"])], ["22"]),
    ([rule("tcp", 22, 22, v4=["0.0.0.0/1"]), rule("tcp", 0, 65535, v4=["128.0.0.0/1"])], ["22"]),
    ([rule("tcp", 20, 22, v4=["0.0.0.0/1"]), rule("tcp", 22, 25, v4=["128.0.0.0/1"])], ["22"]),
    ([rule("tcp", 3389, 3389, v6=["::/1", "8000::/1"])], ["3389"]),
    ([rule("tcp", 22, 22, v4=[f"{i}.0.0.0/8" for i in range(256)])], ["22"]),
    ([rule("-1", v4=["0.0.0.0/1"]), rule("tcp", 5432, 5432, v4=["128.0.0.0/1"])], ["5432"]),
    ([rule("-1", v4=["0.0.0.0/1"]), rule("-1", v4=["128.0.0.0/1"])], ["all"]),
    # not the internet: a hole (one /8 missing), or one half only, or IPv4 and IPv6 halves that do not add up
    ([rule("tcp", 22, 22, v4=[f"{i}.0.0.0/8" for i in range(255)])], []),
    ([rule("tcp", 22, 22, v4=["0.0.0.0/1"]), rule("tcp", 23, 23, v4=["128.0.0.0/1"])], []),
    ([rule("tcp", 22, 22, v4=["0.0.0.0/1"], v6=["8000::/1"])], []),
])
def test_the_internet_in_pieces_is_the_internet(perms, labels):
    from _awswiz.inventory.open_rules import open_ports

    assert open_ports(perms) == labels


def test_the_fix_revokes_the_pieces_and_keeps_the_office():
    from _awswiz.inventory.open_rules import open_ports, pieces

    perms = [rule("tcp", 22, 22, v4=["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8"], v6=["2001:db8::/32"]),
             rule("tcp", 443, 443, v4=["0.0.0.0/0"])]
    assert pieces(perms, open_ports(perms)[:1]) == [(perms[0], ["0.0.0.0/1", "128.0.0.0/1"])]
    nested = [rule("tcp", 22, 22, v4=["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "192.0.2.0/24"])]
    assert pieces(nested, ["22"]) == [(nested[0], ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1"])]


# Severity of each Prowler check, from prowler-cloud/prowler providers/aws/services/<service>/<check>/
# <check>.metadata.json ("Severity"), read at commit 3e000faa (2026-08-21). A check of ours with that Prowler id
# must say the same, so `--severity high` returns what Prowler's High list holds (issue 18, item 10).
PROWLER_SEVERITY = {
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22": "high",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389": "high",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432": "high",
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports": "critical",
    "ec2_instance_port_ssh_exposed_to_internet": "critical",
    "ec2_instance_imdsv2_enabled": "high",
    "ec2_launch_template_imdsv2_required": "high",
    "ec2_ebs_volume_encryption": "high",
    "ec2_ebs_snapshots_encrypted": "high",
    "ec2_ebs_default_encryption": "high",
    "ec2_ebs_public_snapshot": "critical",
    "ec2_ami_public": "critical",
    "s3_bucket_public_access": "critical",
    "s3_account_level_public_access_blocks": "high",
    "s3_bucket_level_public_access_block": "high",
    "s3_bucket_default_encryption": "medium",
    "iam_user_mfa_enabled_console_access": "high",
    "iam_rotate_access_key_90_days": "medium",
    "iam_user_accesskey_unused": "medium",
    "iam_no_root_access_key": "critical",
    "iam_avoid_root_usage": "high",
    "iam_customer_attached_policy_no_administrative_privileges": "high",
    "iam_inline_policy_no_administrative_privileges": "critical",
    "cloudtrail_multi_region_enabled": "high",
    "guardduty_is_enabled": "high",
}


def test_severities_are_prowlers():
    from _awswiz.security.table import CHECKS

    mine = {c.id: (c.prowler, c.severity) for c in CHECKS if c.prowler}
    assert {i: s for i, (p, s) in mine.items()} == {i: PROWLER_SEVERITY[p] for i, (p, _) in mine.items()}


def test_where_ours_differs_from_prowler_is_said():
    """Issue 18 item 9: the Prowler id beside a check means Prowler's check, or the row says where ours differs:
    Prowler's iam_user_accesskey_unused uses 45 days (config.yaml max_unused_access_keys_days), iam_avoid_root_usage
    1 day (maximum_access_days), s3_account_level_public_access_blocks and s3_bucket_level_public_access_block pass
    with IgnorePublicAcls and RestrictPublicBuckets only; its security-group checks count only 0.0.0.0/0 and ::/0
    (check_security_group(..., any_address=True))."""
    from _awswiz.security.table import BY_ID

    assert "45" in BY_ID["iam-key-unused"].differs and "1 day" in BY_ID["iam-root-recent-use"].differs
    assert all("two" in BY_ID[c].differs for c in ("s3-account-pab-off", "s3-bucket-pab-off"))
    assert all("0.0.0.0/1" in BY_ID[c].differs for c in ("sg-open-ssh", "sg-open-all", "ec2-public-open-sg"))
    assert BY_ID["iam-key-old"].differs == "" and BY_ID["ec2-imdsv1"].differs == ""  # the same test as Prowler's


def _policy(condition=None, principal="*"):
    import json

    stmt = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [{**stmt, **({"Condition": condition} if condition
                                                                            else {})}]})


# Amazon S3 User Guide, Blocking public access to your Amazon S3 storage, "The meaning of 'public'": a policy is
# public unless it grants only to fixed values (no wildcard, no policy variable) of aws:SourceIp (a set of CIDRs),
# aws:SourceArn, aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:userid (outside
# "AROLEID:*"), s3:DataAccessPointArn, s3:DataAccessPointAccount, s3:x-amz-server-side-encryption-aws-kms-key-id,
# or a fixed principal (aws:PrincipalOrgID, aws:PrincipalAccount). Other keys restrict nothing.
@pytest.mark.parametrize("condition,public", [
    (None, True),
    ({"Bool": {"aws:SecureTransport": "true"}}, True),                       # harmless: still everyone
    ({"StringLike": {"aws:Referer": "https://example.com/*"}}, True),       # a header anyone can send
    ({"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
    ({"StringEquals": {"aws:sourcevpc": "vpc-1a2b3c4d"}}, False),          # keys are case-insensitive
    ({"StringLike": {"aws:SourceVpc": "vpc-*"}}, True),                     # not a fixed value
    ({"StringEqualsIfExists": {"aws:SourceVpc": "vpc-1a2b3c4d"}}, True),    # absent from internet requests
    ({"StringNotEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}}, True),         # everyone else
    ({"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}, False),
    ({"StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}}, False),
    ({"StringEquals": {"aws:SourceAccount": "${aws:PrincipalAccount}"}}, True),  # a policy variable
    ({"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111122223333:distribution/EDFDVBD6EXAMPLE"}}, False),
    ({"StringEquals": {"s3:DataAccessPointAccount": "111122223333"}}, False),
    ({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.7"]}}, False),
    ({"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}}, True),
    ({"IpAddress": {"aws:SourceIp": ["0.0.0.0/1", "128.0.0.0/1"]}}, True),   # the internet in pieces
    ({"NotIpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, True),
    ({"Bool": {"aws:SecureTransport": "true"}, "StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}, False),
])
def test_a_bucket_policy_is_public_as_s3_reads_it(condition, public):
    from _awswiz.security.s3 import public_statements

    assert bool(public_statements(_policy(condition))) is public
    assert bool(public_statements(_policy(condition, {"AWS": ["*"]}))) is public
    assert public_statements(_policy(condition, {"AWS": "arn:aws:iam::111122223333:root"})) == []
