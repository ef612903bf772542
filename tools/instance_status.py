#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "paramiko>=3.4", "cryptography>=42"]
# ///
"""The instances AwsWiz launched (tag awswiz:managed=true), newest first: state, uptime, cost so far (the
price now times the time running since launch: an estimate, not the bill), TTL left, the ssh line, and whether
SSH answers (an SSH banner on the port). Read-only."""

from __future__ import annotations

import datetime as _dt
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.aws.fanout import FanOut
from _awswiz.compute import jump, keys, pricing, ssh
from _awswiz.compute.launch_plan import local_endpoint
from _awswiz.inventory.table import tag_map
from _awswiz.removal import expiry
from _awswiz.shell import hints
from _awswiz.shell.errors import EXIT_PARTIAL
from _awswiz.shell.output import Result, table

app = cli.make_app(__doc__)
LIVE = ["pending", "running", "stopping", "stopped"]


def managed(ec2) -> list[dict]:
    pages = ec2.get_paginator("describe_instances").paginate(Filters=[
        {"Name": "tag:awswiz:managed", "Values": ["true"]}, {"Name": "instance-state-name", "Values": LIVE}])
    return [i for p in pages for r in p["Reservations"] for i in r["Instances"]]


def row(ctx, inst: dict, region: str, price: float | None, check_ssh: bool, now: _dt.datetime,
        boxes: list[dict] = ()) -> dict:
    tags = tag_map(inst.get("Tags"))
    state = inst["State"]["Name"]
    launched = inst.get("LaunchTime")
    hours = (now - launched).total_seconds() / 3600 if launched and state == "running" else None
    out = {"id": inst["InstanceId"], "region": region, "name": tags.get("Name"), "type": inst["InstanceType"],
           "state": state, "lifecycle": inst.get("InstanceLifecycle") or "on-demand",
           "launched": launched.isoformat(timespec="seconds") if launched else None,
           "uptime_h": round(hours, 2) if hours is not None else None, "price_per_hour": price,
           "cost_so_far": round(hours * price, 2) if hours is not None and price is not None else None}
    if tags.get(expiry.EXPIRES_KEY):
        when, bad = expiry.parse_expiry(tags[expiry.EXPIRES_KEY])  # reap's reader: what it judges, shown here
        out.update(expires_at=tags[expiry.EXPIRES_KEY])
        if bad:
            out["expiry_error"] = bad
        else:
            out["ttl_left_h"] = round(max((when - now).total_seconds() / 3600, 0), 2)
    key = tags.get(ssh.KEY_TAG) or inst.get("KeyName")
    local = local_endpoint(ctx)
    via = None
    if state == "running" and jump.private(inst):  # reached through a head of its VPC, as connect.py does
        via = jump.choose(inst, jump.usable(boxes, inst["VpcId"]), local)
        addr = (inst["PrivateIpAddress"], 22) if via else None  # no head: no line that would work
    else:
        addr = ssh.address(inst, local) if state == "running" else None
    if addr and key and keys.saved(key):  # a tag never becomes a path unchecked
        out["ssh"] = ssh.command_line(*addr, tags.get(ssh.USER_TAG) or "ubuntu", key, via)
        out["connect"] = hints.command(ctx, "connect", "--id", inst["InstanceId"], region=region,
                                       after=("nvidia-smi",))
    if via:
        out["ssh_via"] = via["id"]  # ssh_answers is not probed through it: that takes a login on the head
    elif addr and check_ssh:
        out["ssh_answers"] = ssh.port_open(*addr)
    return out


def region_rows(ctx, region: str, check_ssh: bool, now) -> list[dict]:
    ec2 = ctx.aws.client("ec2", region)
    insts = managed(ec2)
    if not insts:
        return []
    types = sorted({i["InstanceType"] for i in insts})
    spot = pricing.spot_by_az(ec2, types) if any(i.get("InstanceLifecycle") == "spot" for i in insts) else {}
    on_demand = {}
    for t in types:
        try:
            on_demand[t] = pricing.fetch_on_demand(ctx.aws.client("pricing", pricing.PRICING_REGION), t).get(region)
        except Exception:  # noqa: BLE001 - the price is an estimate; the rest of the row stands without it
            on_demand[t] = None
    return [row(ctx, i, region, price_of(i, spot, on_demand), check_ssh, now, insts) for i in insts]


def price_of(inst: dict, spot: dict, on_demand: dict) -> float | None:
    """A spot box at the spot price of its own AZ (a spot price is per AZ), else the on-demand price."""
    if inst.get("InstanceLifecycle") != "spot":
        return on_demand.get(inst["InstanceType"])
    az = (inst.get("Placement") or {}).get("AvailabilityZone")
    return spot.get(inst["InstanceType"], {}).get(az, {}).get("price")


def render(console, data: dict) -> None:
    console.print(table("AwsWiz instances (newest first)",
                        ["id", "name", "region", "type", "state", "uptime h", "cost $", "TTL left h", "ssh"],
                        [[r["id"], r.get("name"), r["region"], r["type"], r["state"], r.get("uptime_h"),
                          r.get("cost_so_far"), r.get("ttl_left_h"),
                          {True: "answers", False: "no answer"}.get(r.get("ssh_answers"), "")]
                         for r in data["instances"]]))
    for r in data["instances"]:
        if r.get("ssh"):
            console.print(f"{r['id']}: {r['ssh']}")


@cli.command(app, "instance_status", accounts="each")
def main(
    ctx: cli.Ctx,
    check_ssh: Annotated[bool, typer.Option("--check-ssh/--no-check-ssh",
                                            help="Check that SSH answers on each running instance.")] = True,
) -> Result:
    """List the instances AwsWiz launched, newest first (default: every enabled region)."""
    regions, skipped = ctx.regions(default="all")
    now = _dt.datetime.now(_dt.UTC)
    fan = FanOut(min(ctx.aws.workers, len(regions) + 1))
    fan.submit("account", ctx.aws.account_id, ctx.aws.home_region, "sts:GetCallerIdentity")  # the envelope names it
    for r in regions:
        fan.submit(r, lambda r=r: region_rows(ctx, r, check_ssh, now), region=r, what="DescribeInstances")
    results, errors = fan.wait()
    results.pop("account", None)
    rows = sorted((x for v in results.values() for x in v), key=lambda x: x.get("launched") or "", reverse=True)
    scope = None if (ctx.region_spec or "all") == "all" else ctx.region_spec
    nxt = ([hints.command(ctx, "terminate", "--type", "ec2", "--id", rows[0]["id"], region=rows[0]["region"])] if rows
           else [hints.command(ctx, "launch", "--type", "g5.xlarge", region=scope)])
    return Result(data={"regions": regions, "skipped_regions": skipped, "instances": rows}, errors=errors,
                  exit_code=EXIT_PARTIAL if errors else None, render=render, next=nxt)


if __name__ == "__main__":
    cli.main(app, "instance_status")
