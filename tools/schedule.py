#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Tag EC2 instances to be stopped at night and started in the morning (applied by reap.py runs):
set and remove are changes (plan first, then --confirm TOKEN); list shows scheduled instances."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.guard import regional, targets
from _awswiz.inventory.table import tag_map
from _awswiz.removal import schedules
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result, table

app = cli.make_app(__doc__)
ACTIONS = ("set", "list", "remove")
GONE = {"terminated", "shutting-down"}


def plan_region(ctx, region: str, ids: list[str], tags: dict, new: schedules.Schedule | None) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
    plan = guard.Plan(actions=[])
    for inst in targets.instances(ec2, ids or None, filters):
        iid, itags, state = inst["InstanceId"], tag_map(inst.get("Tags")), inst["State"]["Name"]
        old, name = itags.get(schedules.KEY), itags.get("Name")
        if state in GONE:
            continue
        if new is not None and old == new.value:
            plan.skipped.append({"id": iid, "region": region, "type": "ec2:instance", "name": name,
                                 "reason": f"already has {schedules.KEY}={old}"})
            continue
        if new is None and old is None:
            plan.skipped.append({"id": iid, "region": region, "type": "ec2:instance", "name": name,
                                 "reason": f"has no {schedules.KEY} tag"})
            continue
        plan.actions.append(guard.Action(
            op="set-schedule" if new else "remove-schedule", type="ec2:instance", id=iid, region=region, name=name,
            tags=itags, state={"schedule": old, "state": state},
            detail={"schedule": new.value if new else None, "was": old, "state": state}))
    return plan


def do(ctx, action: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", action.region)
    if action.op == "set-schedule":
        ec2.create_tags(Resources=[action.id], Tags=[{"Key": schedules.KEY, "Value": action.detail["schedule"]}])
    else:
        ec2.delete_tags(Resources=[action.id], Tags=[{"Key": schedules.KEY}])
    return {"schedule": action.detail["schedule"]}


def listing(ctx) -> Result:
    from _awswiz.aws.fanout import FanOut

    regions, skipped = ctx.regions(default="all")
    ctx.aws.account_id()  # the envelope names the account it listed (DESIGN.md: account)
    fan = FanOut(min(ctx.aws.workers, len(regions)))
    for r in regions:
        fan.submit(r, lambda r=r: targets.instances(ctx.aws.client("ec2", r), filters=[
            {"Name": "tag-key", "Values": [schedules.KEY]}]), region=r, what="listing scheduled instances")
    found, errors = fan.wait()
    now, rows = _dt.datetime.now(_dt.UTC), []
    for r in regions:
        for inst in found.get(r) or []:
            tags = tag_map(inst.get("Tags"))
            row = {"id": inst["InstanceId"], "region": r, "name": tags.get("Name"), "state": inst["State"]["Name"],
                   "schedule": tags.get(schedules.KEY)}
            try:
                want, since = schedules.wanted(schedules.parse(row["schedule"]), now)
                row.update(wanted_now=want, since=since.isoformat(timespec="minutes"))
            except schedules.Invalid as exc:
                row["problem"] = str(exc)
            rows.append(row)
    return Result(data={"instances": rows, "regions": regions, "skipped_regions": skipped}, errors=errors,
                  render=render_list)


def render_list(console, data: dict) -> None:
    console.print(table("Scheduled instances", ["id", "region", "name", "state", "schedule", "now"],
                        [[i["id"], i["region"], i.get("name"), i["state"], i["schedule"],
                          i.get("wanted_now") or i.get("problem")] for i in data["instances"]]))


@cli.command(app, "schedule")
def main(
    ctx: cli.Ctx,
    action: Annotated[str, typer.Argument(metavar="set|list|remove", help="What to do.")],
    id: Annotated[list[str] | None, typer.Option(
        "--id", help="Instance id(s): repeat or comma-separate; without --region, found in any region.")] = None,
    tag: Annotated[list[str] | None, typer.Option(
        "--tag", help="Select instances by tag KEY=VALUE (repeatable; all must match).")] = None,
    stop: Annotated[str | None, typer.Option("--stop", metavar="HH:MM", help="set: stop at (24-hour).")] = None,
    start: Annotated[str | None, typer.Option("--start", metavar="HH:MM", help="set: start at (24-hour).")] = None,
    tz: Annotated[str, typer.Option("--tz", metavar="ZONE", help="set: IANA time zone of the times.")] = "UTC",
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to touch more instances than this.")] = 10,
) -> Result:
    """set: tag instances awswiz:schedule=stop=HH:MM;start=HH:MM;tz=ZONE; remove: drop the tag; list: the
    scheduled instances across regions with what they should be now. reap.py applies schedules."""
    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})",
                       f"e.g. {hints.command(ctx, 'schedule', 'list')}")
    if action == "list":
        return listing(ctx)
    new = None
    if action == "set":
        if not stop or not start:
            raise BadInput(f"set needs --stop HH:MM and --start HH:MM (format: {schedules.FORMAT})",
                           "e.g. --stop 20:00 --start 08:00 --tz UTC")
        try:
            new = schedules.make(stop, start, tz)
        except schedules.Invalid as exc:
            raise BadInput(f"{exc} (a schedule is {schedules.FORMAT})", "e.g. --stop 20:00 --start 08:00") from None
    elif stop or start:
        raise BadInput("--stop and --start go with set only", "drop them for remove")
    ids = targets.check_ids(ctx, targets.split_ids(ctx, id), targets.INSTANCE_ID, "instance id", "i-0123456789abcdef0")
    tags = cli.parse_tags(tag)
    if not ids and not tags:
        raise BadInput("say which instances: --id ID or --tag KEY=VALUE",
                       "list the scheduled ones: " + hints.command(ctx, "schedule", "list"))

    def build() -> guard.Plan:
        scope = {"schedule": new.value if new else None, "ids": ids, "tags": tags}
        if ids:
            ec2_find = lambda r, ids: {i["InstanceId"] for i in targets.instances(ctx.aws.client("ec2", r), ids)}  # noqa: E731
            where = regional.locate(ctx, ids, ec2_find, "ec2:instance")
        else:
            where = regional.regions(ctx)
        return regional.plan(ctx, where, lambda r, rids: plan_region(ctx, r, rids, tags, new), scope=scope)

    return guard.run(ctx, build, lambda a: do(ctx, a), confirm=confirm, max_count=max_, explicit=bool(ids),
                     verify=[hints.command(ctx, "schedule", "list")])


if __name__ == "__main__":
    cli.main(app, "schedule")
