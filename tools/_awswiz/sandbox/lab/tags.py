"""The demo lab's regions and the tags every lab resource carries (Name, awswiz:lab=demo)."""

from __future__ import annotations

REGIONS = ["us-east-1", "us-west-2", "eu-west-1"]
LAB = {"Key": "awswiz:lab", "Value": "demo"}


def tags(name: str, **extra: str) -> list[dict]:
    return [{"Key": "Name", "Value": name}, LAB, *[{"Key": k, "Value": v} for k, v in extra.items()]]


def spec(kind: str, name: str, **extra: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(name, **extra)}]
