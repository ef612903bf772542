"""alarms.py (issue 24): an idle-stop alarm put on a box launch did not make (its region's EC2 action ARN; a
protected box refused), listed and deleted; notify's EventBridge rules to an SNS topic with an e-mail subscription,
listed and removed together; bad input is exit 2 before any call."""

from __future__ import annotations

import json
import uuid

import pytest
from mutation_helpers import mutating_calls


def lab_instance(sandbox, region: str, name: str) -> str:
    ec2 = sandbox.client("ec2", region)
    return next(i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": [name]}])[
        "Reservations"] for i in r["Instances"])


def test_idle_stop_on_an_existing_box_lists_and_deletes(sandbox, guarded, run_tool):
    iid = lab_instance(sandbox, "us-west-2", "h100-box")  # found in its region without --region
    flow = guarded("alarms", "idle-stop", "--id", iid, "--duration", "45m")
    plan, r = flow.run()
    assert plan["plan"][0]["region"] == "us-west-2" and flow.ops == ["PutMetricAlarm"]
    cw = sandbox.client("cloudwatch", "us-west-2")
    alarm = cw.describe_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])["MetricAlarms"][0]
    # CloudWatch API Reference, PutMetricAlarm AlarmActions: the EC2 stop action of the alarm's own region
    assert alarm["AlarmActions"] == ["arn:aws:automate:us-west-2:ec2:stop"]
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 9)
    tags = {t["Key"]: t["Value"] for t in cw.list_tags_for_resource(ResourceARN=alarm["AlarmArn"])["Tags"]}
    assert tags["awswiz:managed"] == "true"
    listed = run_tool("alarms", "list", "--region", "us-west-2")
    assert [a["instance"] for a in listed.json["data"]["alarms"]] == [iid]
    assert listed.json["data"]["alarms"][0]["idle_minutes"] == 45
    gone = guarded("alarms", "delete", "--name", f"awswiz-idle-stop-{iid}", "--region", "us-west-2")
    gone.run()
    assert gone.ops == ["DeleteAlarms"]
    assert cw.describe_alarms(AlarmNamePrefix="awswiz-idle-stop-")["MetricAlarms"] == []


def test_a_protected_box_is_refused_and_nothing_is_made(sandbox, run_tool):
    iid = lab_instance(sandbox, "us-west-2", "prod-proxy")  # env=prod
    mark = sandbox.mark()
    r = run_tool("alarms", "idle-stop", "--id", iid, "--duration", "1h")
    assert r.code == 4 and "protected" in r.json["errors"][0]["message"], r.stdout
    assert mutating_calls(sandbox, mark) == []


def test_notify_makes_a_topic_subscription_and_rules_then_delete_removes_them(sandbox, guarded, run_tool):
    email = f"lab-{uuid.uuid4().hex[:6]}@example.org"
    flow = guarded("alarms", "notify", "--email", email, "--on", "stopped,spot-interruption")
    plan, _ = flow.run()
    name = plan["plan"][0]["id"]
    assert flow.ops == ["CreateTopic", "SetTopicAttributes", "Subscribe", "PutRule", "PutTargets", "PutRule",
                        "PutTargets"]
    ev, sns = sandbox.client("events"), sandbox.client("sns")
    rules = {r["Name"]: json.loads(r["EventPattern"]) for r in ev.list_rules(NamePrefix=name)["Rules"]}
    # EC2 User Guide, "EC2 instance state-change events" and "Spot Instance interruption notices"
    assert rules[f"{name}-stopped"] == {"source": ["aws.ec2"], "detail-type": [
        "EC2 Instance State-change Notification"], "detail": {"state": ["stopped"]}}
    assert rules[f"{name}-spot-interruption"]["detail-type"] == ["EC2 Spot Instance Interruption Warning"]
    topic = f"arn:aws:sns:us-east-1:123456789012:{name}"
    assert all(ev.list_targets_by_rule(Rule=n)["Targets"][0]["Arn"] == topic for n in rules)
    subs = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", email)]
    # EventBridge User Guide, "Amazon SNS permissions": the topic lets events.amazonaws.com publish
    policy = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "events.amazonaws.com"}
    listed = run_tool("alarms", "list", "--region", "us-east-1").json["data"]["notifications"]
    assert [(n["name"], n["emails"], sorted(n["events"])) for n in listed] == [
        (name, [email], ["spot-interruption", "stopped"])]
    gone = guarded("alarms", "delete", "--name", name, "--region", "us-east-1")
    gone.run()
    assert gone.ops == ["RemoveTargets", "DeleteRule", "RemoveTargets", "DeleteRule", "DeleteTopic"]
    assert ev.list_rules(NamePrefix=name)["Rules"] == []
    assert topic not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


@pytest.mark.parametrize("args, said", [
    (["idle-stop", "--id", "i-0123456789abcdef0", "--duration", "3m"], "5m to 24h"),
    (["idle-stop", "--id", "i-0123456789abcdef0", "--duration", "1h", "--then", "reboot"], "stop, terminate"),
    (["idle-stop", "--duration", "1h"], "needs --id"),
    (["notify", "--email", "me@lab.org", "--on", "rebooted"], "stopped, terminated, spot-interruption"),
    (["notify", "--email", "me@lab.org", "--on", "budget"], "AWS Budgets"),
    (["notify", "--email", "nobody", "--on", "stopped"], "not an e-mail address"),
    (["delete", "--name", "someone-elses-alarm"], "AwsWiz alarm"),
    (["watch"], "list, delete, idle-stop, notify"),
])
def test_bad_input_is_exit_2_before_any_call(offline, args, said):
    r = offline.run("alarms", *args)
    assert r.code == 2 and said in r.json["errors"][0]["message"], r.stdout
    assert offline.connections == 0


def test_a_box_with_the_agents_gpu_metrics_is_idle_only_when_cpu_and_every_gpu_are(sandbox, guarded):
    iid = lab_instance(sandbox, "us-east-1", "train-big")
    cw = sandbox.client("cloudwatch", "us-east-1")
    # the CloudWatch agent's nvidia_gpu section: one series per GPU, InstanceId appended ("Collect NVIDIA GPU metrics")
    cw.put_metric_data(Namespace="CWAgent", MetricData=[
        {"MetricName": "nvidia_smi_utilization_gpu", "Value": 90.0, "Dimensions": [
            {"Name": "InstanceId", "Value": iid}, {"Name": "index", "Value": str(n)}]} for n in range(2)])
    flow = guarded("alarms", "idle-stop", "--id", iid, "--duration", "1h", "--region", "us-east-1")
    try:
        plan, _ = flow.run()
        assert "2 CWAgent series" in plan["plan"][0]["detail"]["idle"]
        alarm = cw.describe_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])["MetricAlarms"][0]
        stats = [m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m]
        assert stats == ["CPUUtilization", "nvidia_smi_utilization_gpu", "nvidia_smi_utilization_gpu"]
        assert [m["Expression"] for m in alarm["Metrics"] if "Expression" in m] == ["MAX([m0, m1, m2])"]
        assert alarm["AlarmActions"] == ["arn:aws:automate:us-east-1:ec2:stop"]
    finally:
        cw.delete_alarms(AlarmNames=[f"awswiz-idle-stop-{iid}"])


@pytest.mark.parametrize("period, evaluations, ok", [(300, 288, True), (300, 289, False), (45, 1, False),
                                                     (3600, 168, True), (3600, 169, False)])
def test_the_sandbox_refuses_alarm_periods_aws_refuses(sandbox, period, evaluations, ok):
    # botocore cloudwatch model, PutMetricAlarm Period: 10, 20, 30 or a multiple of 60; Period x EvaluationPeriods at
    # most one day under an hour's period, at most a week otherwise
    from botocore.exceptions import ClientError

    cw = sandbox.client("cloudwatch", "eu-west-1")
    args = {"AlarmName": f"t-period-{uuid.uuid4().hex[:6]}", "MetricName": "CPUUtilization", "Namespace": "AWS/EC2",
            "Statistic": "Average", "Period": period, "EvaluationPeriods": evaluations, "Threshold": 5.0,
            "ComparisonOperator": "LessThanThreshold"}
    if ok:
        cw.put_metric_alarm(**args)
        cw.delete_alarms(AlarmNames=[args["AlarmName"]])
    else:
        with pytest.raises(ClientError) as err:
            cw.put_metric_alarm(**args)
        assert err.value.response["Error"]["Code"] == "ValidationError"
        assert cw.describe_alarms(AlarmNames=[args["AlarmName"]])["MetricAlarms"] == []
