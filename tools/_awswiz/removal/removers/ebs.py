"""ec2:volume, ec2:snapshot and ec2:image (AMIs the account owns).

- volume: AWS deletes only an `available` volume (EC2 API Reference: DeleteVolume; VolumeInUse otherwise). One
  attached to an instance the same plan terminates first (opts["going"], bulk.py) goes with it (DeleteOnTermination)
  or is deleted once it is terminated (waits.py); any other attached one is blocked, naming the commands that
  free it (terminating its instance, or detaching it once unmounted): detaching a mounted volume under a running
  program loses writes, so it is never planned.
- snapshot: one that a registered AMI uses cannot be deleted (EC2 API Reference: DeleteSnapshot,
  InvalidSnapshot.InUse): blocked, naming the AMI and the command that removes the AMI with its snapshots.
- image: deregister the AMI (one with deregistration protection is blocked, naming the command that lifts it),
  then delete its EBS snapshots, unless another AMI still uses one or it is
  protected (kept, and said so): deregistering alone leaves the snapshots billed (Amazon EC2 User Guide:
  Deregister an Amazon EC2 AMI). A deregistered AMI no longer names its snapshots, so the snapshots it goes with
  are tagged awswiz:teardown-of=AMI_ID and awswiz:managed=true just before DeregisterImage: a run killed in
  between is finished by planning the same AMI id again (its marked snapshots are deleted, the AMI is said to be
  gone already). A marker is trusted only on a snapshot the tools manage (awswiz:managed=true), and only for an
  AMI that is no longer registered: anyone may tag a snapshot.
"""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.expiry import MANAGED_KEY
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, lookup, settle, terminate
from _awswiz.removal.vpc_teardown import TEARDOWN_TAG
from _awswiz.removal.waits import after_terminated
from _awswiz.shell import hints


def _own_images(ec2) -> list[dict]:
    """Every AMI the account owns in the region: one call (moto lacks the block-device-mapping filter)."""
    return paginate(ec2, "describe_images", "Images", Owners=["self"])


def _snapshots_of(image: dict) -> list[str]:
    return [m["Ebs"]["SnapshotId"] for m in image.get("BlockDeviceMappings", [])
            if (m.get("Ebs") or {}).get("SnapshotId")]


# --- volumes ------------------------------------------------------------------------------------------------

def plan_volumes(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    actions, going, skipped = [], opts.get("going") or {}, []
    for v in lookup(ec2, "describe_volumes", "Volumes", "volume-id", ids):
        tags, blocked = tag_map(v.get("Tags")), None
        atts = [a for a in v.get("Attachments", []) if a.get("State") != "detached"]
        users = [a["InstanceId"] for a in atts]
        after = users if users and all(u in going for u in users) else []  # terminated earlier in this plan
        if after and all(a.get("DeleteOnTermination") for a in atts):
            skipped.append({"id": v["VolumeId"], "region": region, "type": "ec2:volume", "name": tags.get("Name"),
                            "reason": f"deleted with instance {', '.join(users)} (DeleteOnTermination)"})
            continue
        if after:  # AWS deletes only an available volume: once its instance is terminated (waits.py)
            actions.append(guard.Action(
                op="delete", type="ec2:volume", id=v["VolumeId"], region=region, name=tags.get("Name"), tags=tags,
                touches={f"instance {u} (terminated first)": going[u] for u in after},
                state={"state": v.get("State"), "attached_to": users, "after": after},
                detail={"size_gib": v.get("Size"), "volume_type": v.get("VolumeType"),
                        "after": f"instance {', '.join(after)} is terminated"}))
            continue
        if users:
            iid = users[0]
            blocked = (f"attached to {iid}; AWS deletes only an available volume (VolumeInUse). Terminate the "
                       f"instance ({terminate(ctx, 'ec2:instance', iid, region)}; the volume goes with it if "
                       f"DeleteOnTermination), or unmount it and detach it: "
                       f"{hints.aws_cli(ctx, 'ec2', 'detach-volume', '--volume-id', v['VolumeId'], region=region)}")
        elif v.get("State") != "available":
            blocked = f"the volume is {v.get('State')}; AWS deletes only an available volume"
        actions.append(guard.Action(
            op="delete", type="ec2:volume", id=v["VolumeId"], region=region, name=tags.get("Name"), tags=tags,
            state={"state": v.get("State"), "attached_to": users},
            detail={"size_gib": v.get("Size"), "volume_type": v.get("VolumeType"), "az": v.get("AvailabilityZone"),
                    "note": "the data is gone for good; --type ec2:instance --snapshot keeps a copy of an "
                            "instance's volumes"}, blocked=blocked))
    plan = settle(actions)
    plan.skipped += skipped
    return plan


# --- snapshots ----------------------------------------------------------------------------------------------

def plan_snapshots(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    used: dict[str, dict] = {}
    for img in _own_images(ec2):
        for sid in _snapshots_of(img):
            used.setdefault(sid, img)
    actions = []
    for s in lookup(ec2, "describe_snapshots", "Snapshots", "snapshot-id", ids, OwnerIds=["self"]):
        sid, tags, blocked = s["SnapshotId"], tag_map(s.get("Tags")), None
        if img := used.get(sid):
            blocked = (f"used by AMI {img['ImageId']} ({img.get('Name')}); AWS refuses (InvalidSnapshot.InUse) until "
                       f"the AMI is deregistered. Remove the AMI with its snapshots: "
                       f"{terminate(ctx, 'ec2:image', img['ImageId'], region)}")
        actions.append(guard.Action(
            op="delete", type="ec2:snapshot", id=sid, region=region, name=tags.get("Name"), tags=tags,
            state={"state": s.get("State"), "image": img["ImageId"] if img else None},
            detail={"size_gib": s.get("VolumeSize"), "volume": s.get("VolumeId"),
                    "description": s.get("Description") or ""}, blocked=blocked))
    return settle(actions)


# --- images (AMIs) ------------------------------------------------------------------------------------------

def trusted_marker(tags: dict) -> str | None:
    """The AMI id a snapshot's awswiz:teardown-of marker names, when the marker is trusted: on a snapshot the tools
    manage (awswiz:managed=true, written with the marker), never on anyone's snapshot."""
    ami = str(tags.get(TEARDOWN_TAG, ""))
    return ami if ami.startswith("ami-") and tags.get(MANAGED_KEY) == "true" else None


def _marked(ec2, ids: list[str]) -> list[dict]:
    """Snapshots marked (trusted_marker) awswiz:teardown-of=one of ids: an AMI deregistered by a run that stopped."""
    return [s for s in lookup(ec2, "describe_snapshots", "Snapshots", f"tag:{TEARDOWN_TAG}", ids, OwnerIds=["self"])
            if trusted_marker(tag_map(s.get("Tags")))]


def registered(ctx, region: str, ids: list[str]) -> set[str]:
    """The AMIs among ids the account still has registered in the region."""
    ec2 = ctx.aws.client("ec2", region)
    return {i["ImageId"] for i in lookup(ec2, "describe_images", "Images", "image-id", ids, Owners=["self"])}


def find_images(ctx, region: str, ids: list[str]) -> set[str]:
    """The AMIs the region holds, and those deregistered half-way there (their marked snapshots are left)."""
    ec2 = ctx.aws.client("ec2", region)
    found = {i["ImageId"] for i in lookup(ec2, "describe_images", "Images", "image-id", ids, Owners=["self"])}
    rest = [i for i in ids if i not in found]
    return found | ({tag_map(s.get("Tags")).get(TEARDOWN_TAG) for s in _marked(ec2, rest)} if rest else set())


def plan_images(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    """Deregister each AMI, then delete the snapshots no other AMI uses (each snapshot once, as an action of
    the last AMI of the plan that uses it)."""
    ec2 = ctx.aws.client("ec2", region)
    images = _own_images(ec2)
    going = [i for i in images if i["ImageId"] in ids]
    others: dict[str, list[str]] = {}
    for img in images:
        if img["ImageId"] not in ids:
            for sid in _snapshots_of(img):
                others.setdefault(sid, []).append(img["ImageId"])
    snap_ids = sorted({sid for img in going for sid in _snapshots_of(img)})
    snaps = {s["SnapshotId"]: s for s in lookup(ec2, "describe_snapshots", "Snapshots", "snapshot-id", snap_ids,
                                                 OwnerIds=["self"])} if snap_ids else {}
    actions, deletes, owner = [], [], {sid: img["ImageId"] for img in going for sid in _snapshots_of(img)}
    for img in going:
        iid, tags = img["ImageId"], tag_map(img.get("Tags"))
        mine = _snapshots_of(img)
        blocked = _protection_blocker(ctx, img, region)
        kept = {sid: f"also used by AMI {', '.join(others[sid])}" for sid in mine if sid in others}
        kept |= {sid: "not owned by this account" for sid in mine if sid not in snaps and sid not in kept}
        kept |= {sid: why for sid in mine
                 if sid not in kept and (why := guard.protection(tag_map(snaps[sid].get("Tags"))))}
        actions.append(guard.Action(
            op="deregister", type="ec2:image", id=iid, region=region, name=img.get("Name"), tags=tags,
            state={"state": img.get("State"), "snapshots": mine},
            detail={"created": img.get("CreationDate"), "root_device_type": img.get("RootDeviceType"),
                    "deletes_snapshots": [s for s in mine if s not in kept],
                    **({"keeps_snapshots": kept} if kept else {}),
                    "note": "instances launched from it keep running"}, blocked=blocked))
        deletes += [_snapshot_delete(snaps[sid], region, iid)
                    for sid in dict.fromkeys(mine) if sid not in kept and owner[sid] == iid]
    plan = settle(actions + deletes)
    if gone := [i for i in dict.fromkeys(ids) if i not in {img["ImageId"] for img in going}]:
        _finish(ec2, region, gone, {a.id for a in deletes}, others, plan)
    return plan


def _protection_blocker(ctx, img: dict, region: str) -> str | None:
    """Deregistration protection (DescribeImages Image.DeregistrationProtection: disabled, enabled,
    enabled-with-cooldown, or "disabled after TIME" while a 24-hour cooldown runs): AWS refuses DeregisterImage
    until it is disabled (EC2 API Reference: EnableImageDeregistrationProtection,
    DisableImageDeregistrationProtection)."""
    value = str(img.get("DeregistrationProtection") or "disabled")
    if value == "disabled":
        return None
    if value.startswith("disabled after"):
        return (f"deregistration protection was disabled with a cooldown ({value}): AWS refuses DeregisterImage "
                "until then; plan again after it")
    lift = hints.aws_cli(ctx, "ec2", "disable-image-deregistration-protection", "--image-id", img["ImageId"],
                         region=region)
    cooldown = "; with its cooldown AWS allows deregistering 24 hours after that" if "cooldown" in value else ""
    return f"deregistration protection is {value}: AWS refuses DeregisterImage; lift it with: {lift}{cooldown}"


def _snapshot_delete(s: dict, region: str, iid: str, **extra) -> guard.Action:
    """The delete of one of AMI iid's snapshots, as a step of that AMI, with the snapshot's own tags."""
    tags = tag_map(s.get("Tags"))
    return guard.Action(op="delete", type="ec2:snapshot", id=s["SnapshotId"], region=region, target=iid,
                        name=tags.get("Name"), tags=tags, state={"size_gib": s.get("VolumeSize")},
                        detail={"size_gib": s.get("VolumeSize"), "image": iid}, **extra)


def _finish(ec2, region: str, gone: list[str], planned: set[str], used: dict[str, list[str]],
            plan: guard.Plan) -> None:
    """AMIs already deregistered by a run that stopped: delete the snapshots it marked (unless an AMI uses one
    again: AWS refuses InvalidSnapshot.InUse), and say that the AMI is gone."""
    by_image: dict[str, list[dict]] = {}
    for s in _marked(ec2, gone):
        by_image.setdefault(tag_map(s.get("Tags"))[TEARDOWN_TAG], []).append(s)
    for iid in gone:
        snaps = [s for s in by_image.get(iid, []) if s["SnapshotId"] not in planned]
        for s in snaps:
            sid = s["SnapshotId"]
            blocked = f"used again by AMI {', '.join(used[sid])}; AWS refuses (InvalidSnapshot.InUse)" \
                if sid in used else None
            plan.actions.append(_snapshot_delete(s, region, iid, blocked=blocked))
        plan.skipped.append({"id": iid, "type": "ec2:image", "region": region, "name": None, "reason":
                             "already deregistered (a run stopped half-way); "
                             + (f"its {len(snaps)} marked snapshot(s) are deleted now" if snaps else "nothing left")})


def do(ctx, action: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", action.region)
    if action.type == "ec2:volume" and (after := action.state.get("after")):
        after_terminated(ec2, after, lambda: ec2.delete_volume(VolumeId=action.id))
    elif action.type == "ec2:volume":
        ec2.delete_volume(VolumeId=action.id)
    elif action.type == "ec2:image":
        if snaps := action.detail.get("deletes_snapshots"):  # a re-plan finds them by this mark
            ec2.create_tags(Resources=snaps, Tags=[{"Key": TEARDOWN_TAG, "Value": action.id},
                                                   {"Key": MANAGED_KEY, "Value": "true"}])
        ec2.deregister_image(ImageId=action.id)
    else:
        ec2.delete_snapshot(SnapshotId=action.id)
    return {"deleted" if action.op == "delete" else "deregistered": action.id}


register(
    Remover(type="ec2:volume", id_pattern=id_pattern("vol"), id_example="vol-0123456789abcdef0",
            find=finder("describe_volumes", "Volumes", "volume-id", "VolumeId"), plan=plan_volumes, do=do),
    Remover(type="ec2:snapshot", id_pattern=id_pattern("snap"), id_example="snap-0123456789abcdef0",
            find=finder("describe_snapshots", "Snapshots", "snapshot-id", "SnapshotId", OwnerIds=["self"]),
            plan=plan_snapshots, do=do),
    Remover(type="ec2:image", id_pattern=id_pattern("ami"), id_example="ami-0123456789abcdef0",
            find=find_images, plan=plan_images, do=do),
)
