"""secret.py put and delete killed mid-confirm (SIGKILL while the one changing call's answer is on its way: AWS made
the change, the tool never heard it), then the same confirm again and a fresh plan: the half-made secret is listed,
the second confirm refuses clearly (exit 4), the fresh plan finishes it; a deleted secret is never deleted twice and
keeps its recovery window. And a protected secret is refused by the guard's one rule (exit 4, nothing changed)."""

from __future__ import annotations

import uuid

from gate import kill_through
from mutation_helpers import audit_lines, mutating_calls

REGION = "us-east-1"
VALUE = "resume_SeCrEt" + uuid.uuid4().hex


def sent(state_dir, op: str) -> list[dict]:
    return [s for s in audit_lines(state_dir) if s["operation"] == op]


def test_put_killed_before_its_answer_is_listed_refused_again_then_finished_by_a_fresh_plan(sandbox, run_tool,
                                                                                          state_dir, tmp_path):
    name = f"lab/kill-{uuid.uuid4().hex[:8]}"
    value = tmp_path / "v.txt"
    value.write_text(VALUE)
    args = ["put", "--name", name, "--file", str(value), "--region", REGION]
    plan = run_tool("secret", *args)
    assert plan.code == 0 and plan.json["data"]["plan"][0]["action"] == "create", plan.stdout
    token = plan.json["data"]["confirm"]
    assert kill_through(sandbox.url, state_dir, "secret", [*args, "--confirm", token], "CreateSecret", 1,
                        unanswered=True) is None
    # the audit log says what is unknown: CreateSecret sent, no outcome
    made = sent(state_dir, "CreateSecret")
    assert len(made) == 1 and made[0]["id"] not in {d["id"] for d in audit_lines(state_dir, "done")}
    # the half-made secret is not hidden: list names it, managed (its tags came with CreateSecret, one call)
    listed = run_tool("secret", "list", "--region", REGION).json["data"]["secrets"]
    assert [s["managed"] for s in listed if s["name"] == name] == [True]
    mark = sandbox.mark()
    again = run_tool("secret", *args, "--confirm", token)
    assert again.code == 4 and "already applied" in again.json["errors"][0]["message"], again.stdout
    assert mutating_calls(sandbox, mark) == []
    fresh = again.json["data"]  # the plan as it stands: a new value of the secret that exists, never a second create
    assert [a["action"] for a in fresh["plan"]] == ["put-value"]
    done = run_tool("secret", *args, "--confirm", fresh["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    sm = sandbox.client("secretsmanager", REGION)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == VALUE
    assert [s["Name"] for s in sm.list_secrets(Filters=[{"Key": "name", "Values": [name]}])["SecretList"]] == [name]
    assert len(sent(state_dir, "CreateSecret")) == 1 and len(sent(state_dir, "PutSecretValue")) == 1
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_delete_killed_before_its_answer_is_not_deleted_twice_and_keeps_its_recovery_window(sandbox, run_tool,
                                                                                            state_dir):
    sm = sandbox.client("secretsmanager", REGION)
    name = f"lab/kill-del-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=VALUE)
    args = ["delete", "--name", name, "--region", REGION]
    plan = run_tool("secret", *args)
    assert plan.code == 0, plan.stdout
    token = plan.json["data"]["confirm"]
    assert kill_through(sandbox.url, state_dir, "secret", [*args, "--confirm", token], "DeleteSecret", 1,
                        unanswered=True) is None
    # Secrets Manager API Reference, DeleteSecret: the secret is kept for the recovery window (7-30 days; AwsWiz
    # asks 7), DescribeSecret shows DeletedDate, and RestoreSecret brings it back until then
    deleted = sm.describe_secret(SecretId=name)["DeletedDate"]
    mark = sandbox.mark()
    again = run_tool("secret", *args, "--confirm", token)
    assert again.code == 4 and "already applied" in again.json["errors"][0]["message"], again.stdout
    replan = run_tool("secret", *args)  # finished already: nothing to do, said why, not "no secret" (exit 2)
    assert replan.code == 0 and replan.json["data"]["plan"] == [], replan.stdout
    said = replan.json["data"]["skipped"][0]
    assert said["id"] == name and "already scheduled for deletion" in said["reason"], said
    assert "restore-secret" in said["reason"]
    assert mutating_calls(sandbox, mark) == []  # no second DeleteSecret, no forced one
    calls = sent(state_dir, "DeleteSecret")
    assert len(calls) == 1 and calls[0]["params"]["RecoveryWindowInDays"] == 7
    assert "ForceDeleteWithoutRecovery" not in calls[0]["params"]
    assert sm.describe_secret(SecretId=name)["DeletedDate"] == deleted
    sm.restore_secret(SecretId=name)  # still restorable: the window stands
    assert sm.get_secret_value(SecretId=name)["SecretString"] == VALUE
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_a_protected_secret_is_refused_by_delete_and_put_with_exit_4_and_nothing_changes(sandbox, run_tool,
                                                                                         tmp_path):
    sm = sandbox.client("secretsmanager", REGION)
    name = f"lab/prod-{uuid.uuid4().hex[:8]}"
    sm.create_secret(Name=name, SecretString=VALUE, Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    value = tmp_path / "v.txt"
    value.write_text(VALUE + "2")
    mark = sandbox.mark()
    try:
        for args in (["delete", "--name", name], ["put", "--name", name, "--file", str(value)]):
            r = run_tool("secret", *args, "--region", REGION)
            assert r.code == 4, r.stdout
            assert "protected" in r.json["errors"][0]["message"] and "awswiz:protected" in r.json["errors"][0][
                "message"], r.json["errors"]
            assert r.json["data"]["confirm"] is None  # no token to apply
        assert mutating_calls(sandbox, mark) == []
        assert "DeletedDate" not in sm.describe_secret(SecretId=name)
        assert sm.get_secret_value(SecretId=name)["SecretString"] == VALUE
    finally:
        sm.untag_resource(SecretId=name, TagKeys=["awswiz:protected"])
        sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
