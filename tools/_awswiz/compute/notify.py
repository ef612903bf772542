"""alarms.py notify: an e-mail when a box stops, terminates or gets a spot interruption warning. One SNS topic with
an e-mail subscription, and one EventBridge rule per event sending to it; all named awswiz-notify-KEY (KEY from the
address and the events), tagged managed, listed and removed together by alarms.py.

AWS rules it keeps:
- the events (Amazon EC2 User Guide, "EC2 instance state-change events": detail-type "EC2 Instance State-change
  Notification", detail.state; "Spot Instance interruption notices": detail-type "EC2 Spot Instance Interruption
  Warning"), both from source aws.ec2 on the region's default event bus;
- EventBridge may publish to the topic only if the topic's policy allows the service principal
  events.amazonaws.com sns:Publish (Amazon EventBridge User Guide, "Amazon SNS permissions");
- an e-mail subscription stays "pending confirmation" until the recipient clicks the link AWS mails (Amazon SNS
  Developer Guide, "Email notifications"): nothing is sent before; ListSubscriptionsByTopic lists it meanwhile, its
  SubscriptionArn "PendingConfirmation" (SNS API Reference, Subscription).
A notify killed half-way (topic without policy, subscription or rules; a rule without its target) is finished by
planning the same command again: the plan holds only the missing parts (state()); list names what is incomplete.
AWS Budgets sends no EventBridge event of its own: budget alerts are budget.py's (--email)."""

from __future__ import annotations

import hashlib
import json
import re

from _awswiz.shell.errors import BadInput

PREFIX = "awswiz-notify-"
EVENTS = {
    "stopped": {"detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["stopped"]}},
    "terminated": {"detail-type": ["EC2 Instance State-change Notification"], "detail": {"state": ["terminated"]}},
    "spot-interruption": {"detail-type": ["EC2 Spot Instance Interruption Warning"]},
}
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check(email: str | None, on: list[str] | None, budget_tool: str) -> tuple[str, list[str]]:
    events = list(dict.fromkeys(e.strip() for v in on or [] for e in v.split(",") if e.strip()))
    if "budget" in events:
        raise BadInput("--on budget: AWS Budgets sends its alerts by e-mail itself, not through EventBridge",
                       f"make a budget with alerts: {budget_tool}")
    bad = [e for e in events if e not in EVENTS]
    if not events or bad:
        raise BadInput(f"--on must be one or more of: {', '.join(EVENTS)}, budget (got {', '.join(bad) or 'none'})",
                       "e.g. --on stopped,spot-interruption")
    if not email or not EMAIL_RE.match(email):
        raise BadInput(f"--email {email!r} is not an e-mail address", "e.g. --email me@lab.org")
    return email, events


def key(email: str, events: list[str]) -> str:
    return PREFIX + hashlib.sha256(json.dumps([email.lower(), sorted(events)]).encode()).hexdigest()[:10]


def rule_name(base: str, event: str) -> str:
    return f"{base}-{event}"


def pattern(event: str) -> str:
    return json.dumps({"source": ["aws.ec2"], **EVENTS[event]})


def topic_policy(topic_arn: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "EventBridgePublish", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "sns:Publish", "Resource": topic_arn}]})


def topic_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def topic_state(sns, arn: str, email: str | None = None) -> dict | None:
    """The topic as notify needs it: None when there is none (SNS API Reference, GetTopicAttributes: NotFound), else
    {"policy": EventBridge may publish, "emails": its e-mail endpoints, "subscribed": email among them}."""
    from botocore.exceptions import ClientError

    from _awswiz.aws.client import paginate

    try:
        attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NotFound", "NotFoundException"):
            return None
        raise
    try:
        statements = json.loads(attrs.get("Policy") or "{}").get("Statement") or []
    except ValueError:
        statements = []
    policy = any((s.get("Principal") or {}).get("Service") == "events.amazonaws.com" and "sns:Publish" in (
        s.get("Action") if isinstance(s.get("Action"), list) else [s.get("Action")]) for s in statements
        if isinstance(s, dict) and s.get("Effect") == "Allow")
    emails = [s["Endpoint"] for s in paginate(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=arn)
              if s.get("Protocol") == "email"]
    return {"policy": policy, "emails": emails,
            "subscribed": bool(email) and email.lower() in {e.lower() for e in emails}}


def missing(topic: dict | None, rules_of: list[dict], arn: str) -> list[str]:
    """What a notification lacks, in words (empty: complete): alarms.py list says it of one a run left half-made."""
    out = ["its SNS topic"] if topic is None else []
    if topic is not None and not topic["policy"]:
        out.append("the topic policy letting EventBridge publish")
    if topic is not None and not topic["emails"]:
        out.append("an e-mail subscription")
    if not rules_of:
        out.append("its EventBridge rules")
    out += [f"the target of rule {r['name']}" for r in rules_of if arn not in r["targets"]]
    return out


def rules(events_client) -> list[dict]:
    """Our notify rules in the region with their targets."""
    from _awswiz.aws.client import paginate

    out = []
    for r in paginate(events_client, "list_rules", "Rules", NamePrefix=PREFIX):
        targets = events_client.list_targets_by_rule(Rule=r["Name"]).get("Targets", [])
        out.append({"name": r["Name"], "arn": r["Arn"], "state": r.get("State"), "pattern": r.get("EventPattern"),
                    "targets": [t["Arn"] for t in targets], "target_ids": [t["Id"] for t in targets]})
    return out
