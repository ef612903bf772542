#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Stop EC2 instances (plan first, then --confirm TOKEN). What AWS would refuse (spot rules, stop protection,
instance-store roots) is shown in the plan, not discovered half-way."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.compute import instance_rules as rules
from _awswiz.guard import accounts, regional, targets
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput, error_entry
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
STOPPED = {"stopped", "stopping"}
GONE = {"terminated", "shutting-down"}


def tag_filters(tags: dict[str, str]) -> list[dict]:
    return [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]


def find(ctx, region: str, ids: list[str]) -> set[str]:
    """The ids region holds, in any state (a terminated one is explained by the plan, not "not found")."""
    return {i["InstanceId"] for i in targets.instances(ctx.aws.client("ec2", region), ids)}


def count_running(ctx, region: str, tags: dict[str, str]) -> int:
    """Instances a tag selection would stop in region: one filtered call (for regional.elsewhere)."""
    live = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]
    return len(targets.instances(ctx.aws.client("ec2", region), None, tag_filters(tags) + live))


def plan_stop(ctx, region: str, ids: list[str], tags: dict[str, str]) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    found = targets.instances(ec2, ids or None, tag_filters(tags))
    if ids:
        targets.require_found(ctx, ids, {i["InstanceId"] for i in found}, "instance", region)
    plan = guard.Plan(actions=[])
    live = [i for i in found if i["State"]["Name"] not in STOPPED | GONE]
    requests = rules.spot_requests(ec2, live)
    for inst in found:
        iid, state = inst["InstanceId"], inst["State"]["Name"]
        itags = tag_map(inst.get("Tags"))
        name = itags.get("Name")
        if state in STOPPED:
            plan.skipped.append({"id": iid, "region": region, "type": "ec2:instance", "name": name,
                                 "reason": f"already {state}"})
            continue
        if state in GONE:
            if ids:
                plan.errors.append(error_entry("CannotStop", f"{iid} is {state}", "", region))
            continue
        lifecycle = inst.get("InstanceLifecycle") or "on-demand"
        why = rules.spot_stop_refusal(inst, requests.get(iid)) if lifecycle == "spot" else None
        if why:  # what AWS would refuse is left out and explained (exit 0), not an error (exit 3: regions failed)
            plan.skipped.append({"id": iid, "region": region, "type": "ec2:instance", "name": name, "reason":
                                 f"a spot instance AWS cannot stop: {why}. {rules.SPOT_STOP_RULE}; terminate it "
                                 "instead (the plan cancels a persistent request first): "
                                 + hints.command(ctx, "terminate", "--type", "ec2", "--id", iid, region=region)})
            continue
        volumes = [m["Ebs"]["VolumeId"] for m in inst.get("BlockDeviceMappings", []) if "Ebs" in m]
        req = requests.get(iid, {}).get("SpotInstanceRequestId")
        spot_note = {"spot_request": f"{req} becomes disabled while the instance is stopped"} if req else {}
        plan.actions.append(guard.Action(
            op="stop", type="ec2:instance", id=iid, region=region, name=name, tags=itags,
            state={"state": state, "lifecycle": lifecycle, "volumes": volumes,
                   "enis": sorted(n["NetworkInterfaceId"] for n in inst.get("NetworkInterfaces", []))},
            detail={"instance_type": inst.get("InstanceType"), "state": state, "lifecycle": lifecycle,
                    "note": f"EBS volumes ({len(volumes)}) are kept and still billed", **spot_note},
            blocked=rules.stop_blocker(ctx, ec2, inst, region)))
    return plan


def wait_stopped(ctx, results: list[dict]) -> None:
    by_region: dict[str, list[str]] = {}
    for r in results:
        if r["ok"]:
            by_region.setdefault(r["region"], []).append(r["id"])
    for region, ids in by_region.items():
        ec2 = ctx.aws.client("ec2", region)
        ec2.get_waiter("instance_stopped").wait(InstanceIds=ids, WaiterConfig={"Delay": 5, "MaxAttempts": 120})
        states = {i["InstanceId"]: i["State"]["Name"] for i in targets.instances(ec2, ids)}
        for r in results:
            if r["id"] in states:
                r["state"] = states[r["id"]]


@cli.command(app, "stop", accounts=True)
def main(
    ctx: cli.Ctx,
    id: Annotated[list[str] | None, typer.Option(
        "--id", help="Instance id(s) to stop: repeat or comma-separate (i-0abc,i-0def).")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Select instances by tag KEY=VALUE (repeatable; all must match).")] = None,
    wait: Annotated[bool, typer.Option("--wait", help="After stopping, wait until the instances are stopped.")] = False,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to touch more instances than this.")] = 10,
) -> Result:
    """Stop EC2 instances. Without --confirm: print the plan and a token; nothing changes. With --id and no
    --region, each id is found in whichever enabled region holds it; --tag without --region selects in the
    home region and says where else it matches (data.elsewhere); --region a,b|all plans there at once."""
    if id is not None and tag is not None:  # as terminate.py: one way of selecting per run
        raise BadInput("--id and --tag select in two ways: give one of them", "e.g. --tag project=x, or --id i-0abc")
    ids = targets.check_ids(ctx, targets.split_ids(ctx, id), targets.INSTANCE_ID, "instance id", "i-0123456789abcdef0")
    tags = cli.parse_tags(tag, strict=True)
    if not ids and not tags:
        raise BadInput("say which instances: --id ID or --tag KEY=VALUE",
                       "find them: " + hints.command(ctx, "scan", "--service", "ec2:instance"))

    def build_in(c, ids) -> guard.Plan:
        per_region = regional.where(c, ids, lambda r, ids: find(c, r, ids), "ec2:instance")
        return regional.plan(c, per_region, lambda r, ids: plan_stop(c, r, ids, tags),
                             scope={"ids": ids, "tags": tags})

    def do_in(c, action: guard.Action) -> dict:
        ec2 = c.aws.client("ec2", action.region)
        out = ec2.stop_instances(InstanceIds=[action.id])["StoppingInstances"][0]
        return {"state": out["CurrentState"]["Name"]}

    build, do = accounts.across(ctx, build_in, do_in, ids, find, "instance")

    def wait_all(results: list[dict]) -> None:  # each account's instances through that account's clients
        for acct in dict.fromkeys(r.get("account") for r in results):
            wait_stopped(do.ctx_of(acct) if acct else ctx, [r for r in results if r.get("account") == acct])

    result = guard.run(ctx, build, do, confirm=confirm, max_count=max_, explicit=bool(ids),
                       verify=[regional.verify_scan(ctx, "--service", "ec2:instance")],
                       after=wait_all if wait else None)
    if ids or ctx.multi:
        return result
    return regional.elsewhere(ctx, result, lambda r: count_running(ctx, r, tags), confirm,
                              "running instances with these tags")


if __name__ == "__main__":
    cli.main(app, "stop")
