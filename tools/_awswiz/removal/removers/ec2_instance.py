"""ec2:instance: terminate, listing what stays behind; a persistent spot request or a maintain fleet is
cancelled first (AWS would relaunch otherwise); --snapshot snapshots the EBS volumes first; what launch.py
made for the instance goes with it once nothing else uses it (launch_cleanup.py)."""

from __future__ import annotations

import datetime as _dt

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.compute import instance_rules as rules
from _awswiz.guard import targets
from _awswiz.inventory.table import tag_map
from _awswiz.removal import launch_cleanup, launch_extras
from _awswiz.removal.removers import Remover, register
from _awswiz.shell.errors import AwsWizError


def find(ctx, region: str, ids: list[str]) -> set[str]:
    ec2 = ctx.aws.client("ec2", region)
    return {i["InstanceId"] for i in targets.instances(ec2, ids) if i["State"]["Name"] != "terminated"}


def managed_tags(tool: str, **extra: str) -> list[dict]:
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    tags = {"awswiz:managed": "true", "awswiz:owner": tool, "awswiz:created-at": now, **extra}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def fleets(ec2, insts: list[dict]) -> dict[str, dict]:
    """{fleet id: {"kind", "type", "state"}} for the Spot Fleets and EC2 Fleets the instances belong to."""
    ids = {kind: sorted({f[1] for i in insts if (f := rules.fleet_of(i)) and f[0] == tag})
           for kind, tag in zip(("spot-fleet", "ec2-fleet"), rules.FLEET_TAGS, strict=True)}
    out = {}
    if ids["spot-fleet"]:
        for f in paginate(ec2, "describe_spot_fleet_requests", "SpotFleetRequestConfigs",
                          SpotFleetRequestIds=ids["spot-fleet"]):
            out[f["SpotFleetRequestId"]] = {"kind": "spot-fleet", "state": f.get("SpotFleetRequestState"),
                                            "type": f.get("SpotFleetRequestConfig", {}).get("Type") or "maintain",
                                            "tags": tag_map(f.get("Tags"))}
    if ids["ec2-fleet"]:
        for f in paginate(ec2, "describe_fleets", "Fleets", FleetIds=ids["ec2-fleet"]):
            out[f["FleetId"]] = {"kind": "ec2-fleet", "state": f.get("FleetState"), "type": f.get("Type") or "maintain",
                                 "tags": tag_map(f.get("Tags"))}
    return out


def relaunch_guard(inst: dict, req: dict | None, fleet: dict, region: str, done: set) -> guard.Action | None:
    """The step that keeps AWS from launching a replacement ("Terminate a Spot Instance"): cancel the persistent
    spot request, or the fleet of type maintain (without terminating its other instances), first."""
    iid = inst["InstanceId"]
    if (f := rules.fleet_of(inst)) and (info := fleet.get(f[1])):
        if info["type"] != "maintain" or info["state"] not in ("submitted", "active", "modifying") or f[1] in done:
            return None
        done.add(f[1])
        return guard.Action(
            op="cancel-fleet", type=f"ec2:{info['kind']}", id=f[1], region=region, target=iid, tags=info["tags"],
            state={k: v for k, v in info.items() if k != "tags"},
            detail={"why": f"a fleet of type maintain replaces {iid} when it is terminated",
                    "terminate_instances": False,
                    "note": "the fleet's other instances keep running, but are no longer replaced"})
    if req and req.get("Type") == "persistent" and req.get("State") in rules.LIVE_REQUEST:
        return guard.Action(
            op="cancel-spot-request", type="ec2:spot-request", id=req["SpotInstanceRequestId"], region=region,
            target=iid, tags=tag_map(req.get("Tags")), state={"type": "persistent", "state": req.get("State")},
            detail={"why": f"a persistent spot request launches a new instance when {iid} is terminated"})
    return None


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2, snapshot = ctx.aws.client("ec2", region), bool(opts.get("snapshot"))
    found = [i for i in targets.instances(ec2, ids) if i["State"]["Name"] != "terminated"]
    eips = paginate(ec2, "describe_addresses", "Addresses", Filters=[{"Name": "instance-id", "Values": ids}])
    parts = rules.attached_parts(ec2, ids)
    requests, fleet, cancelled = rules.spot_requests(ec2, found), fleets(ec2, found), set()
    cleanup = launch_cleanup.actions(ec2, found, region, parts)  # what launch.py made for them (issue 9)
    cleanup += launch_extras.actions(ctx, found, region)  # their role, profile and idle alarm (issue 24)
    deleted = {a.id for a in cleanup if a.op == "delete-launch-volume"}
    plan = guard.Plan(actions=[])
    for inst in found:
        iid, tags = inst["InstanceId"], tag_map(inst.get("Tags"))
        blocked = rules.terminate_blocker(ctx, ec2, inst, region)
        ebs = [(m["DeviceName"], m["Ebs"]) for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m]
        mine = [a for a in eips if a.get("InstanceId") == iid]
        stays = [f"volume {e['VolumeId']} ({dev}): DeleteOnTermination is false, it stays and is billed"
                 for dev, e in ebs if not e.get("DeleteOnTermination") and e["VolumeId"] not in deleted]
        stays += [f"Elastic IP {a.get('PublicIp')} ({a.get('AllocationId')}) stays allocated and is billed"
                  for a in mine]
        if snapshot:
            for dev, e in ebs:  # each volume with its own tags; it touches its instance (protection reaches it)
                plan.actions.append(guard.Action(
                    op="snapshot", type="ec2:volume", id=e["VolumeId"], region=region, target=iid,
                    tags=parts.get(e["VolumeId"], {}), touches={f"instance {iid}": tags},
                    state={"attached_to": iid, "device": dev}, detail={"device": dev, "instance": iid},
                    blocked=blocked))
        if step := relaunch_guard(inst, requests.get(iid), fleet, region, cancelled):
            plan.actions.append(step)
        plan.actions.append(guard.Action(
            op="terminate", type="ec2:instance", id=iid, region=region, name=tags.get("Name"), tags=tags,
            touches=rules.deleted_with(inst, parts),
            state={"state": inst["State"]["Name"], "volumes": [(d, e["VolumeId"], e.get("DeleteOnTermination"))
                                                              for d, e in ebs],
                   "eips": sorted(a.get("AllocationId", "") for a in mine)},
            detail={"instance_type": inst.get("InstanceType"), "state": inst["State"]["Name"],
                    "deletes_volumes": [e["VolumeId"] for _, e in ebs if e.get("DeleteOnTermination")],
                    "stays_behind": stays}, blocked=blocked))
    plan.actions += cleanup
    return plan


def do(ctx, action: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", action.region)
    if action.op in launch_cleanup.OPS:
        return launch_cleanup.do(ec2, action)
    if action.op in launch_extras.OPS:
        return launch_extras.do(ctx, action)
    if action.op == "snapshot":
        snap = ec2.create_snapshot(
            VolumeId=action.id, Description=f"awswiz: before terminating {action.target}",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": managed_tags("terminate")}])
        ec2.get_waiter("snapshot_completed").wait(SnapshotIds=[snap["SnapshotId"]],
                                                 WaiterConfig={"Delay": 15, "MaxAttempts": 240})
        return {"snapshot_id": snap["SnapshotId"]}
    if action.op == "cancel-spot-request":
        out = ec2.cancel_spot_instance_requests(SpotInstanceRequestIds=[action.id])
        return {"state": out["CancelledSpotInstanceRequests"][0]["State"]}
    if action.op == "cancel-fleet":
        if action.type == "ec2:spot-fleet":
            out = ec2.cancel_spot_fleet_requests(SpotFleetRequestIds=[action.id], TerminateInstances=False)
            failed = out.get("UnsuccessfulFleetRequests")
        else:
            out = ec2.delete_fleets(FleetIds=[action.id], TerminateInstances=False)
            failed = out.get("UnsuccessfulFleetDeletions")
        if failed:
            raise AwsWizError(f"fleet {action.id} was not cancelled: {failed[0].get('Error')}",
                              "the instance was not terminated; check the fleet and plan again")
        return {"cancelled": action.id}
    out = ec2.terminate_instances(InstanceIds=[action.id])["TerminatingInstances"][0]
    return {"state": out["CurrentState"]["Name"]}


register(Remover(type="ec2:instance", id_pattern=targets.INSTANCE_ID, id_example="i-0123456789abcdef0",
                 find=find, plan=plan, do=do, options=("snapshot",)))
