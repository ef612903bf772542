"""ec2:instance: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/ec2_instance.py."""

from __future__ import annotations

import re

from _awswiz.inventory import instance_types
from _awswiz.inventory.table import Row


def shape(rec: dict, item: dict) -> None:
    rec["market"] = "spot" if item.get("InstanceLifecycle") == "spot" else "on-demand"


def _described_types(client, types: list[str]) -> list[dict]:
    """DescribeInstanceTypes for up to 100 types. AWS fails the whole call with InvalidInstanceType when one
    type is unknown in the region (a retired or previous-generation type an old instance still runs), naming
    them: "The following supplied instance types do not exist: [m3.medium]". Those are left out (their
    instances get no GPU details) and the call is made once more for the rest."""
    try:
        return client.describe_instance_types(InstanceTypes=types)["InstanceTypes"]
    except Exception as exc:
        err = getattr(exc, "response", {}).get("Error", {})
        named = re.search(r"\[([^\]]*)\]", err.get("Message", "")) if err.get("Code") == "InvalidInstanceType" else None
        unknown = {t.strip() for t in named.group(1).split(",")} if named else set()
        rest = [t for t in types if t not in unknown]
        if not unknown or len(rest) == len(types):
            raise
        return client.describe_instance_types(InstanceTypes=rest)["InstanceTypes"] if rest else []


def gpu_specs(client, types: list[str]) -> dict[str, dict]:
    """Accelerator count and model (GPUs, Trainium, Inferentia: instance_types.spec, the one reader of
    DescribeInstanceTypes), and vCPUs, for instance types (one call per 100 types)."""
    out: dict[str, dict] = {}
    for i in range(0, len(types), 100):
        for t in _described_types(client, types[i:i + 100]):
            acc = instance_types.spec(t)["gpu"] or {}
            out[t["InstanceType"]] = {
                "vcpus": t["VCpuInfo"]["DefaultVCpus"],
                "gpus": acc.get("count") or 0,
                "gpu_model": " ".join(x for x in (acc.get("maker"), acc.get("model")) if x) or None,
            }
    return out


def add_gpus(client, recs: list[dict]) -> None:
    specs = gpu_specs(client, sorted({r["instance_type"] for r in recs if r.get("instance_type")}))
    for r in recs:
        spec = specs.get(r.get("instance_type"), {})
        r["vcpus"] = spec.get("vcpus")
        r["gpus"] = spec.get("gpus", 0)
        if spec.get("gpu_model"):
            r["gpu_model"] = spec["gpu_model"]


def follow(job, recs: list[dict]) -> None:
    """vCPUs and accelerators of the instance types a region runs: one DescribeInstanceTypes per 100 types."""
    job.submit(("gpu", job.region), lambda: add_gpus(job.client, recs), job.region, "ec2:DescribeInstanceTypes")


ROW = Row(
    type="ec2:instance", order=10, service="ec2", call="describe_instances",
    items="Reservations[].Instances[]", id="InstanceId",
    state="State.Name",
    # created: Instance.LaunchTime (botocore ec2 model: "the time that the instance was last launched"; a stopped
    # and started box counts from its last start)
    fields={
        "instance_type": "InstanceType", "market": "InstanceLifecycle", "key": "KeyName", "created": "LaunchTime",
        "public_ip": "PublicIpAddress", "vpc": "VpcId", "subnet": "SubnetId", "az": "Placement.AvailabilityZone",
        "volumes": "BlockDeviceMappings[].Ebs.VolumeId", "security_groups": "SecurityGroups[].GroupId",
    },
    shape=shape, shape_reads=("InstanceLifecycle",), follow=follow,
    removal=(
        "terminate.py (--snapshot keeps its volumes' data); a persistent spot request or maintain fleet is cancelled "
        "first"
    ),
    cost="per second while running, by instance type; its EBS volumes also while stopped",
)
