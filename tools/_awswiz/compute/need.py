"""quota_check --need: an instance type (p5.48xlarge:2) or an accelerator model and a count (H100:8) as the
instance types and counts that give it.

Accelerator models are what DescribeInstanceTypes names them (EC2 API Reference, InstanceTypeInfo: GpuInfo.Gpus[],
NeuronInfo.NeuronDevices[], InferenceAcceleratorInfo.Accelerators[], each with Name and Count per instance), read
by inventory/instance_types.spec(): "H100" is p5.48xlarge (8 per instance) and p5.4xlarge (1).
"""

from __future__ import annotations

import math

from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput


def hint(scope) -> str:
    return "list the types and their accelerator models: " + hints.command(scope, "list_instances", "--gpu")


def parse(value: str, scope=None) -> tuple[str, int, bool]:
    """"p5.48xlarge:2" -> ("p5.48xlarge", 2, True); "H100:8" -> ("H100", 8, False): a name with a dot is an
    instance type (AWS names every type FAMILY.SIZE), one without is an accelerator model. COUNT defaults to 1."""
    name, _, count = value.partition(":")
    name = name.strip()
    if not name:
        raise BadInput(f"--need must look like TYPE[:COUNT] or MODEL[:COUNT], e.g. p5.48xlarge:2 or H100:8 "
                       f"(got {value!r})", hint(scope))
    try:
        n = int(count) if count else 1
    except ValueError:
        n = 0
    if n < 1:
        raise BadInput(f"--need COUNT must be a whole number of at least 1 (got {count!r})",
                       "e.g. --need g5.xlarge:4 or --need H100:8")
    return name, n, "." in name


def models(specs: dict[str, dict]) -> list[str]:
    """Every accelerator model the types carry (a whole device at least: g6f's fractional L4 counts 0)."""
    return sorted({s["gpu"]["model"] for s in specs.values() if _count(s) and s["gpu"].get("model")},
                  key=str.lower)


def _count(s: dict) -> int:
    return (s.get("gpu") or {}).get("count") or 0


def options(specs: dict[str, dict], model: str, count: int, scope=None) -> list[dict]:
    """The ways to get `count` devices of `model`: per number of devices an instance carries, the type with the
    fewest vCPUs (what the vCPU quotas count), as many instances as it takes. Types carrying more than `count`
    only when no type carries `count` or fewer (one p6-b200.48xlarge for B200:1). Fewest instances first."""
    want = model.strip().lower()
    carry = [s for s in specs.values() if _count(s) and (s["gpu"].get("model") or "").lower() == want]
    if not carry:
        raise BadInput(f"--need {model!r}: no instance type carries an accelerator of that name; the models AWS "
                       f"lists: {', '.join(models(specs))}", hint(scope))
    smallest: dict[int, dict] = {}
    for s in sorted(carry, key=lambda s: (s.get("vcpus") or 0, s.get("memory_gib") or 0, s["type"])):
        smallest.setdefault(_count(s), s)
    fit = [c for c in smallest if c <= count] or [min(smallest)]
    out = [{"type": smallest[c]["type"], "count": math.ceil(count / c), "per_instance": c,
            "gpus": math.ceil(count / c) * c, "spec": smallest[c]} for c in fit]
    return sorted(out, key=lambda o: (o["count"], o["spec"].get("vcpus") or 0, o["type"]))


def gap(need: dict) -> tuple[dict | None, list[str]]:
    """(the offered region with no increase request open for the on-demand quota whose headroom is largest, i.e.
    the smallest increase; the regions where a request is already open). Service Quotas keeps one open request
    per quota (RequestServiceQuotaIncrease: ResourceAlreadyExistsException), so those are never asked again."""
    candidates = [r for r in need["regions"] if r.get("on_demand")]
    free = [r for r in candidates if not r["on_demand"]["pending"]]
    best = max(free, default=None, key=lambda r: r["on_demand"]["headroom"] or 0)
    return best, [r["region"] for r in candidates if r not in free]


def cheapest_gap(opts: list[dict]) -> dict | None:
    """Over every option: the quota request that adds the fewest vCPUs (fewer instances first on a tie)."""
    best = None
    for o in opts:
        region, _ = gap(o)
        if not region:
            continue
        q = region["on_demand"]
        add = o["vcpus"] - (q["headroom"] or 0)
        if best is None or add < best["add"]:
            best = {"type": o["type"], "count": o["count"], "region": region["region"], "code": q["code"],
                    "value": (q["used"] or 0) + o["vcpus"], "add": add}
    return best
