"""Helpers for the tests of the changing tools: resources of their own, and what the server saw."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from _awswiz.guard.audit import is_mutating

READ_METHODS = {"GET", "HEAD"}


def is_mutating_call(call: dict) -> bool:
    """A call the server saw that changes something (query/JSON actions by name, S3 REST by method)."""
    if call.get("action"):
        return is_mutating(call["action"])
    return call.get("method") not in READ_METHODS and call.get("service") not in ("sts",)


def mutating_calls(sandbox, since: int) -> list[dict]:
    return [c for c in sandbox.calls(since) if is_mutating_call(c)]


def audit_lines(state_dir: Path, phase: str = "sent") -> list[dict]:
    path = state_dir / "audit.jsonl"
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["phase"] == phase]


def assert_audit_matches_server(sandbox, state_dir: Path, since: int) -> list[dict]:
    """Every mutating call counted at the server has exactly one audit line, in the same order."""
    server = mutating_calls(sandbox, since)
    sent = audit_lines(state_dir)
    assert [s["operation"] for s in sent] == [c["action"] or s["operation"] for c, s in zip(server, sent, strict=False)]
    assert len(sent) == len(server), (sent, server)
    done = {d["id"]: d for d in audit_lines(state_dir, "done")}
    assert all(s["id"] in done for s in sent)  # every call has its outcome
    return sent


def name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def image(ec2) -> str:
    return ec2.register_image(Name=name("test-img"), Architecture="x86_64", RootDeviceName="/dev/sda1",
                              VirtualizationType="hvm",
                              BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]


def instance(ec2, *, tags: dict | None = None, keep_root: bool = False, **kw) -> str:
    """A running t3.micro of the test's own, tagged; keep_root leaves its root volume behind on terminate."""
    spec = [{"ResourceType": "instance", "Tags": [{"Key": k, "Value": v}
                                                   for k, v in {"Name": name("t"), **(tags or {})}.items()]}]
    return ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             TagSpecifications=spec, BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {
                                 "VolumeSize": 20, "DeleteOnTermination": not keep_root}}],
                             **kw)["Instances"][0]["InstanceId"]


def state(ec2, iid: str) -> str:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
