"""ec2:instance: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/ec2_instance.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row


def shape(rec: dict, item: dict) -> None:
    rec["market"] = "spot" if item.get("InstanceLifecycle") == "spot" else "on-demand"


ROW = Row(
    type="ec2:instance", order=10, service="ec2", call="describe_instances",
    items="Reservations[].Instances[]", id="InstanceId",
    state="State.Name",
    fields={
        "instance_type": "InstanceType", "market": "InstanceLifecycle", "launch_time": "LaunchTime", "key": "KeyName",
        "public_ip": "PublicIpAddress", "vpc": "VpcId", "subnet": "SubnetId", "az": "Placement.AvailabilityZone",
        "volumes": "BlockDeviceMappings[].Ebs.VolumeId", "security_groups": "SecurityGroups[].GroupId",
    },
    shape=shape, shape_reads=("InstanceLifecycle",),
    removal=(
        "terminate.py (--snapshot keeps its volumes' data); a persistent spot request or maintain fleet is cancelled "
        "first"
    ),
    cost="per second while running, by instance type; its EBS volumes also while stopped",
)
