"""secret.py: Secrets Manager put/list/delete, guarded; the value comes from standard input or --file and is never
in stdout, stderr, the audit log or .state (issue 24)."""

from __future__ import annotations

import uuid

from mutation_helpers import mutating_calls

VALUE = "hf_SeCrEt" + uuid.uuid4().hex  # unique: found nowhere unless it leaked


def leaks(state_dir, *runs) -> list[str]:
    """Where VALUE shows up: the runs' stdout and stderr, any file under .state (audit log, plans, cache)."""
    out = [f"run {i}" for i, r in enumerate(runs) if VALUE in r.stdout or VALUE in r.stderr]
    return out + [str(p) for p in state_dir.rglob("*") if p.is_file() and VALUE.encode() in p.read_bytes()]


def test_put_from_stdin_and_file_list_delete_never_shows_the_value(sandbox, run_tool, state_dir, tmp_path):
    name = f"lab/hf-{uuid.uuid4().hex[:8]}"
    plan = run_tool("secret", "put", "--name", name, input=VALUE + "\n")
    assert plan.code == 0, plan.stdout + plan.stderr
    assert plan.json["data"]["plan"][0]["action"] == "create"
    sm = sandbox.client("secretsmanager")
    assert name not in [s["Name"] for s in sm.list_secrets()["SecretList"]]  # a plan creates nothing
    done = run_tool("secret", "put", "--name", name, "--confirm", plan.json["data"]["confirm"], input=VALUE + "\n")
    assert done.code == 0, done.stdout + done.stderr
    # echo's trailing newline is not part of the value
    assert sm.get_secret_value(SecretId=name)["SecretString"] == VALUE
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId=name)["Tags"]}
    assert tags["awswiz:managed"] == "true"
    # a second put from a file is a new version of the same secret
    f = tmp_path / "v.txt"
    f.write_text(VALUE + "2")
    again = run_tool("secret", "put", "--name", name, "--file", str(f))
    assert again.json["data"]["plan"][0]["action"] == "put-value"
    done2 = run_tool("secret", "put", "--name", name, "--file", str(f), "--confirm", again.json["data"]["confirm"])
    assert done2.code == 0 and sm.get_secret_value(SecretId=name)["SecretString"] == VALUE + "2"
    listed = run_tool("secret", "list")
    mine = [s for s in listed.json["data"]["secrets"] if s["name"] == name]
    assert mine and mine[0]["managed"] is True and set(mine[0]) <= {"name", "arn", "created", "changed", "managed"}
    audit = [line for line in (state_dir / "audit.jsonl").read_text().splitlines() if "CreateSecret" in line
             or "PutSecretValue" in line]
    assert len(audit) == 2 and all('"SecretString":"<redacted>"' in line for line in audit)
    gone = run_tool("secret", "delete", "--name", name)
    assert gone.code == 0 and gone.json["data"]["plan"][0]["action"] == "delete"
    deleted = run_tool("secret", "delete", "--name", name, "--confirm", gone.json["data"]["confirm"])
    assert deleted.code == 0, deleted.stdout
    # Secrets Manager API Reference, DeleteSecret: scheduled for deletion after the recovery window (7-30 days)
    assert sm.describe_secret(SecretId=name).get("DeletedDate")
    assert leaks(state_dir, plan, done, again, done2, listed, gone, deleted) == []


def test_bad_input_is_exit_2_and_sends_nothing(offline, tmp_path):
    for args, said in ((["put", "--name", "bad name!"], "Secrets Manager name"),
                       (["put", "--name", "ok", "--file", str(tmp_path / "missing")], "cannot read"),
                       (["show", "--name", "ok"], "put, list, delete"),
                       (["delete", "--name", "ok", "--file", "x"], "put only")):
        r = offline.run("secret", *args)
        assert r.code == 2 and said in r.json["errors"][0]["message"], (args, r.stdout)
    assert offline.connections == 0


def test_an_empty_value_or_an_unknown_secret_is_exit_2_and_changes_nothing(sandbox, run_tool):
    mark = sandbox.mark()
    empty = run_tool("secret", "put", "--name", "lab/x", input="")
    assert empty.code == 2 and "1-65536" in empty.json["errors"][0]["message"]
    unknown = run_tool("secret", "delete", "--name", f"nope-{uuid.uuid4().hex[:6]}")
    assert unknown.code == 2 and "no secret named" in unknown.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []
