"""An alarm's EC2 action, which moto never runs: moto keeps alarms and lets SetAlarmState change their state, but
evaluates no metric and performs no action. In AWS an alarm entering ALARM with an action
arn:aws:automate:REGION:ec2:stop (or terminate) stops (or terminates) the instance its InstanceId dimension names
(Amazon CloudWatch User Guide, "Create alarms to stop, terminate, reboot, or recover an EC2 instance"; actions run
only while ActionsEnabled is true: PutMetricAlarm ActionsEnabled).

Control (JSON protocol, answered here, never by AWS): POST to the sandbox endpoint with
`X-Amz-Target: AwsWizSandbox.FireAlarm` and a body {"alarm_name": "...", "region": "us-east-1"}: the alarm goes to
ALARM as if its metric breached for its whole evaluation, and its EC2 actions run. The answer names what was done:
{"alarm_name", "state": "ALARM", "actions": [{"arn", "instance_id", "state"}]} (an action skipped: "skipped" why).
"""

from __future__ import annotations

import re

from ..handlers import ApiError, handles

EC2_ACTION = re.compile(r"^arn:aws:automate:([a-z0-9-]+):ec2:(stop|terminate)$")


def ec2_backend(region: str):
    """moto's EC2 backend of the region (a service folder imports no other: moto's own store is shared)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    return ec2_backends[DEFAULT_ACCOUNT_ID][region]


def _cloudwatch(region: str):
    from moto.cloudwatch.models import cloudwatch_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    return cloudwatch_backends[DEFAULT_ACCOUNT_ID][region]


@handles("AwsWizSandbox.FireAlarm")
def fire_alarm(params, region, state):
    region = params.get("region") or region
    name = params.get("alarm_name") or ""
    cw = _cloudwatch(region)
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
            ec2 = ec2_backend(region)
            inst = next((i for i in ec2.all_instances() if i.id == iid), None)
            if inst is None or inst.state in ("terminated", "shutting-down"):
                done.append({"arn": arn, "instance_id": iid, "skipped": "no such live instance"})
                continue
            (ec2.terminate_instances if m.group(2) == "terminate" else ec2.stop_instances)([iid])
            done.append({"arn": arn, "instance_id": iid, "state": inst.state})
    return {"alarm_name": name, "state": "ALARM", "actions": done}
