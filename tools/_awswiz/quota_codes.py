"""THE one table of EC2 vCPU quotas: code, family group, market, name and AWS default.

Every tool that speaks of EC2 vCPU quotas (quota_check, quota_request, launch) reads this table.
An instance type belongs to a family group by the letters its name starts with (longest prefix wins,
so "dl1" is DL, not the standard D bucket; "inf2" is Inf, not I).
"""

from __future__ import annotations

from dataclasses import dataclass

SERVICE = "ec2"
MARKETS = ("on-demand", "spot")


@dataclass(frozen=True)
class Quota:
    code: str
    group: str  # family group: standard, g, p, inf, trn, dl, f, x, high-memory, hpc
    market: str  # on-demand | spot
    name: str
    default: float  # the AWS default, used only when Service Quotas gives neither applied nor default


QUOTAS: tuple[Quota, ...] = (
    Quota("L-1216C47A", "standard", "on-demand", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5),
    Quota("L-34B43A08", "standard", "spot", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", 5),
    Quota("L-DB2E81BA", "g", "on-demand", "Running On-Demand G and VT instances", 0),
    Quota("L-3819A6DF", "g", "spot", "All G and VT Spot Instance Requests", 0),
    Quota("L-417A185B", "p", "on-demand", "Running On-Demand P instances", 0),
    Quota("L-7212CCBC", "p", "spot", "All P Spot Instance Requests", 0),
    Quota("L-1945791B", "inf", "on-demand", "Running On-Demand Inf instances", 0),
    Quota("L-B5D1601B", "inf", "spot", "All Inf Spot Instance Requests", 0),
    Quota("L-2C3B7624", "trn", "on-demand", "Running On-Demand Trn instances", 0),
    Quota("L-6B0D517C", "trn", "spot", "All Trn Spot Instance Requests", 0),
    Quota("L-6E869C2A", "dl", "on-demand", "Running On-Demand DL instances", 0),
    Quota("L-85EED4F7", "dl", "spot", "All DL Spot Instance Requests", 0),
    Quota("L-74FC7D96", "f", "on-demand", "Running On-Demand F instances", 0),
    Quota("L-88CF9481", "f", "spot", "All F Spot Instance Requests", 0),
    Quota("L-7295265B", "x", "on-demand", "Running On-Demand X instances", 0),
    Quota("L-E3A00192", "x", "spot", "All X Spot Instance Requests", 0),
    Quota("L-43DA4232", "high-memory", "on-demand", "Running On-Demand High Memory instances", 0),
    Quota("L-F7808C92", "hpc", "on-demand", "Running On-Demand HPC instances", 0),
)
BY_CODE = {q.code: q for q in QUOTAS}
GROUPS = tuple(dict.fromkeys(q.group for q in QUOTAS))
# What users type for --family (the letters of the family), mapped to the group.
FAMILY_ALIASES = {"standard": "standard", "a": "standard", "c": "standard", "d": "standard", "h": "standard",
                  "i": "standard", "m": "standard", "r": "standard", "t": "standard", "z": "standard",
                  "g": "g", "vt": "g", "p": "p", "inf": "inf", "trn": "trn", "dl": "dl", "f": "f", "x": "x",
                  "u": "high-memory", "high-memory": "high-memory", "hpc": "hpc"}

# Instance-type prefixes to family group; longest prefix first. Types matching none (mac) have no quota.
_PREFIXES = (("high-memory", "u-"), ("high-memory", "u7"), ("hpc", "hpc"), ("inf", "inf"), ("trn", "trn"),
             ("dl", "dl"), ("g", "vt"), ("g", "g"), ("p", "p"), ("f", "f"), ("x", "x"), (None, "mac"),
             *(("standard", c) for c in "acdhimrtz"))


def group_of(instance_type: str) -> str | None:
    """The family group of an instance type ("p5.48xlarge" -> "p"), or None if no vCPU quota covers it."""
    name = instance_type.lower()
    for group, prefix in _PREFIXES:
        if name.startswith(prefix):
            return group
    return None


def quota_for(group: str, market: str) -> Quota | None:
    for q in QUOTAS:
        if q.group == group and q.market == market:
            return q
    return None


def quota_for_type(instance_type: str, market: str) -> Quota | None:
    group = group_of(instance_type)
    return quota_for(group, market) if group else None


def console_link(region: str, code: str, service: str = SERVICE) -> str:
    return f"https://{region}.console.aws.amazon.com/servicequotas/home/services/{service}/quotas/{code}"
