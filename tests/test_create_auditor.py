"""create_auditor.py: the policy allows only Cost Explorer and Budgets reads, the role trusts only the lead's
account, the secret lives only in .state/fellows.toml (0600), and the plan/confirm guard is in front."""

from __future__ import annotations

import json
import tomllib
import uuid


def apply(guarded, *args):
    """plan (nothing changed), confirm (the audit log equals what the server saw)."""
    flow = guarded("create_auditor", *args)
    flow.run()
    plan, done = flow.plan_run, flow.done
    assert plan.json["account"] == done.json["account"] == "123456789012"  # it asked AWS: it names the account
    return plan, done


def only_cost_reads(doc: dict) -> None:
    # IAM JSON policy element reference: Action is "service-prefix:action", wildcards allowed; the Service
    # Authorization Reference lists ce Get*/Describe*/List* and budgets View*/Describe* as Read/List actions.
    allowed = {("ce", "Get"), ("ce", "Describe"), ("ce", "List"), ("budgets", "View"), ("budgets", "Describe")}
    for st in doc["Statement"]:
        assert st["Effect"] == "Allow" and "NotAction" not in st
        actions = st["Action"] if isinstance(st["Action"], list) else [st["Action"]]
        for a in actions:
            service, _, verb = a.partition(":")
            assert any(service == s and verb.startswith(v) for s, v in allowed), a
    assert sorted(a for st in doc["Statement"] for a in st["Action"]) == sorted(
        ["ce:Get*", "ce:Describe*", "ce:List*", "budgets:View*", "budgets:Describe*"])


def test_user_with_key_secret_only_in_private_file(sandbox, run_tool, state_dir, guarded):
    name = f"aud-{uuid.uuid4().hex[:6]}"
    plan, done = apply(guarded, "--name", name)
    assert [a["action"] for a in plan.json["data"]["plan"]] == ["create", "put-policy", "create-access-key"]
    iam = sandbox.client("iam")
    assert iam.get_user(UserName=name)["User"]["UserName"] == name
    only_cost_reads(iam.get_user_policy(UserName=name, PolicyName="awswiz-cost-read")["PolicyDocument"])
    assert iam.list_attached_user_policies(UserName=name)["AttachedPolicies"] == []
    keys = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert len(keys) == 1
    path = state_dir / "fellows.toml"
    assert path.stat().st_mode & 0o777 == 0o600
    entry = next(f for f in tomllib.loads(path.read_text())["fellow"] if f["name"] == name)
    assert entry["access_key_id"] == keys[0]["AccessKeyId"] and entry["account"] == "123456789012"
    secret = entry["secret_access_key"]
    assert len(secret) >= 20
    audit = (state_dir / "audit.jsonl").read_text()
    for text in (plan.stdout, plan.stderr, done.stdout, done.stderr, audit):
        assert secret not in text
    assert "CreateAccessKey" in audit and "CreateUser" in audit
    # the key works and reads costs (moto does not enforce IAM policies, so only the read is shown to work)
    import boto3

    ce = boto3.client("ce", region_name="us-east-1", endpoint_url=sandbox.url,
                      aws_access_key_id=entry["access_key_id"], aws_secret_access_key=secret)
    resp = ce.get_cost_and_usage(TimePeriod={"Start": "2026-01-01", "End": "2026-01-02"}, Granularity="DAILY",
                                 Metrics=["UnblendedCost"])
    assert "ResultsByTime" in resp


def test_role_trusts_only_the_lead_account(sandbox, run_tool, state_dir, guarded):
    name = f"aud-role-{uuid.uuid4().hex[:6]}"
    apply(guarded, "--name", name, "--mode", "role", "--trusted-account", "999988887777")
    role = sandbox.client("iam").get_role(RoleName=name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    # IAM User Guide, cross-account access: the trust policy's Principal names the account allowed to assume
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                                   "Action": "sts:AssumeRole"}]
    only_cost_reads(sandbox.client("iam").get_role_policy(RoleName=name, PolicyName="awswiz-cost-read")
                    ["PolicyDocument"])
    entry = next(f for f in tomllib.loads((state_dir / "fellows.toml").read_text())["fellow"] if f["name"] == name)
    assert entry == {"name": name, "account": "123456789012", "role_arn": f"arn:aws:iam::123456789012:role/{name}"}


def test_existing_user_is_not_planned(sandbox, run_tool):
    r = run_tool("create_auditor", "--name", "alice")  # a lab user
    assert r.code == 1 and r.json["errors"][0]["code"] == "AlreadyExists"
    assert r.json["data"]["plan"] == [] and r.json["account"] == "123456789012"


def test_the_persons_comments_survive_create_auditor(sandbox, guarded, state_dir):
    # issue 25 item 7: fellows.toml is a file a person owns; the template as given (data.template), with a note of
    # the person's own, is the file create_auditor adds a fellow to: every line stays, the new [[fellow]] follows
    from _awswiz.money.fellows import TEMPLATE

    mine = TEMPLATE.replace('monthly_budget = 400.0', 'monthly_budget = 400.0  # raised in May, ask Lin')
    path = state_dir / "fellows.toml"
    path.write_text("# lab accounts: keep this list sorted by name\n" + mine)
    path.chmod(0o600)
    name = f"aud-{uuid.uuid4().hex[:6]}"
    apply(guarded, "--name", name, "--mode", "role", "--trusted-account", "123456789012")
    text = path.read_text()
    assert text.startswith("# lab accounts: keep this list sorted by name\n" + mine)
    assert [line for line in text.splitlines() if "#" in line] == [
        line for line in ("# lab accounts: keep this list sorted by name\n" + mine).splitlines() if "#" in line]
    doc = tomllib.loads(text)
    assert [f["name"] for f in doc["fellow"]] == ["ada", "grace", name]
    assert doc["fellow"][2] == {"name": name, "account": "123456789012",
                                "role_arn": f"arn:aws:iam::123456789012:role/{name}"}
    assert path.stat().st_mode & 0o777 == 0o600


def test_fellows_file_round_trip(monkeypatch, tmp_path):
    # TOML v1.0: an array of tables [[fellow]]; tomlkit writes what tomllib reads back unchanged.
    from _awswiz.money import fellows

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "st"))
    a = {"name": "ada", "account": "210987654321", "role_arn": "arn:aws:iam::210987654321:role/a",
         "monthly_budget": 400.0, "credits": 5000.0}
    b = {"name": "grace", "account": "345678901234", "access_key_id": "AKIAEXAMPLE", "secret_access_key": "s" * 40}
    fellows.upsert(a)
    fellows.upsert(b)
    fellows.upsert({**a, "monthly_budget": 500.0})  # same name: updated where it stands, not duplicated
    assert fellows.load() == [{**a, "monthly_budget": 500.0}, b]
    fellows.upsert({"name": "ada", "account": "210987654321", "profile": "ada"})  # keys it no longer has go
    assert fellows.load() == [{"name": "ada", "account": "210987654321", "profile": "ada"}, b]
    assert (tmp_path / "st" / "fellows.toml").stat().st_mode & 0o777 == 0o600
    assert fellows.public(b)["secret_access_key"] == "***"
