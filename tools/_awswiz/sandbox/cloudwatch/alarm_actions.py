"""An alarm's EC2 action, which moto never runs: moto keeps alarms and lets SetAlarmState change their state, but
evaluates no metric and performs no action. In AWS an alarm entering ALARM with an action
arn:aws:automate:REGION:ec2:stop (or terminate) stops (or terminates) the instance its InstanceId dimension names
(Amazon CloudWatch User Guide, "Create alarms to stop, terminate, reboot, or recover an EC2 instance"; actions run
only while ActionsEnabled is true: PutMetricAlarm ActionsEnabled).

Control (JSON protocol, answered here, never by AWS): POST to the sandbox endpoint with
`X-Amz-Target: AwsWizSandbox.FireAlarm` and a body {"alarm_name": "...", "region": "us-east-1", "account"?: "..."}
(the alarm's account: by default the caller's, the lab's for an unsigned call): the alarm goes to ALARM as if its
metric breached for its whole evaluation, and its EC2 actions run on the instance of the alarm's own account (an
alarm is its account's; the action's ARN, arn:aws:automate:REGION:ec2:stop, names no other account). The answer
names what was done:
{"alarm_name", "state": "ALARM", "actions": [{"arn", "instance_id", "state"}]} (an action skipped: "skipped" why).
"""

from __future__ import annotations

import re

from .. import handlers as H
from ..handlers import ApiError, handles

EC2_ACTION = re.compile(r"^arn:aws:automate:([a-z0-9-]+):ec2:(stop|terminate)$")


def ec2_backend(region: str, of: str | None = None):
    """moto's EC2 backend of the region (a service folder imports no other: moto's own store is shared)."""
    from moto.ec2.models import ec2_backends

    return H.backend(ec2_backends, region, of)


def _cloudwatch(region: str, of: str | None = None):
    from moto.cloudwatch.models import cloudwatch_backends

    return H.backend(cloudwatch_backends, region, of)


@handles("AwsWizSandbox.FireAlarm")
def fire_alarm(params, region, state):
    region, of = params.get("region") or region, params.get("account") or None
    name = params.get("alarm_name") or ""
    cw = _cloudwatch(region, of)
    alarm = cw.alarms.get(name)
    if alarm is None:
        raise ApiError("ResourceNotFound", f"no alarm named {name!r} in {region}", 404)
    cw.set_alarm_state(name, "AwsWiz sandbox: fired by the control call", None, "ALARM")
    done = []
    iid = next((d.value for d in alarm.dimensions if d.name == "InstanceId"), None)
    for arn in alarm.alarm_actions or []:
        m = EC2_ACTION.match(arn)
        if not m:
            done.append({"arn": arn, "skipped": "not an EC2 stop or terminate action"})
        elif not alarm.actions_enabled:
            done.append({"arn": arn, "skipped": "the alarm's actions are disabled"})
        elif m.group(1) != region or iid is None:
            done.append({"arn": arn, "skipped": "the action's region is not the alarm's, or no InstanceId dimension"})
        else:
            ec2 = ec2_backend(region, of)
            inst = next((i for i in ec2.all_instances() if i.id == iid), None)
            if inst is None or inst.state in ("terminated", "shutting-down"):
                done.append({"arn": arn, "instance_id": iid, "skipped": "no such live instance"})
                continue
            (ec2.terminate_instances if m.group(2) == "terminate" else ec2.stop_instances)([iid])
            done.append({"arn": arn, "instance_id": iid, "state": inst.state})
    return {"alarm_name": name, "state": "ALARM", "actions": done}
