"""Issue 11 item 7: `--profile nosuch` is bad input (exit 2) naming the profiles that exist, and nothing is
sent. botocore raises ProfileNotFound ("The config profile (nosuch) could not be found") when a Session is
made with a profile its config and credentials files do not hold (AWS CLI User Guide, "Configuration and
credential file settings": profiles are [profile NAME] sections of the config file, [NAME] of the
credentials file)."""

from __future__ import annotations

CONFIG = """[default]
region = us-east-1

[profile lab-admin]
region = us-west-2
"""
CREDENTIALS = """[ci-reader]
aws_access_key_id = testing
aws_secret_access_key = testing
"""


def test_a_profile_that_exists_is_used(run_tool, tmp_path):
    # an unknown one is exit 2 naming those that exist, nothing sent: test_bad_input.py (no sandbox)
    (tmp_path / "config").write_text(CONFIG)
    (tmp_path / "credentials").write_text(CREDENTIALS)
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    ok = run_tool("scan", "--region", "us-east-1", "--service", "s3", "--profile", "ci-reader", env=env)
    assert ok.code == 0, ok.stdout[:400]


def test_unknown_profile_is_exit_2_with_sandbox_too(run_tool, sandbox, state_dir, tmp_path):
    """Issue 25 item 5: --sandbox used to ignore --profile (the sandbox has its own keys) and copy it into every
    `next`. The name is checked against the machine's profiles as without --sandbox (a name botocore would not
    find is ProfileNotFound there), before the sandbox is reached; a known one is still ignored and repeated."""
    from test_hints import use_running_sandbox

    use_running_sandbox(sandbox, state_dir)
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1", "--sandbox", "--profile", "nosuch")  # conftest: no config files
    assert r.code == 2, r.stdout
    err = r.json["errors"][0]
    assert err["code"] == "BadInput" and "'nosuch'" in err["message"] and "the profiles are: none" in err["message"]
    assert "drop --profile" in err["hint"] and r.json["next"] == []
    (tmp_path / "config").write_text(CONFIG)
    (tmp_path / "credentials").write_text(CREDENTIALS)
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    r = run_tool("stop", "--id", "i-0123456789abcdef0", "--sandbox", "--profile", "nosuch", env=env)
    assert r.code == 2 and all(p in r.json["errors"][0]["message"] for p in ("default", "lab-admin", "ci-reader"))
    assert sandbox.calls(mark) == []  # nothing was sent
    ok = run_tool("scan", "--region", "us-east-1", "--service", "s3", "--sandbox", "--profile", "lab-admin", env=env)
    assert ok.code == 0, ok.stdout[:400]
    assert ok.json["sandbox"] is True and all("--profile lab-admin" in n for n in ok.json["next"])
