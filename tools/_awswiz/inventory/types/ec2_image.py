"""ec2:image: how scan lists and reads it, what goes before it, what it costs. Its remover: removal/removers/ebs.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="ec2:image", order=40, service="ec2", call="describe_images",
    items="Images[]", id="ImageId",
    name="Name", state="State", kwargs={"Owners": ["self"]},
    # created: Image.CreationDate (botocore ec2 model: an ISO 8601 string, not a timestamp)
    fields={
        "created": "CreationDate", "snapshots": "BlockDeviceMappings[].Ebs.SnapshotId",
        "root_device_type": "RootDeviceType",
    },
    # waste also reads the sizes of its snapshots (an AMI is billed through the snapshots its block devices hold)
    cost_fields={"sizes": "BlockDeviceMappings[].Ebs.VolumeSize"},
    removal="terminate.py: deregistered, then its snapshots deleted unless another AMI uses them",
    cost="nothing itself; its EBS snapshots per GiB-month",
)
