"""What terminate.py removes after an instance launch.py made (no leaks): its awswiz-ssh-* security group once
no other network interface holds it, its key pair once no other live instance uses it, its cluster placement
group once no other live instance is in it (the deletes wait until the instances are terminated), and volumes of the
launch that would stay behind (DeleteOnTermination false). Only resources tagged awswiz:managed=true (a volume:
also the instance's awswiz:launch-id); a volume someone attached stays, as the plan says. Each step is an Action
of the same plan, with that resource's OWN tags and the VPC a group sits in as what it touches (the guard
blocks the whole instance when one of them is protected), run after the instance's terminate action.

Each step runs once the instance is terminated (waits.after_terminated: AWS refuses to delete a group that a
network interface still uses, DependencyViolation).
"""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import LAUNCH_TAG, tag_map
from _awswiz.removal.waits import after_terminated

OPS = ("delete-launch-group", "delete-launch-key", "delete-launch-volume", "delete-launch-placement-group")
GROUP_PREFIX = "awswiz-ssh-"
DEAD = ("terminated", "shutting-down")


def _mine(tags: dict) -> bool:
    return tags.get("awswiz:managed") == "true"


def _groups(inst: dict) -> list[dict]:
    """The instance's groups, from the instance and its interfaces (moto fills only the interfaces' when the
    instance was launched with NetworkInterfaces; AWS fills both)."""
    return inst.get("SecurityGroups", []) + [g for n in inst.get("NetworkInterfaces", []) for g in n.get("Groups", [])]


def actions(ec2, found: list[dict], region: str, parts: dict[str, dict]) -> list[guard.Action]:
    """The steps after terminating `found`; parts: {volume id: its tags} of what is attached to them."""
    from _awswiz.removal.removers.ec2_common import in_vpc, vpc_guard

    launched = [i for i in found if _mine(tag_map(i.get("Tags"))) and tag_map(i.get("Tags")).get(LAUNCH_TAG)]
    if not launched:
        return []
    going = {i["InstanceId"] for i in found}
    out: list[guard.Action] = []
    group_ids = sorted({g["GroupId"] for i in launched for g in _groups(i)
                        if g.get("GroupName", "").startswith(GROUP_PREFIX)})
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups", GroupIds=group_ids) if group_ids else []
    vpcs = vpc_guard(ec2, groups)
    for g in groups:
        tags = tag_map(g.get("Tags"))
        if not _mine(tags):
            continue
        enis = paginate(ec2, "describe_network_interfaces", "NetworkInterfaces",
                        Filters=[{"Name": "group-id", "Values": [g["GroupId"]]}])
        others = sorted(n["NetworkInterfaceId"] for n in enis if (n.get("Attachment") or {}).get("InstanceId")
                        not in going)
        users = [i["InstanceId"] for i in launched if any(x["GroupId"] == g["GroupId"] for x in _groups(i))]
        if not others:
            out.append(guard.Action(op="delete-launch-group", type="vpc:security-group", id=g["GroupId"],
                                    region=region, name=g.get("GroupName"), tags=tags, target=users[-1],
                                    touches=in_vpc(g.get("VpcId"), vpcs),
                                    state={"users": users}, detail={"why": "made by launch.py; nothing else uses it"}))
    for name in sorted({i.get("KeyName") for i in launched if i.get("KeyName")}):
        pairs = paginate(ec2, "describe_key_pairs", "KeyPairs", Filters=[{"Name": "key-name", "Values": [name]}])
        if not pairs or not _mine(tag_map(pairs[0].get("Tags"))):
            continue
        live = [i["InstanceId"] for i in paginate(ec2, "describe_instances", "Reservations[].Instances[]",
                                                  Filters=[{"Name": "key-name", "Values": [name]}])
                if i["State"]["Name"] not in DEAD and i["InstanceId"] not in going]
        if not live:
            users = [i["InstanceId"] for i in launched if i.get("KeyName") == name]
            out.append(guard.Action(op="delete-launch-key", type="ec2:key-pair", id=pairs[0]["KeyPairId"],
                                    region=region, name=name, tags=tag_map(pairs[0].get("Tags")), target=users[-1],
                                    state={"users": users}, detail={"why": "made by launch.py; no other instance "
                                                                           "uses it (the .pem file is kept)"}))
    out += placement_groups(ec2, launched, going, region)
    for inst in launched:
        lid = tag_map(inst.get("Tags"))[LAUNCH_TAG]
        for m in inst.get("BlockDeviceMappings", []):
            vid = (m.get("Ebs") or {}).get("VolumeId")
            vtags = parts.get(vid, {})
            if vid and not m["Ebs"].get("DeleteOnTermination") and _mine(vtags) and vtags.get(LAUNCH_TAG) == lid:
                out.append(guard.Action(op="delete-launch-volume", type="ec2:volume", id=vid, region=region,
                                        name=vtags.get("Name"), tags=vtags, target=inst["InstanceId"],
                                        state={"device": m["DeviceName"]},
                                        detail={"why": "a volume of the launch that would stay behind"}))
    return out


def placement_groups(ec2, launched: list[dict], going: set[str], region: str) -> list[guard.Action]:
    """A launch.py --cluster's placement group, once its last live node goes (Amazon EC2 User Guide, "Delete a
    placement group": "Before you can delete a placement group, it must contain no instances")."""
    out = []
    for name in sorted({(i.get("Placement") or {}).get("GroupName") for i in launched} - {None, ""}):
        try:
            [pg] = ec2.describe_placement_groups(GroupNames=[name])["PlacementGroups"]
        except Exception:  # noqa: BLE001 - gone already, or not visible: nothing to remove
            continue
        tags = tag_map(pg.get("Tags"))
        if not _mine(tags):
            continue
        live = [i["InstanceId"] for i in paginate(ec2, "describe_instances", "Reservations[].Instances[]")
                if (i.get("Placement") or {}).get("GroupName") == name and i["State"]["Name"] not in DEAD
                and i["InstanceId"] not in going]
        if not live:
            users = [i["InstanceId"] for i in launched if (i.get("Placement") or {}).get("GroupName") == name]
            out.append(guard.Action(op="delete-launch-placement-group", type="ec2:placement-group", id=name,
                                    region=region, name=name, tags=tags, target=users[-1], state={"users": users},
                                    detail={"why": "made by launch.py --cluster; no other instance is in it"}))
    return out


def do(ec2, action: guard.Action, wait_s: float = 300) -> dict:
    def call() -> dict:
        if action.op == "delete-launch-placement-group":
            ec2.delete_placement_group(GroupName=action.id)
        elif action.op == "delete-launch-group":
            ec2.delete_security_group(GroupId=action.id)
        elif action.op == "delete-launch-key":
            ec2.delete_key_pair(KeyName=action.name)  # by name: AWS takes either, moto ignores KeyPairId
        else:
            ec2.get_waiter("volume_available").wait(VolumeIds=[action.id])
            ec2.delete_volume(VolumeId=action.id)
        return {"deleted": action.id}

    return after_terminated(ec2, list(action.state.get("users") or [action.target]), call, wait_s,
                            ("DependencyViolation", "InvalidPlacementGroup.InUse"))
