"""tools/sandbox.py: serve --detach, status, reset, stop; and --sandbox starting it on demand."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from conftest import TOOLS, clean_env


def sandbox_cli(state, *args, timeout=300):
    env = clean_env(AWSWIZ_STATE_DIR=str(state))
    p = subprocess.run([sys.executable, str(TOOLS / "sandbox.py"), *args], env=env, capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, json.loads(p.stdout), p.stderr


def test_lifecycle_and_on_demand_start(tmp_path):
    state = tmp_path / "state"
    code, doc, _ = sandbox_cli(state, "status")
    assert code == 0 and doc["data"]["running"] is False and doc["next"]

    # --sandbox on any tool starts the sandbox when needed, and says so in the envelope
    env = clean_env(AWSWIZ_STATE_DIR=str(state))
    p = subprocess.run([sys.executable, str(TOOLS / "scan.py"), "--sandbox", "--region", "us-east-1",
                        "--service", "s3,ec2:instance"], env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    scan = json.loads(p.stdout)
    assert scan["sandbox"] is True and scan["ok"] is True
    assert "train-a" in {r["name"] for r in scan["data"]["resources"]}
    assert (state / "sandbox.json").stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700

    code, doc, _ = sandbox_cli(state, "status")
    assert code == 0 and doc["data"]["running"] is True and doc["data"]["seeded"]["ec2:instance"] == 7
    # the envelope says it is the sandbox, and names its account, whatever the flags (issue 11 item 6)
    assert doc["sandbox"] is True and doc["account"] == "123456789012"
    status_seeded = doc["data"]["seeded"]
    url = doc["data"]["url"]
    assert url.startswith("http://127.0.0.1:")

    # serve --detach while running reuses the running one
    code, again, _ = sandbox_cli(state, "serve", "--detach")
    assert code == 0 and again["data"]["pid"] == doc["data"]["pid"] and again["data"]["started_now"] is False

    # reset: what we add is gone, the lab is back
    import boto3

    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                      aws_secret_access_key="testing")
    s3.create_bucket(Bucket="scratch-added-by-test")
    code, doc, _ = sandbox_cli(state, "reset")
    assert code == 0 and doc["data"]["seeded"]["ec2:instance"] == 7
    assert doc["data"]["seeded"] == status_seeded and doc["sandbox"] is True  # one shape for status and reset
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "scratch-added-by-test" not in names and "awswiz-demo-datasets" in names

    code, doc, _ = sandbox_cli(state, "stop")
    assert code == 0 and doc["data"]["stopped"] is True
    try:
        urllib.request.urlopen(f"{url}/_awswiz/health", timeout=1)
        alive = True
    except OSError:
        alive = False
    assert not alive
    code, doc, _ = sandbox_cli(state, "status")
    assert doc["data"]["running"] is False


def test_bad_action_is_exit_2(tmp_path):
    code, doc, stderr = sandbox_cli(tmp_path, "explode")
    assert code == 2 and "serve" in doc["errors"][0]["message"] and "stop" in doc["errors"][0]["message"]
