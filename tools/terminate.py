#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15"]
# ///
"""Permanently delete EC2 instances or S3 buckets (plan first, then --confirm TOKEN)."""

from __future__ import annotations

import datetime as _dt
import enum
from typing import Annotated

import typer
from _awswiz import cli, guard, launch_cleanup, targets
from _awswiz import instance_rules as rules
from _awswiz.aws import paginate
from _awswiz.errors import AwsWizError, BadInput
from _awswiz.output import Result
from _awswiz.resources import tag_map
from _awswiz.s3_empty import bucket_action, empty_and_delete

app = cli.make_app(__doc__)


class Kind(enum.StrEnum):
    ec2 = "ec2"
    s3 = "s3"


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
                                            "type": f.get("SpotFleetRequestConfig", {}).get("Type") or "maintain"}
    if ids["ec2-fleet"]:
        for f in paginate(ec2, "describe_fleets", "Fleets", FleetIds=ids["ec2-fleet"]):
            out[f["FleetId"]] = {"kind": "ec2-fleet", "state": f.get("FleetState"), "type": f.get("Type") or "maintain"}
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
            op="cancel-fleet", type=f"ec2:{info['kind']}", id=f[1], region=region, target=iid, state=info,
            detail={"why": f"a fleet of type maintain replaces {iid} when it is terminated",
                    "terminate_instances": False,
                    "note": "the fleet's other instances keep running, but are no longer replaced"})
    if req and req.get("Type") == "persistent" and req.get("State") in rules.LIVE_REQUEST:
        return guard.Action(
            op="cancel-spot-request", type="ec2:spot-request", id=req["SpotInstanceRequestId"], region=region,
            target=iid, state={"type": "persistent", "state": req.get("State")},
            detail={"why": f"a persistent spot request launches a new instance when {iid} is terminated"})
    return None


def plan_ec2(ctx, ec2, region: str, ids: list[str], snapshot: bool) -> guard.Plan:
    found = [i for i in targets.instances(ec2, ids) if i["State"]["Name"] != "terminated"]
    targets.require_found(ids, {i["InstanceId"] for i in found}, "instance (not terminated)", region)
    eips = paginate(ec2, "describe_addresses", "Addresses", Filters=[{"Name": "instance-id", "Values": ids}])
    parts = rules.attached_parts(ec2, ids)
    requests, fleet, cancelled = rules.spot_requests(ec2, found), fleets(ec2, found), set()
    plan = guard.Plan(actions=[], scope={"type": "ec2", "region": region, "ids": ids, "snapshot": snapshot})
    for inst in found:
        iid, tags = inst["InstanceId"], tag_map(inst.get("Tags"))
        blocked = rules.terminate_blocker(ctx, ec2, inst, region, parts)
        ebs = [(m["DeviceName"], m["Ebs"]) for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m]
        mine = [a for a in eips if a.get("InstanceId") == iid]
        stays = [f"volume {e['VolumeId']} ({dev}): DeleteOnTermination is false, it stays and is billed"
                 for dev, e in ebs if not e.get("DeleteOnTermination")]
        stays += [f"Elastic IP {a.get('PublicIp')} ({a.get('AllocationId')}) stays allocated and is billed"
                  for a in mine]
        if snapshot:
            for dev, e in ebs:  # the volumes of a protected instance are protected with it
                plan.actions.append(guard.Action(
                    op="snapshot", type="ec2:volume", id=e["VolumeId"], region=region, target=iid,
                    state={"attached_to": iid, "device": dev}, detail={"device": dev, "instance": iid},
                    blocked=blocked or guard.protection(tags)))
        if step := relaunch_guard(inst, requests.get(iid), fleet, region, cancelled):
            plan.actions.append(step)
        plan.actions.append(guard.Action(
            op="terminate", type="ec2:instance", id=iid, region=region, name=tags.get("Name"), tags=tags,
            state={"state": inst["State"]["Name"], "volumes": [(d, e["VolumeId"], e.get("DeleteOnTermination"))
                                                              for d, e in ebs],
                   "eips": sorted(a.get("AllocationId", "") for a in mine)},
            detail={"instance_type": inst.get("InstanceType"), "state": inst["State"]["Name"],
                    "deletes_volumes": [e["VolumeId"] for _, e in ebs if e.get("DeleteOnTermination")],
                    "stays_behind": stays}, blocked=blocked))
    plan.actions += launch_cleanup.actions(ec2, found, region)  # what launch.py made for them (issue 9)
    return plan


def do_ec2(ec2, action: guard.Action) -> dict:
    if action.op in launch_cleanup.OPS:
        return launch_cleanup.do(ec2, action)
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


@cli.command(app, "terminate")
def main(
    ctx: cli.Ctx,
    type_: Annotated[Kind, typer.Option("--type", help="What to delete: ec2 (instances) or s3 (buckets).")],
    id: Annotated[list[str], typer.Option(
        "--id", help="Instance id(s) or bucket name(s): repeat or comma-separate.")],
    snapshot: Annotated[bool, typer.Option(
        "--snapshot", help="ec2: snapshot every attached EBS volume first (and wait for it).")] = False,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to delete more resources than this.")] = 10,
) -> Result:
    """Terminate instances (listing what stays behind; a persistent spot request or maintain fleet is cancelled
    first) or empty and delete buckets, versions included (s3: --region keeps to buckets in that region)."""
    ids = targets.split_ids(id)
    if type_ is Kind.ec2:
        targets.check_ids(ids, targets.INSTANCE_ID, "instance id", "i-0123456789abcdef0")
        region = targets.one_region(ctx)
        ec2 = ctx.aws.client("ec2", region)
        return guard.run(ctx, lambda: plan_ec2(ctx, ec2, region, ids, snapshot), lambda a: do_ec2(ec2, a),
                         confirm=confirm, max_count=max_, verify=[f"uv run tools/scan.py --region {region}"])
    targets.check_ids(ids, targets.BUCKET_NAME, "bucket name", "my-bucket-name (3-63 of a-z 0-9 . -)")
    if snapshot:
        raise BadInput("--snapshot applies to --type ec2 only", "drop --snapshot for buckets")

    region = targets.one_region(ctx) if ctx.region_spec else None  # --region: only buckets that live there

    def build() -> guard.Plan:
        return guard.Plan(actions=[bucket_action(ctx.aws, b, region) for b in ids],
                          scope={"type": "s3", "ids": ids, "region": region})

    return guard.run(ctx, build, lambda a: empty_and_delete(ctx.aws.client("s3", a.region), a.id),
                     confirm=confirm, max_count=max_, verify=["uv run tools/scan.py --service s3"])


if __name__ == "__main__":
    cli.main(app, "terminate")
