"""security.py against the seeded sandbox (issue 12): every check fires on its seeded bad resource and stays
quiet on the clean counterpart (tools/_awswiz/sandbox/lab_security.py), each --fix changes exactly what it
names and the check is clean afterwards, nothing secret is printed, scan shares the checks, SARIF, bad input.

Where the sandbox cannot stand for AWS, the test says so: moto's credential report has no <root_account> row
and its account summary never counts root keys, so iam-root-recent-use and iam-root-access-key cannot be
seen firing here; since January 2023 AWS gives every bucket SSE-S3 default encryption, so no AWS bucket can
fire s3-bucket-no-encryption and the lab seeds none (it stays quiet on the lab's buckets).
"""

from __future__ import annotations

import json

import pytest
from mutation_helpers import assert_audit_matches_server, instance, mutating_calls, name

LAB = "eu-central-1"  # lab_security.py's region
FIX = "ap-southeast-1"  # the fix tests' own resources; no other test counts on this region
ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def lab(sandbox, tmp_path_factory):
    """One run of every check over the lab region (and the global services), before any fix test."""
    import subprocess
    import sys

    from conftest import TOOLS, clean_env

    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(tmp_path_factory.mktemp("st")))
    p = subprocess.run([sys.executable, str(TOOLS / "security.py"), "--region", f"{LAB},us-east-1"], env=env,
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    doc["_stderr"] = p.stderr
    return doc


def findings(doc: dict) -> list[dict]:
    """security.py's answer groups findings by check (each says its title, severity, Prowler id, remedy once, then
    its resources, or the regions of a check about regions): one finding per resource again, as the checks found
    them."""
    out = []
    for g in doc["data"]["findings"]:
        said = {k: g[k] for k in ("check", "severity", "title", "type", "prowler", "remedy") if k in g}
        for reg in g.get("regions", []):
            ev = g["evidence"] if "evidence" in g else g["evidence_by_region"][reg]
            out.append({**said, "resource": reg, "region": reg, "evidence": ev,
                        **({"fix": g["fix"]} if "fix" in g else {})})
        for r in g.get("resources", []):
            out.append({**said, "resource": r["id"],
                        **{k: r[k] for k in ("region", "name", "evidence", "fix") if k in r}})
    return out


def flagged(doc: dict, check: str) -> set[str]:
    """Names (or ids, for resources without a Name) of what a check flagged; keys by their user."""
    out = set()
    for f in findings(doc):
        if f["check"] == check:
            out |= {f["resource"], f.get("name") or f["resource"], f["evidence"].get("user") or f["resource"]}
    return out


# check -> (bad names it must flag, good names it must not): the rules come from the AWS documents named in
# security/table.py beside each row (e.g. "Amazon EC2 User Guide: Security group rules for different use cases",
# "Amazon S3 User Guide: Blocking public access to your Amazon S3 storage", "IAM User Guide: AWS
# Multi-factor authentication in IAM", "IAM User Guide: Manage access keys for IAM users").
CASES = {
    "sg-open-ssh": ({"sec-ssh-open", "ssh-open"}, {"sec-ssh-office", "sec-web", "sec-ping"}),
    "sg-open-rdp": ({"sec-rdp-open"}, {"sec-ssh-office", "sec-web", "sec-ping"}),  # ::/0 is the internet too
    "sg-open-db": ({"sec-db-open"}, {"sec-web", "sec-ssh-office", "sec-ping"}),
    "sg-open-all": ({"sec-all-open"}, {"sec-web", "sec-ssh-open", "sec-ping"}),
    "ec2-public-open-sg": ({"sec-exposed"}, {"sec-hardened"}),
    "ec2-imdsv1": ({"sec-exposed"}, {"sec-hardened"}),
    "ec2-launch-template-imdsv1": ({"sec-lt-v1"}, {"sec-lt-v2"}),
    "ebs-volume-unencrypted": ({"sec-plain"}, {"sec-encrypted"}),
    "ebs-snapshot-unencrypted": ({"sec-plain-snap"}, {"sec-encrypted-snap"}),
    "ebs-snapshot-public": ({"sec-plain-snap"}, {"sec-encrypted-snap"}),
    "ami-public": ({"sec-public-ami"}, {"sec-private-ami"}),
    "ebs-default-encryption-off": ({"us-east-1"}, {LAB}),
    "cloudtrail-off": ({"us-east-1"}, {LAB}),
    "guardduty-off": ({"us-east-1"}, {LAB}),
    "s3-bucket-public-acl": ({"awswiz-sec-public-acl"}, {"awswiz-sec-private", "awswiz-sec-public-policy"}),
    # a Condition that pins nothing S3 counts as restricting (aws:SecureTransport) leaves the bucket public; a fixed
    # aws:SourceVpce does not (Amazon S3 User Guide, Blocking public access, "The meaning of 'public'")
    "s3-bucket-public-policy": ({"awswiz-sec-public-policy", "awswiz-sec-public-tls"},
                                {"awswiz-sec-private", "awswiz-sec-public-acl", "awswiz-sec-vpce-only"}),
    "s3-bucket-pab-off": ({"awswiz-sec-public-acl", "awswiz-sec-public-policy"}, {"awswiz-sec-private"}),
    "s3-account-pab-off": ({"account"}, set()),  # the account's default; fixed (and undone) below
    "s3-bucket-no-encryption": (set(), {"awswiz-sec-private", "awswiz-demo-datasets"}),  # see the module doc
    "iam-user-no-mfa": ({"sec-console-nomfa"}, {"sec-console-mfa", "alice"}),
    "iam-key-old": ({"sec-old-key"}, {"sec-fresh-key"}),
    "iam-key-unused": ({"sec-old-key"}, {"sec-fresh-key"}),
    "iam-policy-admin": ({"sec-admin-star"}, {"sec-read-logs"}),
    "iam-inline-policy-admin": ({"sec-inline-admin"}, {"sec-inline-read"}),
    "iam-role-open-trust": ({"sec-open-trust"}, {"sec-partner-trust", "awswiz-lab-role"}),
    "iam-root-access-key": (set(), {"root"}),  # moto never reports root keys (see the module doc)
    "iam-root-recent-use": (set(), {"root"}),  # moto's credential report has no root row
}


def test_every_check_of_the_table_is_tested():
    from _awswiz.security.table import CHECKS

    assert {c.id for c in CHECKS} == set(CASES)


@pytest.mark.parametrize("check", sorted(CASES))
def test_check_fires_on_bad_and_is_quiet_on_good(lab, check):
    bad, good = CASES[check]
    seen = flagged(lab, check)
    assert bad <= seen, f"{check} missed {bad - seen}"
    assert not good & seen, f"{check} flagged clean {good & seen}"


def test_findings_carry_what_the_issue_asks(lab):
    from _awswiz.security.table import BY_ID

    assert lab["ok"] and lab["errors"] == [] and set(lab["data"]["checks_run"]) == set(CASES)
    for f in findings(lab):
        c = BY_ID[f["check"]]
        assert (f["severity"], f["title"]) == (c.severity, c.title)
        assert f.get("prowler") == c.prowler or (c.id == "sg-open-db" and f["prowler"].startswith(
            "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_")) or (
            c.id == "ec2-public-open-sg" and f["prowler"].startswith("ec2_instance_port_"))
        assert f["resource"] and f["region"] and f["evidence"] is not None
        assert bool(f.get("fix")) == bool(c.fix) and (f.get("fix") or f["remedy"])
        assert not any(k.startswith("_") for k in f)
    rdp = next(f for f in findings(lab) if f["check"] == "sg-open-rdp")
    assert rdp["evidence"]["rules"] == [{"protocol": "tcp", "ports": "3389", "from": ["::/0"]}]
    assert rdp["evidence"]["used_by"]  # the group in use by sec-exposed; unused open groups are found too
    assert rdp["fix"] == f"uv run tools/security.py --fix sg-open-rdp --id {rdp['resource']} --region {LAB}"
    exposed = next(f for f in findings(lab) if f["check"] == "ec2-public-open-sg")
    assert exposed["prowler"] == "ec2_instance_port_rdp_exposed_to_internet"  # sec-exposed is behind RDP
    db = next(f for f in findings(lab) if f["check"] == "sg-open-db")
    assert db["prowler"] == "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_postgres_5432"  # its port
    pol = next(f for f in findings(lab) if f["check"] == "s3-bucket-public-policy")
    assert pol["evidence"]["statements"][0]["Principal"] == "*"  # the statement is the evidence
    counts = lab["data"]["counts"]
    assert sum(counts.values()) == len(findings(lab)) and counts["critical"] >= 5


def test_findings_are_grouped_by_check_with_each_resource_once(lab, run_tool):
    """Issue 25 item 2: a check's explanation (title, severity, Prowler id, remedy) is said once, then what it
    found, each resource once; a check about regions names them in one list, with their shared evidence and one
    fix command for all of them, which works as printed (a plan here: nothing is changed)."""
    groups = lab["data"]["findings"]
    assert len({g["check"] for g in groups}) == len(groups) > 5
    for g in groups:
        listed = g["regions"] if "regions" in g else [(r["id"], r["region"]) for r in g["resources"]]
        assert g["count"] == len(listed) == len(set(listed)), g["check"]
        for r in g.get("resources", []):
            assert not {"check", "severity", "title", "prowler", "remedy", "type"} & set(r), r
    assert sum(g["count"] for g in groups) == sum(lab["data"]["counts"].values())
    by_check = {g["check"]: g for g in groups}
    ebs = by_check["ebs-default-encryption-off"]
    assert ebs["regions"] == ["us-east-1"] and ebs["evidence"] == {"ebs_encryption_by_default": False}
    assert ebs["fix"] == "uv run tools/security.py --fix ebs-default-encryption-off --region us-east-1"
    assert "regions" in by_check["guardduty-off"] and "regions" in by_check["cloudtrail-off"]
    plan = run_tool("security", *ebs["fix"].split()[3:])
    assert plan.code == 0 and {a["region"] for a in plan.json["data"]["plan"]} == {"us-east-1"}
    assert plan.json["data"]["applied"] is False


def test_pretty_in_a_file_keeps_each_checks_explanation(run_tool):
    """--pretty piped to a file (80 columns): each check's title, remedy and fix commands are lines, whole."""
    doc = run_tool("security", "--region", f"{LAB},us-east-1").json["data"]
    out = run_tool("security", "--region", f"{LAB},us-east-1", "--pretty", env={"COLUMNS": "80"}).stdout
    text = " ".join(out.split())
    for g in doc["findings"]:
        assert f"{g['check']}: {g['title']} ({g['count']})" in text
        assert g.get("remedy") is None or f"remedy: {g['remedy']}" in text
        for fix in [g.get("fix")] + [r.get("fix") for r in g.get("resources", [])]:
            assert fix is None or f"fix: {fix}" in out  # a command is one line, never folded


def test_severity_and_check_filters(run_tool):
    r = run_tool("security", "--region", LAB, "--severity", "critical")
    assert r.code == 0, r.stderr
    assert findings(r.json) and {f["severity"] for f in findings(r.json)} == {"critical"}
    r = run_tool("security", "--region", LAB, "--check", "sg-open-db,ami-public")
    assert r.json["data"]["checks_run"] == ["sg-open-db", "ami-public"]
    assert {f["check"] for f in findings(r.json)} == {"sg-open-db", "ami-public"}


def test_severity_high_returns_what_prowler_calls_high(run_tool):
    """Prowler rates these High (their <check>.metadata.json: ec2_ebs_default_encryption, ec2_ebs_volume_encryption,
    ec2_ebs_snapshots_encrypted, ec2_instance_imdsv2_enabled, guardduty_is_enabled,
    s3_bucket_level_public_access_block); security.py called them medium, so --severity high hid them."""
    r = run_tool("security", "--region", f"{LAB},us-east-1", "--severity", "high")
    assert r.code == 0, r.stderr
    seen = {(f["check"], f.get("name") or f["resource"]) for f in findings(r.json)}
    assert {("ebs-default-encryption-off", "us-east-1"), ("ebs-volume-unencrypted", "sec-plain"),
            ("ebs-snapshot-unencrypted", "sec-plain-snap"), ("ec2-imdsv1", "sec-exposed"),
            ("guardduty-off", "us-east-1"), ("s3-bucket-pab-off", "awswiz-sec-public-acl"),
            ("ec2-launch-template-imdsv1", "sec-lt-v1"), ("ami-public", "sec-public-ami")} <= seen
    assert {f["severity"] for f in findings(r.json)} == {"critical", "high"}
    listed = {c["id"]: c for c in run_tool("security", "--list").json["data"]["checks"]}
    assert "45" in listed["iam-key-unused"]["prowler_differs"] and "prowler_differs" not in listed["iam-key-old"]


def test_sandbox_flag_is_repeated_in_fix_commands(sandbox, run_tool, state_dir):
    # a hint is a command that works as printed: it repeats the run's --sandbox (DESIGN.md, Output)
    info = state_dir / "sandbox.json"
    info.write_text((sandbox.state / "sandbox.json").read_text())
    info.chmod(0o600)
    r = run_tool("security", "--sandbox", "--region", LAB, "--check", "sg-open-db")
    assert r.code == 0, r.stderr
    assert findings(r.json)
    assert all(f["fix"].endswith(" --sandbox") for f in findings(r.json))
    assert all(n.endswith(" --sandbox") for n in r.json["next"])


def test_scan_shares_the_security_group_checks(lab, run_tool):
    r = run_tool("scan", "--region", LAB, "--service", "ec2,vpc")
    assert r.code == 0, r.stderr
    scan = {(f["kind"], f["id"]): f for f in r.json["data"]["findings"] if f.get("check")}
    sec = {(f["check"], f["resource"]): f for f in findings(lab)
           if f["region"] == LAB and f["check"].startswith(("sg-open-", "ec2-public-open-sg"))}
    assert set(scan) == set(sec)  # the same checks, one source
    for k, f in scan.items():
        assert (f["severity"], f["prowler"], f.get("next")) == (sec[k]["severity"], sec[k]["prowler"],
                                                                sec[k].get("fix"))


def test_all_icmp_rules_neither_fail_a_run_nor_open_a_port(lab, sandbox, run_tool):
    """The lab's sec-ping allows "All ICMP" (IpProtocol icmp/icmpv6, FromPort and ToPort -1: botocore ec2
    IpPermission.FromPort, "-1 (all ICMP types)") and ESP (protocol 50, no ports: IpPermission.IpProtocol). scan
    and security read it without failing the run (it made both exit 1 with no data: int('') of the port "-1"),
    show it as ICMP and ESP, and fire no port check on it."""
    ping = sandbox.client("ec2", LAB).describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["sec-ping"]}])["SecurityGroups"][0]
    assert {(p["IpProtocol"], p.get("FromPort"), p.get("ToPort")) for p in ping["IpPermissions"]} == {
        ("icmp", -1, -1), ("icmpv6", -1, -1), ("50", None, None)}  # as AWS answers it; ESP has no ports
    assert lab["ok"] and ping["GroupId"] not in {f["resource"] for f in findings(lab)}
    scan = run_tool("scan", "--region", LAB, "--service", "vpc")
    assert scan.code == 0 and scan.json["ok"], scan.stdout + scan.stderr
    rec = next(r for r in scan.json["data"]["resources"] if r["id"] == ping["GroupId"])
    assert rec["open_to_world"] == ["icmp all", "icmpv6 all", "proto 50"]
    assert ping["GroupId"] not in {f["id"] for f in scan.json["data"]["findings"]}
    r = run_tool("security", "--region", LAB, "--check", "sg-open-ssh,sg-open-all,ec2-public-open-sg")
    assert r.code == 0 and "sec-ping" not in flagged(r.json, "sg-open-ssh") | flagged(r.json, "sg-open-all")


def test_the_internet_in_pieces_is_found_and_fixed(sandbox, run_tool, guarded):
    """0.0.0.0/1 plus 128.0.0.0/1 (or ::/1 plus 8000::/1) allow every address, as 0.0.0.0/0 does: a packet is
    allowed when any rule allows it (Amazon EC2 User Guide, Security group rules). The check fires, scan agrees,
    and the fix revokes the pieces and nothing else (the office range and the other IP version stay)."""
    ec2 = sandbox.client("ec2", FIX)
    gid = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": [{"CidrIp": "0.0.0.0/1"}, {"CidrIp": "128.0.0.0/1"}, {"CidrIp": "10.0.0.0/8"}],
                        "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}]},
                       {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389,
                        "Ipv6Ranges": [{"CidrIpv6": "::/1"}, {"CidrIpv6": "8000::/1"}]}])
    r = run_tool("security", "--region", FIX, "--check", "sg-open-ssh,sg-open-rdp")
    assert gid in flagged(r.json, "sg-open-ssh") and gid in flagged(r.json, "sg-open-rdp")
    ssh = next(f for f in findings(r.json) if f["check"] == "sg-open-ssh" and f["resource"] == gid)
    assert ssh["evidence"]["rules"] == [{"protocol": "tcp", "ports": "22", "from": ["0.0.0.0/1", "128.0.0.0/1"]}]
    scan = run_tool("scan", "--region", FIX, "--service", "vpc")
    assert {f["check"] for f in scan.json["data"]["findings"] if f["id"] == gid} == {"sg-open-ssh", "sg-open-rdp"}
    plan, _ = plan_and_confirm(guarded, "--fix", "sg-open-ssh", "--id", gid, "--region", FIX)
    assert [(a["action"], a["detail"]["rule"]) for a in plan] == [
        ("revoke", "tcp 22 from 0.0.0.0/1, 128.0.0.0/1 removed")]
    assert _rules(ec2, gid) == {("tcp", 22, "10.0.0.0/8"), ("tcp", 22, "2001:db8::/32"), ("tcp", 3389, "::/1"),
                                ("tcp", 3389, "8000::/1")}
    plan_and_confirm(guarded, "--fix", "sg-open-rdp", "--id", gid, "--region", FIX)
    assert _rules(ec2, gid) == {("tcp", 22, "10.0.0.0/8"), ("tcp", 22, "2001:db8::/32")}
    after = run_tool("security", "--region", FIX, "--check", "sg-open-ssh,sg-open-rdp")
    assert gid not in flagged(after.json, "sg-open-ssh") | flagged(after.json, "sg-open-rdp")


def test_list_prints_the_table_without_calling_aws(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("security", "--list")
    assert r.code == 0 and sandbox.mark() == mark
    rows = r.json["data"]["checks"]
    assert {c["id"] for c in rows} == set(CASES)
    assert all(c["calls"] and c["test"] and c["doc"] and c["severity"] for c in rows)
    pretty = run_tool("security", "--list", "--pretty")
    assert pretty.code == 0 and "iam-key-unused differs from Prowler" in " ".join(pretty.stdout.split())


def test_sarif(lab, run_tool):
    r = run_tool("security", "--region", f"{LAB},us-east-1", "--format", "sarif")
    assert r.code == 0, r.stderr
    doc = r.json
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    rules = [x["id"] for x in run["tool"]["driver"]["rules"]]
    assert set(rules) == set(CASES)
    by_id = {x["id"]: x["properties"] for x in run["tool"]["driver"]["rules"]}
    assert "45" in by_id["iam-key-unused"]["prowler_differs"] and "prowler_differs" not in by_id["iam-key-old"]
    assert len(run["results"]) == len(findings(lab))
    for res in run["results"]:
        assert rules[res["ruleIndex"]] == res["ruleId"] and res["level"] in ("error", "warning", "note")
        assert res["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].startswith(f"aws/{ACCOUNT}/")


def test_no_secret_is_printed(sandbox, run_tool):
    """Access key secrets, login passwords and the credential report's contents stay out of the output; the
    report is read, never generated by the tool (GenerateCredentialReport is the human's call)."""
    iam = sandbox.client("iam")
    user = name("sec-secret")
    iam.create_user(UserName=user)
    iam.create_login_profile(UserName=user, Password="Pw-never-printed-42")
    key = iam.create_access_key(UserName=user)["AccessKey"]
    mark = sandbox.mark()
    r = run_tool("security", "--check", "iam-user-no-mfa,iam-key-old,iam-key-unused,iam-root-recent-use",
                 "--region", LAB)
    assert r.code == 0, r.stderr
    assert user in flagged(r.json, "iam-user-no-mfa")
    assert not [c for c in sandbox.calls(mark) if c["action"] == "GenerateCredentialReport"]
    assert any("no current credential report" in n for n in r.json["data"]["not_checked"]) or \
        any("no <root_account> row" in n for n in r.json["data"]["not_checked"])  # said, not passed over
    iam.generate_credential_report()
    r2 = run_tool("security", "--check", "iam-root-recent-use,iam-user-no-mfa", "--region", LAB, "--pretty")
    assert r2.code == 0, r2.stderr
    r3 = run_tool("security", "--check", "iam-root-recent-use", "--region", LAB)
    # moto's report has no <root_account> row (AWS's always has one: IAM User Guide, Getting credential reports
    # for your AWS account); the tool says so rather than report the root as unused
    assert findings(r3.json) == [] and "no <root_account> row" in r3.json["data"]["not_checked"][0]
    assert "<root_account>" not in r3.stdout.replace("no <root_account> row", "")
    for out in (r.stdout + r.stderr, r2.stdout + r2.stderr):
        assert key["SecretAccessKey"] not in out and "Pw-never-printed-42" not in out
        assert "Lab-only-not-a-secret-1" not in out  # the lab users' passwords
    iam.delete_login_profile(UserName=user)


# --- fixes: each changes exactly what it names, and the check is clean afterwards ---------------------

def plan_and_confirm(guarded, *args):
    """plan (nothing changed), confirm (the audit log equals what the server saw) -> (the plan, confirm's Run)."""
    plan, r = guarded("security", *args).run()
    assert r.json["data"]["summary"]["failed"] == 0
    return plan["plan"], r


def _group(ec2, rules: list[dict]) -> str:
    gid = ec2.create_security_group(GroupName=name("sec-fix"), Description="test")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=rules)
    return gid


def _rules(ec2, gid: str) -> set[tuple]:
    g = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]
    out = set()
    for p in g["IpPermissions"]:
        for r in p.get("IpRanges", []):
            out.add((p["IpProtocol"], p.get("FromPort"), r["CidrIp"]))
        for r in p.get("Ipv6Ranges", []):
            out.add((p["IpProtocol"], p.get("FromPort"), r["CidrIpv6"]))
    return out


def test_fix_narrows_an_open_ssh_rule_to_a_32_and_nothing_else(sandbox, run_tool, state_dir, guarded):
    """Only the world ranges of the SSH rule go; the /32 takes their place; the office range on 22 and the
    HTTPS rule open to the world (not an admin port) stay. (Amazon EC2 User Guide: Security group rules.)"""
    ec2 = sandbox.client("ec2", FIX)
    world = [{"CidrIp": "0.0.0.0/0"}]
    gid = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                        "IpRanges": world + [{"CidrIp": "192.0.2.0/24"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]},
                       {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": world}])
    other = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": world}])
    mark = sandbox.mark()
    plan, r = plan_and_confirm(guarded, "--fix", "sg-open-ssh", "--id", gid, "--region", FIX,
                               "--cidr", "198.51.100.7/32")
    assert [(a["action"], a["id"]) for a in plan] == [("narrow", gid)]
    assert _rules(ec2, gid) == {("tcp", 22, "192.0.2.0/24"), ("tcp", 22, "198.51.100.7/32"), ("tcp", 443, "0.0.0.0/0")}
    assert ("tcp", 22, "0.0.0.0/0") in _rules(ec2, other)  # not named: untouched
    sent = assert_audit_matches_server(sandbox, state_dir, mark)
    assert [s["operation"] for s in sent] == ["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress"]
    after = run_tool("security", "--check", "sg-open-ssh", "--region", FIX)
    assert gid not in flagged(after.json, "sg-open-ssh") and other in flagged(after.json, "sg-open-ssh")
    assert r.json["next"] == [f"uv run tools/security.py --check sg-open-ssh --region {FIX}"]


def test_fix_removes_an_all_ports_rule(sandbox, run_tool, guarded):
    ec2 = sandbox.client("ec2", FIX)
    gid = _group(ec2, [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.0.0.0/16"}]}])
    plan_and_confirm(guarded, "--fix", "sg-open-all", "--id", gid, "--region", FIX)
    assert _rules(ec2, gid) == {("-1", None, "10.0.0.0/16")}
    after = run_tool("security", "--check", "sg-open-all", "--region", FIX)
    assert gid not in flagged(after.json, "sg-open-all")


def test_fix_refuses_a_protected_group(sandbox, run_tool):
    ec2 = sandbox.client("ec2", FIX)
    gid = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_tags(Resources=[gid], Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    mark = sandbox.mark()
    r = run_tool("security", "--fix", "sg-open-rdp", "--id", gid, "--region", FIX)
    assert r.code == 4 and "protected" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []


@pytest.mark.parametrize("key,value", [("awswiz:protected", "True "), ("awswiz:protected ", "yes"),
                                       ("AWSWIZ:Protected", " 1"), ("Env ", "Production")])
def test_fix_refuses_a_group_protected_with_odd_spacing_or_case(sandbox, run_tool, key, value):
    """DESIGN.md: protection tags are compared stripped and case-folded (guard.protection, as test_safety spells
    them). EC2 keeps tag keys and values as given ("Tag keys and values are case-sensitive": Amazon EC2 User
    Guide, Tag your Amazon EC2 resources, Tag restrictions), so "True " reaches AwsWiz as it was typed."""
    ec2 = sandbox.client("ec2", FIX)
    gid = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_tags(Resources=[gid], Tags=[{"Key": key, "Value": value}])
    assert {(t["Key"], t["Value"]) for t in ec2.describe_tags(Filters=[
        {"Name": "resource-id", "Values": [gid]}])["Tags"]} == {(key, value)}  # kept as typed
    mark = sandbox.mark()
    r = run_tool("security", "--fix", "sg-open-rdp", "--id", gid, "--region", FIX)  # named: refused
    assert r.code == 4 and "protected" in r.json["errors"][0]["message"], r.stdout
    every = run_tool("security", "--fix", "sg-open-rdp", "--region", FIX)  # not named: skipped, said why
    assert every.code == 0, every.stdout + every.stderr
    assert gid not in {a["id"] for a in every.json["data"]["plan"]}
    assert "protected" in {x["id"]: x["reason"] for x in every.json["data"]["skipped"]}[gid]
    assert mutating_calls(sandbox, mark) == []
    ec2.delete_security_group(GroupId=gid)  # the next case's plan must not meet it


def test_fix_requires_imdsv2_on_the_named_instance_only(sandbox, run_tool, state_dir, guarded):
    """Amazon EC2 User Guide: Configure the instance metadata options for existing instances
    (ModifyInstanceMetadataOptions HttpTokens=required)."""
    ec2 = sandbox.client("ec2", FIX)
    a, b = instance(ec2), instance(ec2)
    mark = sandbox.mark()
    plan_and_confirm(guarded, "--fix", "ec2-imdsv1", "--id", a, "--region", FIX)

    def tokens(iid):
        return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["MetadataOptions"][
            "HttpTokens"]

    assert (tokens(a), tokens(b)) == ("required", "optional")
    assert [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)] == [
        "ModifyInstanceMetadataOptions"]
    seen = flagged(run_tool("security", "--check", "ec2-imdsv1", "--region", FIX).json, "ec2-imdsv1")
    assert a not in seen and b in seen


def test_fix_turns_on_ebs_default_encryption_in_the_region_only(sandbox, run_tool, guarded):
    """Amazon EBS User Guide: Enable Amazon EBS encryption by default (a per-region setting)."""
    ec2 = sandbox.client("ec2", FIX)
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    try:
        plan_and_confirm(guarded, "--fix", "ebs-default-encryption-off", "--region", FIX)
        assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
        assert sandbox.client("ec2", "us-east-1").get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
        after = run_tool("security", "--check", "ebs-default-encryption-off", "--region", FIX)
        assert findings(after.json) == []
    finally:
        ec2.disable_ebs_encryption_by_default()


def _s3control(sandbox):
    c = sandbox.client("s3control")
    # S3 Control prefixes the account id to the host; the sandbox is one host (security/s3.py)
    c.meta.events.register("before-sign.s3-control",
                           lambda request, **_: setattr(request, "url", request.url.replace(f"://{ACCOUNT}.", "://")))
    return c


def test_fix_turns_on_the_account_public_access_block(sandbox, run_tool, state_dir, guarded):
    """Amazon S3 User Guide: Configuring block public access settings for your account (all four settings);
    with the account block on, the public lab buckets are no longer public (IgnorePublicAcls,
    RestrictPublicBuckets apply to every bucket)."""
    ctl = _s3control(sandbox)
    mark = sandbox.mark()
    try:
        plan_and_confirm(guarded, "--fix", "s3-account-pab-off")
        cfg = ctl.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"]
        assert cfg == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                       "RestrictPublicBuckets": True}
        sent = assert_audit_matches_server(sandbox, state_dir, mark)
        assert [s["operation"] for s in sent] == ["PutPublicAccessBlock"]
        after = run_tool("security", "--check", "s3-account-pab-off,s3-bucket-public-acl,s3-bucket-public-policy",
                         "--region", LAB)
        assert findings(after.json) == []
    finally:
        ctl.delete_public_access_block(AccountId=ACCOUNT)


def test_fix_deactivates_the_old_key_only(sandbox, run_tool, state_dir, guarded):
    """IAM User Guide: Manage access keys for IAM users (deactivate, not delete: it can be made active again)."""
    iam = sandbox.client("iam")
    old = iam.list_access_keys(UserName="sec-old-key")["AccessKeyMetadata"][0]["AccessKeyId"]
    fresh = iam.list_access_keys(UserName="sec-fresh-key")["AccessKeyMetadata"][0]["AccessKeyId"]
    mark = sandbox.mark()
    try:
        plan, _ = plan_and_confirm(guarded, "--fix", "iam-key-old", "--id", old)
        assert [a["id"] for a in plan] == [old]
        status = {k["AccessKeyId"]: k["Status"] for u in ("sec-old-key", "sec-fresh-key")
                  for k in iam.list_access_keys(UserName=u)["AccessKeyMetadata"]}
        assert status == {old: "Inactive", fresh: "Active"}
        assert [s["operation"] for s in assert_audit_matches_server(sandbox, state_dir, mark)] == ["UpdateAccessKey"]
        after = run_tool("security", "--check", "iam-key-old,iam-key-unused", "--region", LAB)
        assert findings(after.json) == []
    finally:
        iam.update_access_key(UserName="sec-old-key", AccessKeyId=old, Status="Active")


def test_region_refusing_credentials_is_partial_and_the_rest_is_checked(run_tool, faulty):
    """One region refusing credentials is one error entry for it (exit 3); the other region's findings stay."""
    regions = f"{LAB},us-east-1"
    checks = "sg-open-ssh,ec2-imdsv1,ebs-default-encryption-off,guardduty-off"
    baseline = run_tool("security", "--region", regions, "--check", checks)
    url, stats = faulty(deny={"us-east-1"})
    r = run_tool("security", "--region", regions, "--check", checks, endpoint=url)
    assert r.code == 3, r.stderr
    assert {e["region"] for e in r.json["errors"]} == {"us-east-1"} and stats.denied > 0
    keep = {(f["check"], f["resource"]) for f in findings(baseline.json) if f["region"] == LAB}
    assert keep and keep == {(f["check"], f["resource"]) for f in findings(r.json)}
    assert "Traceback" not in r.stderr
    s = run_tool("security", "--region", regions, "--check", checks, "--format", "sarif", endpoint=url)
    assert s.code == 3 and "AuthFailure" in s.stderr  # SARIF on stdout, the region's error on stderr
    assert len(s.json["runs"][0]["results"]) == len(keep)


def test_fix_over_max_is_refused(sandbox, run_tool):
    """ebs-default-encryption-off is off in most regions: a fix across all of them is over --max 10."""
    mark = sandbox.mark()
    r = run_tool("security", "--fix", "ebs-default-encryption-off")
    assert r.code == 4 and "over --max 10" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []


def test_pretty_shows_the_findings_table(run_tool):
    r = run_tool("security", "--region", LAB, "--check", "sg-open-all,ami-public", "--pretty")
    assert r.code == 0, r.stderr
    assert "Security findings" in r.stdout and "sg-open-all" in r.stdout and "sec-public-ami" in r.stdout


def test_narrowing_to_an_address_already_allowed_still_removes_the_open_range(sandbox, run_tool, guarded):
    """AuthorizeSecurityGroupIngress refuses a rule that exists (InvalidPermission.Duplicate: Amazon EC2 API
    Reference, Error codes); the world range is gone all the same and the fix says so."""
    ec2 = sandbox.client("ec2", FIX)
    gid = _group(ec2, [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "198.51.100.7/32"}]}])
    _, r = plan_and_confirm(guarded, "--fix", "sg-open-db", "--id", gid, "--region", FIX, "--cidr", "198.51.100.7/32")
    assert r.json["data"]["results"][0]["note"] == "198.51.100.7/32 was already allowed"
    assert _rules(ec2, gid) == {("tcp", 5432, "198.51.100.7/32")}


# --- the guard reaches what a fix touches (issue 19): the group's VPC, the key's user, the run's own key ------

GUARD = "ca-west-1"  # these tests confirm bulk plans: a region no other test uses, so nothing else is in them


def _open_ssh(ec2, vpc: str | None = None) -> str:
    gid = ec2.create_security_group(GroupName=name("sec-guard"), Description="test",
                                    **({"VpcId": vpc} if vpc else {}))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return gid


def test_fix_leaves_the_groups_of_a_production_vpc_alone(sandbox, run_tool, guarded):
    """A protected VPC protects what it contains (DESIGN.md, Mutations; cleanup_sg already skips such a group):
    the fix's action carries the VPC with the VPC's own tags (Action.touches), so the guard refuses it by name
    (exit 4) and skips it in bulk; the plan and its confirm leave its rules as they were."""
    ec2 = sandbox.client("ec2", GUARD)
    vpc = ec2.create_vpc(CidrBlock="10.81.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "env", "Value": "production"}]}])["Vpc"]["VpcId"]
    prod, plain = _open_ssh(ec2, vpc), _open_ssh(ec2)  # the group itself carries no tag at all
    before = _rules(ec2, prod)
    mark = sandbox.mark()
    r = run_tool("security", "--fix", "sg-open-ssh", "--id", prod, "--region", GUARD)
    assert r.code == 4 and f"VPC {vpc} is protected" in r.json["errors"][0]["message"], r.stdout
    assert not r.json["data"].get("confirm") and mutating_calls(sandbox, mark) == []
    plan, _ = plan_and_confirm(guarded, "--fix", "sg-open-ssh", "--region", GUARD)
    assert {a["id"] for a in plan} == {plain}
    assert _rules(ec2, prod) == before and ("tcp", 22, "0.0.0.0/0") not in _rules(ec2, plain)
    every = run_tool("security", "--fix", "sg-open-ssh", "--region", GUARD)
    assert every.json["data"]["plan"] == []
    assert f"VPC {vpc} is protected" in {s["id"]: s["reason"] for s in every.json["data"]["skipped"]}[prod]
    assert [c["action"] for c in mutating_calls(sandbox, mark)] == ["RevokeSecurityGroupIngress"]  # plain's


def test_fix_never_deactivates_a_protected_users_key_nor_the_runs_own(sandbox, run_tool):
    """A key belongs to its user: an awswiz:protected user's keys are protected (IAM ListUsers returns no tags:
    the user's come from ListUserTags). And the key the run signs with is refused as terminate refuses the
    caller's own identity: deactivating it would cut the run off half-way (IAM User Guide, Manage access keys:
    an inactive key cannot be used to sign requests)."""
    iam = sandbox.client("iam")
    old = iam.list_access_keys(UserName="sec-old-key")["AccessKeyMetadata"][0]["AccessKeyId"]
    mark = sandbox.mark()
    iam.tag_user(UserName="sec-old-key", Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    try:
        r = run_tool("security", "--fix", "iam-key-old", "--id", old)
        assert r.code == 4 and "IAM user sec-old-key (the key's owner) is protected" in r.json["errors"][0]["message"]
        every = run_tool("security", "--fix", "iam-key-old")
        assert every.code == 0 and old not in {a["id"] for a in every.json["data"]["plan"]}
        assert "protected" in {s["id"]: s["reason"] for s in every.json["data"]["skipped"]}[old]
    finally:
        iam.untag_user(UserName="sec-old-key", TagKeys=["awswiz:protected"])
    # the run's own key: the tool signs with sec-old-key's key id (moto checks no signature)
    me = {"AWS_ACCESS_KEY_ID": old, "AWS_SECRET_ACCESS_KEY": "not-the-secret"}
    r = run_tool("security", "--fix", "iam-key-old", "--id", old, env=me)
    assert r.code == 4 and "the access key AwsWiz runs with" in r.json["errors"][0]["message"], r.stdout
    every = run_tool("security", "--fix", "iam-key-old", env=me)
    assert old not in {a["id"] for a in every.json["data"]["plan"]}
    assert "runs with" in {s["id"]: s["reason"] for s in every.json["data"]["skipped"]}[old]
    assert [c for c in mutating_calls(sandbox, mark) if c["action"] == "UpdateAccessKey"] == []
    assert iam.list_access_keys(UserName="sec-old-key")["AccessKeyMetadata"][0]["Status"] == "Active"
