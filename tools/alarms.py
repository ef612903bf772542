#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""AWS-side alarms that AwsWiz makes: idle-stop alarms (a CloudWatch alarm whose EC2 action stops or terminates
a box after DURATION of CPU under 5%, even when the box's own timer died) and e-mail notifications (EventBridge
rules to an SNS topic). list them; put an idle stop on a running box launch.py did not make (idle-stop --id);
notify --email --on; delete --name. Changes are guarded (plan first, then --confirm TOKEN)."""

from __future__ import annotations

import json
import time
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.compute import idle_alarm, notify
from _awswiz.guard import regional, targets
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
ACTIONS = ["list", "delete", "idle-stop", "notify"]


def managed_tags(**extra: str) -> dict:
    return {"awswiz:managed": "true", "awswiz:owner": "alarms", "awswiz:created-at": guard.iso(time.time()), **extra}


def render(console, data) -> None:
    from _awswiz.shell.output import table

    console.print(table("Idle-stop alarms", ["region", "name", "instance", "state", "action", "idle for"],
                        [[a["region"], a["name"], a["instance"], a["state"], a["action"], a["idle_minutes"]]
                         for a in data["alarms"]]))
    console.print(table("Notifications", ["region", "name", "email", "events", "incomplete"],
                        [[n["region"], n["name"], ", ".join(n["emails"]), ", ".join(n["events"]),
                          n.get("incomplete", "")] for n in data["notifications"]]))


def list_region(ctx, region: str) -> dict:
    from _awswiz.aws.client import paginate

    cw = ctx.aws.client("cloudwatch", region)
    alarms = [{"region": region, "name": a["AlarmName"], "instance": a["AlarmName"][len(idle_alarm.PREFIX):],
               "state": a.get("StateValue"), "action": (a.get("AlarmActions") or [None])[0],
               "idle_minutes": period(a) * a.get("EvaluationPeriods", 0) // 60,
               "watches": "CPU and GPU" if a.get("Metrics") else "CPU",
               "threshold_pct": a.get("Threshold")}
              for a in paginate(cw, "describe_alarms", "MetricAlarms", AlarmNamePrefix=idle_alarm.PREFIX)]
    return {"alarms": alarms, "notifications": notifications(ctx, region)}


def notifications(ctx, region: str) -> list[dict]:
    """Each notification of the region, from its rules and its topic (ListTopics): one a run left half-made (a topic
    without rules or subscription, a rule without its topic or target) is listed too, with what it lacks
    (`incomplete`) and the command that removes it (`fix`; the same notify command planned again finishes it)."""
    from _awswiz.aws.client import paginate

    ev, sns = ctx.aws.client("events", region), ctx.aws.client("sns", region)
    groups: dict[str, list[dict]] = {}
    for r in notify.rules(ev):
        groups.setdefault(base_of(r["name"]), []).append(r)
    topics = {t["TopicArn"].rpartition(":")[2]: t["TopicArn"] for t in paginate(sns, "list_topics", "Topics")
              if t["TopicArn"].rpartition(":")[2].startswith(notify.PREFIX)}
    out = []
    for base in sorted(groups.keys() | topics.keys()):
        mine = groups.get(base, [])
        arn = topics.get(base) or notify.topic_arn(region, ctx.aws.account_id(), base)
        topic = notify.topic_state(sns, arn) if base in topics else None
        targets = sorted({t for r in mine for t in r["targets"]} | ({arn} if topic is not None else set()))
        rec = {"region": region, "name": base, "events": [r["name"][len(base) + 1:] for r in mine],
               "topics": targets, "emails": (topic or {}).get("emails", [])}
        if lacks := notify.missing(topic, mine, arn):
            rec.update(incomplete="made half-way, without " + ", ".join(lacks),
                       fix=hints.command(ctx, "alarms", "delete", "--name", base, region=region))
        out.append(rec)
    return out


def period(alarm: dict) -> int:
    """The alarm's period: its own, or (a metric math alarm) its metrics'."""
    stats = [m["MetricStat"]["Period"] for m in alarm.get("Metrics") or [] if m.get("MetricStat")]
    return alarm.get("Period") or (stats[0] if stats else 0)


def base_of(name: str) -> str:
    for e in notify.EVENTS:
        if name.endswith(f"-{e}"):
            return name[: -len(e) - 1]
    return name


@cli.command(app, "alarms")
def main(
    ctx: cli.Ctx,
    action: Annotated[str, typer.Argument(metavar="list|delete|idle-stop|notify", help="What to do.")],
    id_: Annotated[list[str] | None, typer.Option("--id", help="idle-stop: instance id(s) (repeatable).")] = None,
    duration: Annotated[str | None, typer.Option("--duration", metavar="DURATION", help="idle-stop: how long CPU "
                                                 "must stay under 5% (5m..24h, 5-minute steps).")] = None,
    then: Annotated[str, typer.Option("--then", metavar="stop|terminate", help="idle-stop: the EC2 action "
                                      "(default stop).")] = "stop",
    name: Annotated[str | None, typer.Option("--name", help="delete: the alarm or notification name (as list "
                                             "shows it).")] = None,
    email: Annotated[str | None, typer.Option("--email", help="notify: the recipient.")] = None,
    on: Annotated[list[str] | None, typer.Option("--on", metavar="EVENT", help="notify: stopped, terminated, "
                                                 "spot-interruption (repeatable or comma-separated).")] = None,
    confirm: Annotated[str | None, typer.Option("--confirm", metavar="TOKEN",
                                                help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to touch more instances than this.")] = 10,
) -> Result:
    """list (default --region all); idle-stop --id --duration [--then]; notify --email --on; delete --name."""
    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})",
                       f"e.g. {hints.command(ctx, 'alarms', 'list')}")
    if action == "list":
        regions, _ = ctx.regions(default="all")
        found = regional.fan_out(ctx, regions, lambda r: list_region(ctx, r), "listing alarms")
        return Result(data={k: [x for r in regions for x in found[r][k]] for k in ("alarms", "notifications")},
                      render=render)
    listed = hints.command(ctx, "alarms", "list")
    if action == "idle-stop":
        return idle_stop(ctx, id_, duration, then, confirm, max_, listed)
    if action == "notify":
        email_, events = notify.check(email, on, hints.command(ctx, "budget", "create", "--name", "NAME", "--amount",
                                                               "USD", "--email", email or "ADDRESS"))
        return notify_run(ctx, email_, events, confirm, listed)
    if not name or not (name.startswith(idle_alarm.PREFIX) or name.startswith(notify.PREFIX)):
        raise BadInput(f"delete needs --name of an AwsWiz alarm ({idle_alarm.PREFIX}ID) or notification "
                       f"({notify.PREFIX}KEY) (got {name!r})", listed)
    return delete(ctx, name, confirm, listed)


def idle_stop(ctx, ids_, duration, then, confirm, max_, listed) -> Result:
    ids = targets.check_ids(ctx, targets.split_ids(ctx, ids_), targets.INSTANCE_ID, "instance id",
                            "i-0123456789abcdef0")
    if not ids:
        raise BadInput("idle-stop needs --id INSTANCE_ID", "find ids with: " + hints.command(ctx, "scan"))
    if then not in ("stop", "terminate"):
        raise BadInput(f"--then must be one of: stop, terminate (got {then!r})", "e.g. --then stop")
    if duration is None:
        raise BadInput("idle-stop needs --duration", "e.g. --duration 1h")
    seconds = idle_alarm.parse(duration, "--duration")

    def plan_region(region: str, rids: list[str]) -> guard.Plan:
        from _awswiz.money.waste_metrics import gpu_series

        insts = targets.instances(ctx.aws.client("ec2", region), rids)
        gpus = gpu_series(ctx.aws.client("cloudwatch", region), set(rids))  # the agent's GPU series, if installed
        have = {a["AlarmName"]: a for a in idle_alarm.of_instances(ctx.aws.client("cloudwatch", region), rids)}
        out = guard.Plan(actions=[])
        for i in insts:
            iid, tags = i["InstanceId"], tag_map(i.get("Tags"))
            old = have.get(idle_alarm.alarm_name(iid))
            if old and idle_alarm.same(old, idle_alarm.params(iid, region, seconds, then, {}, gpus.get(iid))):
                # put by an earlier confirm (one killed half-way too): what is left is planned, not this again
                out.skipped.append({"id": iid, "region": region, "type": "ec2:instance", "name": tags.get("Name"),
                                    "reason": f"already has this idle stop ({old['AlarmName']}: "
                                              f"{idle_alarm.describe(seconds, region, then)})"})
                continue
            blocked = None
            if then == "stop" and i.get("InstanceLifecycle") == "spot":
                # EC2 User Guide, "Stop a Spot Instance": only persistent requests' instances can be stopped
                blocked = "a spot instance: AWS may refuse to stop it (one-time requests); use --then terminate"
            out.actions.append(guard.Action(
                op="replace-alarm" if old else "put-alarm", type="cloudwatch:alarm", id=idle_alarm.alarm_name(iid),
                region=region, name=tags.get("Name"), target=iid, touches={f"instance {iid}": tags},
                state={"instance_state": i["State"]["Name"], "old": (old or {}).get("AlarmActions"),
                       "gpus": gpus.get(iid)},
                detail={"instance": iid, "idle": idle_alarm.describe(seconds, region, then)
                        + (f"; and every GPU below it too ({len(gpus[iid])} CWAgent series: MAX of CPU and GPUs)"
                           if gpus.get(iid) else "")}, blocked=blocked))
        return out

    def build() -> guard.Plan:
        find = lambda r, rids: {i["InstanceId"] for i in targets.instances(ctx.aws.client("ec2", r), rids)}  # noqa: E731
        return regional.plan(ctx, regional.locate(ctx, ids, find, "ec2:instance"), plan_region,
                             scope={"ids": ids, "duration": seconds, "then": then})

    def do(a: guard.Action) -> dict:
        cw = ctx.aws.client("cloudwatch", a.region)
        cw.put_metric_alarm(**idle_alarm.params(a.target, a.region, seconds, then, managed_tags(), a.state["gpus"]))
        return {"alarm": a.id, "action_arn": idle_alarm.action_arn(a.region, then)}

    return guard.run(ctx, build, do, confirm=confirm, max_count=max_, verify=[listed])


def notify_run(ctx, email: str, events: list[str], confirm, listed) -> Result:
    region = targets.one_region(ctx)
    base = notify.key(email, events)
    arn = notify.topic_arn(region, ctx.aws.account_id(), base)

    def build() -> guard.Plan:
        """Only what is missing: a notify killed half-way (a topic without its policy, subscription or rules; a rule
        without its target) is finished by the same command planned again; a complete one is skipped."""
        ev, sns = ctx.aws.client("events", region), ctx.aws.client("sns", region)
        have = {r["name"]: r for r in notify.rules(ev) if base_of(r["name"]) == base}
        topic = notify.topic_state(sns, arn, email)
        acts, done = [], []
        if topic is None or not topic["policy"] or not topic["subscribed"]:
            steps = (["create the topic"] if topic is None else []) + \
                (["let EventBridge publish to it"] if not topic or not topic["policy"] else []) + \
                ([f"subscribe {email}"] if not topic or not topic["subscribed"] else [])
            acts.append(guard.Action(
                op="create-topic" if topic is None else "finish-topic", type="sns:topic", id=base, region=region,
                target=base, state={"topic": topic},
                detail={"email": email, "steps": steps, "note": "AWS mails a confirmation link first: nothing is "
                                                                "sent until it is clicked"}))
        else:
            done.append("topic and subscription")
        for e in events:
            rule = have.get(notify.rule_name(base, e))
            if rule and rule["targets"] == [arn] and rule["state"] == "ENABLED" and \
                    json.loads(rule["pattern"] or "null") == json.loads(notify.pattern(e)):
                done.append(f"rule {rule['name']}")
                continue
            acts.append(guard.Action(op="put-rule", type="events:rule", id=notify.rule_name(base, e), region=region,
                                     target=base, detail={"on": e, "pattern": notify.pattern(e)},
                                     state={"exists": rule is not None, "targets": (rule or {}).get("targets")}))
        skipped = [] if acts else [{"id": base, "region": region, "type": "sns:topic", "name": base,
                                    "reason": f"already set up ({', '.join(done)}); see {listed}"}]
        return guard.Plan(actions=acts, skipped=skipped, scope={"names": [base], "region": region})

    def do(a: guard.Action) -> dict:
        sns, ev = ctx.aws.client("sns", region), ctx.aws.client("events", region)
        tags = managed_tags()
        if a.type == "sns:topic":
            topic = a.state["topic"]
            made = sns.create_topic(Name=base, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])["TopicArn"] \
                if topic is None else arn
            if not topic or not topic["policy"]:
                sns.set_topic_attributes(TopicArn=made, AttributeName="Policy",
                                         AttributeValue=notify.topic_policy(made))
            sub = sns.subscribe(TopicArn=made, Protocol="email", Endpoint=email) if not topic or not topic[
                "subscribed"] else {}
            return {"topic": made, **({"subscription": sub["SubscriptionArn"]} if sub.get("SubscriptionArn") else {})}
        # EventBridge API Reference, PutRule: "Creates or updates the specified rule" (an update is replaced by what
        # this call says; tags are assigned "when you initially create a rule"); PutTargets of the same Id updates it
        rule = ev.put_rule(Name=a.id, EventPattern=a.detail["pattern"], State="ENABLED",
                           Description=f"AwsWiz notify: {a.detail['on']} -> {base}",
                           Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
        ev.put_targets(Rule=a.id, Targets=[{"Id": "sns", "Arn": arn}])
        return {"rule": rule["RuleArn"]}

    return guard.run(ctx, build, do, confirm=confirm, max_count=1, verify=[listed])


def delete(ctx, name: str, confirm, listed) -> Result:
    region = targets.one_region(ctx)

    def build() -> guard.Plan:
        if name.startswith(idle_alarm.PREFIX):
            cw = ctx.aws.client("cloudwatch", region)
            found = cw.describe_alarms(AlarmNames=[name]).get("MetricAlarms", [])
            if not found:
                raise BadInput(f"no alarm {name} in {region}", listed)
            tags = tag_map(cw.list_tags_for_resource(ResourceARN=found[0]["AlarmArn"]).get("Tags"))
            return guard.Plan(actions=[guard.Action(op="delete", type="cloudwatch:alarm", id=name, region=region,
                                                    tags=tags, state={"arn": found[0]["AlarmArn"]})],
                              scope={"names": [name], "region": region})
        ev, sns = ctx.aws.client("events", region), ctx.aws.client("sns", region)
        mine = [r for r in notify.rules(ev) if base_of(r["name"]) == name]
        arn = notify.topic_arn(region, ctx.aws.account_id(), name)
        topics = {t["TopicArn"] for t in sns.get_paginator("list_topics").paginate().build_full_result()["Topics"]}
        if not mine and arn not in topics:
            raise BadInput(f"no notification {name} in {region}", listed)
        acts = [guard.Action(op="delete-rule", type="events:rule", id=r["name"], region=region, target=name,
                             tags=tag_map(ev.list_tags_for_resource(ResourceARN=r["arn"]).get("Tags")),
                             state={"targets": r["target_ids"]}) for r in mine]
        if arn in topics:
            acts.append(guard.Action(op="delete-topic", type="sns:topic", id=arn, region=region, target=name,
                                     tags=tag_map(sns.list_tags_for_resource(ResourceArn=arn).get("Tags"))))
        return guard.Plan(actions=acts, scope={"names": [name], "region": region})

    def do(a: guard.Action) -> None:
        if a.type == "cloudwatch:alarm":
            ctx.aws.client("cloudwatch", region).delete_alarms(AlarmNames=[a.id])
        elif a.type == "events:rule":
            ev = ctx.aws.client("events", region)
            if a.state["targets"]:  # EventBridge API Reference, DeleteRule: remove all targets first
                ev.remove_targets(Rule=a.id, Ids=a.state["targets"])
            ev.delete_rule(Name=a.id)
        else:  # SNS API Reference, DeleteTopic: its subscriptions go with it
            ctx.aws.client("sns", region).delete_topic(TopicArn=a.id)

    return guard.run(ctx, build, do, confirm=confirm, max_count=1, verify=[listed])


if __name__ == "__main__":
    cli.main(app, "alarms")
