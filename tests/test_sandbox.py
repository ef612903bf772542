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
    assert "train-a" in {r.get("name") for r in scan["data"]["resources"]}
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
    ec2 = boto3.client("ec2", endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    slot = {"InstanceType": "t3.micro", "InstancePlatform": "Linux/UNIX", "AvailabilityZone": "us-east-1a",
            "InstanceCount": 1}
    before = ec2.create_capacity_reservation(**slot)["CapacityReservation"]["CapacityReservationId"]
    code, doc, _ = sandbox_cli(state, "reset")
    assert code == 0 and doc["data"]["seeded"]["ec2:instance"] == 7
    assert doc["data"]["seeded"] == status_seeded and doc["sandbox"] is True  # one shape for status and reset
    names = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert "scratch-added-by-test" not in names and "awswiz-demo-datasets" in names
    # the first start seeded the lab and saved it; the reset restored that (issue 25 item 8)
    log = (state / "sandbox.log").read_text()
    assert "sandbox: seeded the demo lab" in log and "sandbox: restored the saved seed" in log, log
    held = {c["CapacityReservationId"] for c in ec2.describe_capacity_reservations()["CapacityReservations"]}
    assert before not in held  # gone with the reset, and its id is not handed out again
    after = ec2.create_capacity_reservation(**slot)["CapacityReservation"]["CapacityReservationId"]
    assert after not in held | {before}

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


def lab_view(sb) -> dict:
    """What the seed made, as the API shows it (other tests add their own resources beside it, never alter it): the
    lab's instances, the DLAMI parameters, the pending quota request, the reservation, the Lambda function."""
    ec2 = sb.client("ec2", "us-east-1")
    tagged = {"Name": "tag:awswiz:lab", "Values": ["demo"]}
    return {
        "instances": sorted((i["InstanceId"], i["InstanceType"]) for r in ec2.describe_instances(Filters=[tagged])[
            "Reservations"] for i in r["Instances"]),
        "dlami": sorted((p["Name"], p["Value"]) for p in sb.client("ssm", "us-west-2").get_parameters_by_path(
            Path="/aws/service/deeplearning/ami", Recursive=True)["Parameters"]),
        "quota_requests": sorted(q["Id"] for q in sb.client("service-quotas", "us-east-1")
                                 .list_requested_service_quota_change_history()["RequestedQuotas"]
                                 if q["QuotaCode"] == "L-417A185B"),
        "reservations": sorted(c["CapacityReservationId"] for c in ec2.describe_capacity_reservations()[
            "CapacityReservations"] if {"Key": "Name", "Value": "train-big-slot"} in c.get("Tags", [])),
        "functions": sorted(f["FunctionArn"] for f in sb.client("lambda", "eu-west-1").list_functions()["Functions"]
                            if f["FunctionName"] == "nightly-report"),
    }


def test_a_cold_start_restores_the_seed_saved_by_an_earlier_one(sandbox, tmp_path):
    """Issue 25 item 8: the session's sandbox seeded the lab and saved it in its state dir; a second sandbox started
    with that file restores it (the same resources, ids and all) instead of seeding, says so in one log line, and
    goes on numbering its own ids after the saved ones."""
    from conftest import start_sandbox

    saved = sandbox.state / "sandbox-seed.pickle"
    assert saved.stat().st_mode & 0o777 == 0o600
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    (state / saved.name).write_bytes(saved.read_bytes())
    second = start_sandbox(state)
    try:
        restored = lab_view(second)
        assert restored == lab_view(sandbox) and restored["instances"] and restored["reservations"]
        log = (state / "sandbox.log").read_text()
        assert "sandbox: restored the saved seed" in log and "seeded the demo lab" not in log
        made = second.client("ec2").create_capacity_reservation(
            InstanceType="t3.micro", InstancePlatform="Linux/UNIX", AvailabilityZone="us-east-1a",
            InstanceCount=1)["CapacityReservation"]["CapacityReservationId"]
        every = [c["CapacityReservationId"] for c in second.client("ec2").describe_capacity_reservations()[
            "CapacityReservations"]]
        assert every.count(made) == 1 and set(restored["reservations"]) < set(every)
        assert "Traceback" not in (state / "sandbox.log").read_text()
    finally:
        second.proc.terminate()
        second.proc.wait(10)


def test_a_saved_seed_of_another_day_or_a_broken_one_is_not_used(tmp_path, monkeypatch):
    """Pure logic (no sandbox): restore() declines a file that does not load or was saved another day."""
    import pickle

    from _awswiz.sandbox import snapshot

    monkeypatch.setenv("AWSWIZ_TODAY", "2026-11-16")
    path = tmp_path / "sandbox-seed.pickle"
    assert snapshot.restore(path) == (None, "no saved seed")
    path.write_bytes(b"not a pickle")
    assert snapshot.restore(path) == (None, "the saved seed does not load (UnpicklingError)")
    path.write_bytes(pickle.dumps({"fingerprint": snapshot.fingerprint()}))
    monkeypatch.setenv("AWSWIZ_TODAY", "2026-11-17")
    assert snapshot.restore(path) == (None, "the saved seed is of another day or another version")
