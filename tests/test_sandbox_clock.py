"""The sandbox agrees with itself on time (issue 25 item 5): an instance's LaunchTime is the real clock's, as AWS
stamps it, also after a stop and start; the lab's instances were launched in the past. AWSWIZ_TODAY (frozen by the
tests) is only the calendar day the cost questions are asked on: the tools measure an instance's age, scan --since
and expiry against the real clock, so a LaunchTime moved to that day would make a box launched now look weeks old.
(Quota request times follow the sandbox's today: tests/test_sandbox_quota_times.py.)"""

from __future__ import annotations

import datetime as dt
import time

REGION = "us-east-1"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def launched(ec2, iid: str) -> dt.datetime:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["LaunchTime"]


def test_launch_time_is_when_the_instance_was_last_launched(sandbox):
    # botocore ec2 model, Instance.LaunchTime: "The time that the instance was last launched"; EC2 User Guide, "Stop
    # and start Amazon EC2 instances": a start launches it again (moto kept the first launch's time)
    ec2 = sandbox.client("ec2", REGION)
    image = ec2.describe_images(Owners=["self"])["Images"][0]["ImageId"]
    before = now().replace(microsecond=0)
    iid = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"]
    try:
        first = launched(ec2, iid)
        assert before <= first <= now()
        ec2.stop_instances(InstanceIds=[iid])
        assert launched(ec2, iid) == first  # a stop is no launch
        time.sleep(1.1)  # LaunchTime has whole seconds: the start's is a later one
        restart = now().replace(microsecond=0)
        ec2.start_instances(InstanceIds=[iid])
        again = launched(ec2, iid)
        assert restart <= again <= now() and again > first
        ec2.start_instances(InstanceIds=[iid])  # already running: not launched again
        assert launched(ec2, iid) == again
    finally:
        ec2.terminate_instances(InstanceIds=[iid])


def test_the_lab_was_launched_in_the_past(sandbox):
    ec2 = sandbox.client("ec2", REGION)
    times = [i["LaunchTime"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]
    assert times and max(times) <= now()
