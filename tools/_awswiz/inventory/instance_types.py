"""Instance-type specs (vCPUs, memory, GPUs and other accelerators, network) and where types are offered.

Pure functions over describe_instance_types / describe_instance_type_offerings answers, plus the few
calls that fetch them (one paginated list call, never one call per type). Importable without side
effects: scan reuses spec() for its GPU fields.
"""

from __future__ import annotations

CHUNK = 100  # instance types per DescribeInstanceTypes / offerings filter
CACHE = "instance_specs"  # every type AWS has (IncludeUnsupportedInRegion); "instance_types" held one region's


def _gib(mib: float | int | None) -> float | None:
    return round(mib / 1024, 1) if mib else None


def spec(it: dict) -> dict:
    """The fields we show for one DescribeInstanceTypes entry; accelerators unified under gpu."""
    gpu = None
    if it.get("GpuInfo", {}).get("Gpus"):
        g = it["GpuInfo"]["Gpus"][0]
        gpu = {"model": g.get("Name"), "maker": g.get("Manufacturer"),
               "count": sum(x.get("Count", 0) for x in it["GpuInfo"]["Gpus"]),
               "memory_gib": _gib(it["GpuInfo"].get("TotalGpuMemoryInMiB"))}
    elif it.get("NeuronInfo", {}).get("NeuronDevices"):
        d = it["NeuronInfo"]["NeuronDevices"][0]
        gpu = {"model": d.get("Name"), "maker": "AWS",
               "count": sum(x.get("Count", 0) for x in it["NeuronInfo"]["NeuronDevices"]),
               "memory_gib": _gib(it["NeuronInfo"].get("TotalNeuronDeviceMemoryInMiB"))}
    elif it.get("InferenceAcceleratorInfo", {}).get("Accelerators"):
        a = it["InferenceAcceleratorInfo"]["Accelerators"][0]
        gpu = {"model": a.get("Name"), "maker": a.get("Manufacturer"),
               "count": sum(x.get("Count", 0) for x in it["InferenceAcceleratorInfo"]["Accelerators"]),
               "memory_gib": _gib(it["InferenceAcceleratorInfo"].get("TotalInferenceMemoryInMiB"))}
    return {
        "type": it["InstanceType"],
        "vcpus": it.get("VCpuInfo", {}).get("DefaultVCpus"),
        "memory_gib": _gib(it.get("MemoryInfo", {}).get("SizeInMiB")),
        "arch": (it.get("ProcessorInfo", {}).get("SupportedArchitectures") or [None])[0],
        "gpu": gpu,
        "network": it.get("NetworkInfo", {}).get("NetworkPerformance"),
    }


def gpu_count(instance_type_spec: dict) -> int:
    return (instance_type_spec.get("gpu") or {}).get("count") or 0


def matches(s: dict, needles: list[str]) -> bool:
    """True if any needle is a substring of the type name or of the GPU model (case-insensitive)."""
    hay = [s["type"].lower(), ((s.get("gpu") or {}).get("model") or "").lower()]
    return any(n.lower() in h for n in needles for h in hay if h)


def _chunks(items: list, n: int = CHUNK):
    for i in range(0, len(items), n):
        yield items[i:i + n]


def describe(ec2, names: list[str] | None = None) -> dict[str, dict]:
    """{type: spec} for the named types, or for every type AWS has, offered in the client's region or not (one
    paginated call). DescribeInstanceTypes describes only the region's offered types unless
    IncludeUnsupportedInRegion is true (EC2 API Reference, DescribeInstanceTypes); specs are the same in every
    region, so we always ask with it."""
    pages = ec2.get_paginator("describe_instance_types")
    out: dict[str, dict] = {}
    batches = list(_chunks(sorted(set(names)))) if names else [None]
    for batch in batches:
        kw = {"InstanceTypes": batch} if batch else {}
        for page in pages.paginate(IncludeUnsupportedInRegion=True, **kw):
            for it in page["InstanceTypes"]:
                out[it["InstanceType"]] = spec(it)
    return out


def lookup(aws, name: str, fetch=None) -> dict | None:
    """One type's spec (asked in the home region, offered there or not); None if AWS does not know it. fetch:
    (ec2, names) -> {type: spec}, describe() unless given (type_specs.get answers from its cache)."""
    from botocore.exceptions import ClientError

    try:
        return (fetch or describe)(aws.client("ec2"), [name]).get(name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvalidInstanceType":
            raise
    return None


def all_specs(ec2) -> dict[str, dict]:
    """Every type's spec, offered in the client's region or not; cached a week in .state/cache."""
    from _awswiz.shell import cache

    doc = cache.load(CACHE)
    if cache.fresh(doc) and doc.get("types"):
        return doc["types"]
    types = describe(ec2)
    cache.save(CACHE, {"date": cache.today(), "types": types})
    return types


def offerings(ec2, types: list[str]) -> dict[str, list[str]]:
    """{type: [availability zones]} for the types offered in this client's region."""
    out: dict[str, set] = {}
    pages = ec2.get_paginator("describe_instance_type_offerings")
    for batch in _chunks(sorted(set(types))):
        for page in pages.paginate(LocationType="availability-zone",
                                   Filters=[{"Name": "instance-type", "Values": batch}]):
            for o in page["InstanceTypeOfferings"]:
                out.setdefault(o["InstanceType"], set()).add(o["Location"])
    return {t: sorted(z) for t, z in out.items()}

