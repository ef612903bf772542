"""ec2:volume: how scan lists and reads it, what goes before it, what it costs. Its remover: removal/removers/ebs.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="ec2:volume", order=20, service="ec2", call="describe_volumes",
    items="Volumes[]", id="VolumeId",
    state="State",
    # created: Volume.CreateTime (botocore ec2 model)
    fields={
        "size_gib": "Size", "volume_type": "VolumeType", "az": "AvailabilityZone",
        "attached_to": "Attachments[].InstanceId", "created": "CreateTime",
    },
    first=("ec2:instance",),
    removal="terminate.py, once available; an attached volume is refused, naming the command that frees it",
    cost="per GiB-month provisioned by volume type (and provisioned IOPS/throughput), attached or not",
)
