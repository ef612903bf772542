"""ec2:snapshot: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/ebs.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="ec2:snapshot", order=30, service="ec2", call="describe_snapshots",
    items="Snapshots[]", id="SnapshotId",
    state="State", kwargs={"OwnerIds": ["self"]},
    # created: Snapshot.StartTime (botocore ec2 model: "when the snapshot was initiated")
    fields={"volume": "VolumeId", "size_gib": "VolumeSize", "created": "StartTime"},
    # waste also reads the description (which names the AMI a snapshot was made for)
    cost_fields={"description": "Description"},
    first=("ec2:image",),
    removal="terminate.py; one a registered AMI uses is refused, naming the AMI",
    cost="per GiB-month of snapshot data stored (standard or archive tier)",
)
