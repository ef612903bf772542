"""Steps that can run only once instances are gone: a security group an instance's interfaces use, a volume
attached to it, an Elastic IP or key of its launch. AWS refuses to delete a group that a network interface still
uses (EC2 API Reference: DeleteSecurityGroup, DependencyViolation) and an attached volume (DeleteVolume,
VolumeInUse); an instance's interfaces and attachments go only once it is terminated ("Delete a security group",
Amazon VPC User Guide; "Terminate Amazon EC2 instances", EC2 User Guide). So such a step first checks that the
instances are on their way out (a failed or refused termination fails the step at once, rather than after the
waiter's 10 minutes), waits for them to be terminated (the instance_terminated waiter), then retries the call
while AWS still says the resource is in use, for a bounded time (shared/PATTERNS.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from _awswiz.shell.errors import AwsWizError

LEAVING = ("shutting-down", "terminated")
IN_USE = ("DependencyViolation", "VolumeInUse", "IncorrectState", "InvalidVolume.InUse")


def after_terminated(ec2, instance_ids: list[str], call: Callable[[], dict | None], wait_s: float = 300,
                     codes: tuple[str, ...] = IN_USE):
    """call() once instance_ids are terminated; a call AWS answers with one of `codes` is retried until wait_s."""
    from botocore.exceptions import ClientError

    from _awswiz.guard import targets

    if instance_ids:
        states = {i["InstanceId"]: i["State"]["Name"] for i in targets.instances(ec2, list(instance_ids))}
        alive = {i: s for i, s in states.items() if s not in LEAVING}
        if alive:
            raise AwsWizError(f"waits for {', '.join(f'{i} ({s})' for i, s in alive.items())} to be terminated, "
                              "which it is not: nothing was done", "terminate the instance first, then plan again")
        ec2.get_waiter("instance_terminated").wait(InstanceIds=list(instance_ids),
                                                   WaiterConfig={"Delay": 5, "MaxAttempts": 120})
    end = time.time() + wait_s
    while True:
        try:
            return call()
        except ClientError as exc:
            if exc.response["Error"]["Code"] not in codes or time.time() > end:
                raise
            time.sleep(5)
