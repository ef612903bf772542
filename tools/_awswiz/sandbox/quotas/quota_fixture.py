"""The sandbox's own EC2 vCPU quota data, transcribed from AWS's documentation (never from the tools' tables).

Source, read 2026-11-23: "Amazon EC2 instance type quotas" (tables "On-Demand Instance quotas" and "Spot Instance
quotas": name, default, quota code in the console link) and the EC2 User Guide pages "On-Demand Instance quotas"
and "Spot Instance quotas". The instance families of each quota come from its name: "Standard (A, C, D, H, I, M,
R, T, Z)", "G and VT", "P4, P3 and P2", "P5", and so on. P6 spot is named by no quota; the sandbox counts it with
P5 (the same unverified choice as the tools, see quota_codes.py).

tests/test_quota_fixture.py compares this with the tools' quota_codes.py: the same codes, markets and families.
"""

from __future__ import annotations

SERVICE = "ec2"
SERVICE_NAME = "Amazon Elastic Compute Cloud (Amazon EC2)"
CHECKED = "2026-11-23"
STANDARD = ("a", "c", "d", "h", "i", "m", "r", "t", "z")

# code: (quota name as AWS lists it, market, AWS default in vCPUs, instance-family prefixes it covers)
VCPU_QUOTAS: dict[str, tuple[str, str, float, tuple[str, ...]]] = {
    "L-6E869C2A": ("Running On-Demand DL instances", "on-demand", 0, ("dl",)),
    "L-74FC7D96": ("Running On-Demand F instances", "on-demand", 0, ("f",)),
    "L-DB2E81BA": ("Running On-Demand G and VT instances", "on-demand", 0, ("g", "vt")),
    "L-F7808C92": ("Running On-Demand HPC instances", "on-demand", 0, ("hpc",)),
    "L-43DA4232": ("Running On-Demand High Memory instances", "on-demand", 0, ("u",)),
    "L-1945791B": ("Running On-Demand Inf instances", "on-demand", 0, ("inf",)),
    "L-417A185B": ("Running On-Demand P instances", "on-demand", 0, ("p",)),
    "L-1216C47A": ("Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", "on-demand", 5, STANDARD),
    "L-2C3B7624": ("Running On-Demand Trn instances", "on-demand", 0, ("trn",)),
    "L-7295265B": ("Running On-Demand X instances", "on-demand", 0, ("x",)),
    "L-85EED4F7": ("All DL Spot Instance Requests", "spot", 0, ("dl",)),
    "L-88CF9481": ("All F Spot Instance Requests", "spot", 0, ("f",)),
    "L-3819A6DF": ("All G and VT Spot Instance Requests", "spot", 0, ("g", "vt")),
    "L-B5D1601B": ("All Inf Spot Instance Requests", "spot", 0, ("inf",)),
    "L-7212CCBC": ("All P4, P3 and P2 Spot Instance Requests", "spot", 0, ("p2", "p3", "p4")),
    "L-C4BD4855": ("All P5 Spot Instance Requests", "spot", 0, ("p5", "p6")),
    "L-34B43A08": ("All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", "spot", 5, STANDARD),
    "L-6B0D517C": ("All Trn Spot Instance Requests", "spot", 0, ("trn",)),
    "L-E3A00192": ("All X Spot Instance Requests", "spot", 0, ("x",)),
}


def name(code: str) -> str:
    return VCPU_QUOTAS[code][0]


def default(code: str) -> float:
    return VCPU_QUOTAS[code][2]
