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
