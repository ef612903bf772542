"""The AWS-side idle stop (launch.py --idle-stop, alarms.py idle-stop): a CloudWatch alarm on one instance whose
action is EC2's own stop (or terminate) action of its region, so the box stops even when its own timer or script
died.

AWS rules it keeps:
- Amazon CloudWatch User Guide, "Create alarms to stop, terminate, reboot, or recover an EC2 instance", and the
  botocore cloudwatch model, PutMetricAlarm AlarmActions: the EC2 actions are arn:aws:automate:REGION:ec2:stop and
  arn:aws:automate:REGION:ec2:terminate, the alarm's metric having the InstanceId dimension.
- Amazon EC2 User Guide, "Basic monitoring": instance metrics such as CPUUtilization come in 5-minute periods; so
  the alarm's Period is 300 s and "idle" is the average CPU below the threshold in each 5-minute period of the
  duration (EvaluationPeriods = duration / 300, DatapointsToAlarm the same: every period idle).
- botocore cloudwatch model, PutMetricAlarm Period: "For alarms with a period of less than one hour (3,600
  seconds), the total evaluation period can't be longer than one day (86,400 seconds)": at most 24 h.
- GPU boxes with the CloudWatch agent's nvidia_gpu section publish CWAgent nvidia_smi_utilization_gpu, one series
  per GPU ("Collect NVIDIA GPU metrics", Amazon CloudWatch User Guide; waste_metrics.gpu_series finds them): then
  the alarm watches the metric math MAX of CPU and every GPU (PutMetricAlarm Metrics, "Create a CloudWatch alarm
  based on a metric math expression": at most 10 metrics), so a training job busy on the GPU is never idle.
- An alarm is not removed with its instance (CloudWatch keeps it, INSUFFICIENT_DATA): terminate.py removes it with
  the box (removal/launch_extras.py).
"""

from __future__ import annotations

import json
import re

from _awswiz.shell.errors import BadInput

PERIOD = 300
GPU_NAMESPACE, GPU_METRIC = "CWAgent", "nvidia_smi_utilization_gpu"
MAX_SECONDS = 86400
THRESHOLD = 5.0  # % average CPU: as waste.py's idle-gpu
PREFIX = "awswiz-idle-stop-"
DUR_RE = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
IDLE_WORDS = ("idle = average CPUUtilization below {t:g}% in every 5-minute period for {d} (EC2 basic monitoring "
              "publishes CPU every 5 minutes); then CloudWatch runs the EC2 {a} action of {r}: {arn}")


def parse(value: str | None, flag: str = "--idle-stop") -> int | None:
    """'30m', '2h', '1h30m' -> seconds, a multiple of 5 minutes from 5m to 24h; None -> None."""
    if value is None:
        return None
    m = DUR_RE.match(value.strip().lower())
    seconds = (int(m.group(1) or 0) * 3600 + int(m.group(2) or 0) * 60) if m and any(m.groups()) else 0
    if seconds < PERIOD or seconds > MAX_SECONDS or seconds % PERIOD:
        raise BadInput(f"{flag} must be a duration in whole 5-minute periods from 5m to 24h, such as 30m, 1h or "
                       f"1h30m (got {value!r}): CloudWatch judges an instance's CPU every 5 minutes (EC2 basic "
                       "monitoring) and an alarm under an hour's period spans at most one day", f"e.g. {flag} 1h")
    return seconds


def action_arn(region: str, shutdown: str) -> str:
    return f"arn:aws:automate:{region}:ec2:{'terminate' if shutdown == 'terminate' else 'stop'}"


def alarm_name(instance_id: str) -> str:
    return f"{PREFIX}{instance_id}"


def describe(seconds: int, region: str, shutdown: str) -> str:
    d = f"{seconds // 3600} h {seconds % 3600 // 60} min".replace(" 0 min", "").replace("0 h ", "")
    return IDLE_WORDS.format(t=THRESHOLD, d=d, a="terminate" if shutdown == "terminate" else "stop", r=region,
                             arn=action_arn(region, shutdown))


MAX_GPU_SERIES = 9  # a metric math alarm takes at most 10 metrics: CPU and nine GPUs


def params(instance_id: str, region: str, seconds: int, shutdown: str, tags: dict,
           gpus: list[list[dict]] | None = None) -> dict:
    """PutMetricAlarm's arguments. Missing data (a stopped box) is not idleness: TreatMissingData missing. gpus: the
    dimensions of each of the box's CWAgent GPU series (then the alarm watches MAX(CPU, GPUs))."""
    n = seconds // PERIOD
    cpu = {"MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
           "Dimensions": [{"Name": "InstanceId", "Value": instance_id}]}
    out = {"AlarmName": alarm_name(instance_id), "ActionsEnabled": True,
           "AlarmDescription": f"AwsWiz idle stop: {'CPU and GPU' if gpus else 'CPU'} < {THRESHOLD:g}% for "
                               f"{seconds // 60} min -> {shutdown}",
           "AlarmActions": [action_arn(region, shutdown)], "EvaluationPeriods": n, "DatapointsToAlarm": n,
           "Threshold": THRESHOLD, "ComparisonOperator": "LessThanThreshold", "TreatMissingData": "missing",
           "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    if not gpus:
        return {**out, **cpu, "Statistic": "Average", "Period": PERIOD}
    series = [cpu] + [{"MetricName": GPU_METRIC, "Namespace": GPU_NAMESPACE, "Dimensions": d}
                      for d in gpus[:MAX_GPU_SERIES]]
    metrics = [{"Id": f"m{i}", "ReturnData": False, "MetricStat": {"Metric": m, "Period": PERIOD, "Stat": "Average"}}
               for i, m in enumerate(series)]
    metrics.append({"Id": "busiest", "ReturnData": True, "Label": "max of CPU and GPU utilisation",
                    "Expression": f"MAX([{', '.join(m['Id'] for m in metrics)}])"})
    return {**out, "Metrics": metrics}


SAME_KEYS = ("AlarmActions", "EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator",
             "MetricName", "Namespace", "Statistic", "Period")


def _metrics(alarm: dict) -> list:
    """A metric math alarm's metrics, in a form DescribeAlarms and PutMetricAlarm share."""
    return [(m["Id"], m.get("Expression"), json.dumps((m.get("MetricStat") or {}).get("Metric"), sort_keys=True))
            for m in alarm.get("Metrics") or []]


def same(old: dict, wanted: dict) -> bool:
    """An alarm as DescribeAlarms shows it already is what PutMetricAlarm(**wanted) would make (action, duration,
    threshold, metrics): a run killed after putting it needs not put it again."""
    return all(old.get(k) == wanted.get(k) for k in SAME_KEYS) and _metrics(old) == _metrics(wanted) and \
        {(d["Name"], d["Value"]) for d in old.get("Dimensions") or []} == \
        {(d["Name"], d["Value"]) for d in wanted.get("Dimensions") or []}


def of_instances(cw, instance_ids: list[str]) -> list[dict]:
    """The idle-stop alarms of these instances (DescribeAlarms by name prefix, every page)."""
    from _awswiz.aws.client import paginate

    if not instance_ids:
        return []
    names = {alarm_name(i) for i in instance_ids}
    return [a for a in paginate(cw, "describe_alarms", "MetricAlarms", AlarmNamePrefix=PREFIX)
            if a["AlarmName"] in names]
