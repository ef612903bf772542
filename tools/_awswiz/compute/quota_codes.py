"""THE one table of EC2 vCPU quotas: code, family group, market, name, AWS default and the instance families
each quota covers.

Checked 2026-11-23 against AWS's documentation: "Amazon EC2 instance type quotas" (On-Demand Instance quotas,
Spot Instance quotas), the EC2 User Guide pages "On-Demand Instance quotas" and "Spot Instance quotas", and
cross-checked with other projects' tables of L- codes. Every tool that speaks of EC2 vCPU quotas
(quota_check, quota_request, list_instances) reads this table; the sandbox keeps its own copy transcribed from
the same pages (sandbox/quota_fixture.py) and tests/test_quota_fixture.py fails when the two disagree.

- On-demand: one quota per family group; P is one quota for every P generation (L-417A185B).
- Spot: P is split: "All P4, P3 and P2 Spot Instance Requests" (L-7212CCBC) and "All P5 Spot Instance
  Requests" (L-C4BD4855, group "p5"). P6 is named by neither; we count it with the newer P5 quota
  (unverified: AWS's pages say nothing of P6 spot). High Memory and HPC have no spot quota (not sold as spot).
- An instance type belongs to the quota whose family prefix is the longest match of its name ("dl1" is DL,
  not the standard D; "inf2" is Inf, not I; "p5e" is P5). mac types have no vCPU quota.
"""

from __future__ import annotations

from dataclasses import dataclass

SERVICE = "ec2"
MARKETS = ("on-demand", "spot")
CHECKED = "2026-11-23"


@dataclass(frozen=True)
class Quota:
    code: str
    group: str  # family group: standard, g, p, p5 (spot only), inf, trn, dl, f, x, high-memory, hpc
    market: str  # on-demand | spot
    name: str
    default: float  # the AWS default, used only when Service Quotas gives neither applied nor default
    families: tuple[str, ...]  # instance-type name prefixes this quota covers


_STD = tuple("acdhimrtz")
QUOTAS: tuple[Quota, ...] = (
    Quota("L-1216C47A", "standard", "on-demand", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
          5, _STD),
    Quota("L-34B43A08", "standard", "spot", "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests", 5,
          _STD),
    Quota("L-DB2E81BA", "g", "on-demand", "Running On-Demand G and VT instances", 0, ("g", "vt")),
    Quota("L-3819A6DF", "g", "spot", "All G and VT Spot Instance Requests", 0, ("g", "vt")),
    Quota("L-417A185B", "p", "on-demand", "Running On-Demand P instances", 0, ("p",)),
    Quota("L-7212CCBC", "p", "spot", "All P4, P3 and P2 Spot Instance Requests", 0, ("p2", "p3", "p4")),
    Quota("L-C4BD4855", "p5", "spot", "All P5 Spot Instance Requests", 0, ("p5", "p6")),
    Quota("L-1945791B", "inf", "on-demand", "Running On-Demand Inf instances", 0, ("inf",)),
    Quota("L-B5D1601B", "inf", "spot", "All Inf Spot Instance Requests", 0, ("inf",)),
    Quota("L-2C3B7624", "trn", "on-demand", "Running On-Demand Trn instances", 0, ("trn",)),
    Quota("L-6B0D517C", "trn", "spot", "All Trn Spot Instance Requests", 0, ("trn",)),
    Quota("L-6E869C2A", "dl", "on-demand", "Running On-Demand DL instances", 0, ("dl",)),
    Quota("L-85EED4F7", "dl", "spot", "All DL Spot Instance Requests", 0, ("dl",)),
    Quota("L-74FC7D96", "f", "on-demand", "Running On-Demand F instances", 0, ("f",)),
    Quota("L-88CF9481", "f", "spot", "All F Spot Instance Requests", 0, ("f",)),
    Quota("L-7295265B", "x", "on-demand", "Running On-Demand X instances", 0, ("x",)),
    Quota("L-E3A00192", "x", "spot", "All X Spot Instance Requests", 0, ("x",)),
    Quota("L-43DA4232", "high-memory", "on-demand", "Running On-Demand High Memory instances", 0, ("u",)),
    Quota("L-F7808C92", "hpc", "on-demand", "Running On-Demand HPC instances", 0, ("hpc",)),
)
BY_CODE = {q.code: q for q in QUOTAS}
GROUPS = tuple(dict.fromkeys(q.group for q in QUOTAS))
NO_QUOTA = ("mac",)  # instance families no vCPU quota covers
# What users type for --family (group names, and the letters of the family) -> the groups shown.
FAMILY_ALIASES: dict[str, tuple[str, ...]] = {
    **{g: (g,) for g in GROUPS}, **{c: ("standard",) for c in _STD},
    "p": ("p", "p5"), "p5": ("p", "p5"), "vt": ("g",), "u": ("high-memory",)}


def _longest(name: str, market: str) -> tuple[Quota | None, int]:
    best, length = None, 0
    for q in QUOTAS:
        if q.market == market:
            for prefix in q.families:
                if name.startswith(prefix) and len(prefix) > length:
                    best, length = q, len(prefix)
    return best, length


def _match(instance_type: str, market: str) -> Quota | None:
    """The family is settled by the on-demand quotas, which cover every family ("hpc7g" is HPC, not the standard
    H); a market's quota must name that family or a narrower one ("p5" within "p"), else there is none (HPC
    and High Memory have no spot quota)."""
    name = instance_type.lower()
    if name.startswith(NO_QUOTA):
        return None
    family, family_len = _longest(name, "on-demand")
    if market == "on-demand" or family is None:
        return family
    q, length = _longest(name, market)
    return q if length >= family_len else None


def quota_for_type(instance_type: str, market: str) -> Quota | None:
    """The quota an instance type counts against in a market ("p5.48xlarge", "spot" -> L-C4BD4855)."""
    return _match(instance_type, market)


def group_of(instance_type: str) -> str | None:
    """The family group of an instance type by its on-demand quota ("p5.48xlarge" -> "p"), or None."""
    q = _match(instance_type, "on-demand")
    return q.group if q else None


def console_link(region: str, code: str, service: str = SERVICE) -> str:
    return f"https://{region}.console.aws.amazon.com/servicequotas/home/services/{service}/quotas/{code}"
