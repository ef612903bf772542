#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "paramiko>=3.4", "cryptography>=42"]
# ///
"""Launch an EC2 instance you can SSH into (plan first, then --confirm TOKEN): the newest PyTorch DLAMI by
default, an ed25519 key saved in .state/keys, a security group allowing only port 22 from your address,
IMDSv2, an encrypted root volume, an explicit shutdown behaviour, optional spot, init scripts and a TTL the
box enforces itself. Tries the next AZ, then the next region, when AWS has no capacity."""

from __future__ import annotations

import datetime as _dt
import json
import math
import shlex
import time
import uuid
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.compute import box_access, cluster, jump, keys, secret_store, ssh, userdata
from _awswiz.compute import launch_plan as lp
from _awswiz.compute.launch_run import (
    LAUNCH_OF,
    LAUNCH_TAG,
    Launcher,
    launch_id,
    launch_of,
    leftover_keys,
    resumable_id,
)
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput, Refused, classify
from _awswiz.shell.output import Result, table

app = cli.make_app(__doc__)
TYPE_RE = r"^[a-z][a-z0-9-]*\.[a-z0-9-]+$"
MIN_SPOT_PRICE = 0.001


def check_input(ctx, instance_type, name, spot, persistent, max_price, on_shutdown, key, ttl, init, ssh_cidr, subnet,
                vpc) -> dict:
    """Everything that can be judged without AWS: bad input is exit 2 before any call."""
    import re

    if not re.match(TYPE_RE, instance_type or ""):
        raise BadInput(f"--type {instance_type!r} is not an instance type name such as g5.xlarge",
                       "list them: " + hints.command(ctx, "list_instances", "--filter", "g5"))
    if persistent and not spot:
        raise BadInput("--persistent applies to spot only: add --spot", "e.g. --spot --persistent")
    if max_price is not None and not spot:
        raise BadInput("--max-price applies to spot only: add --spot", "e.g. --spot --max-price 0.8")
    if max_price is not None and not (math.isfinite(max_price) and max_price >= MIN_SPOT_PRICE):
        # EC2 API Reference, SpotMarketOptions.MaxPrice: "it must be more than USD $0.001. Specifying a value
        # below USD $0.001 will result in an InvalidParameterValue error"
        raise BadInput(f"--max-price must be a number of USD per hour, at least {MIN_SPOT_PRICE} (got {max_price})",
                       "e.g. --max-price 0.8, or leave it out to pay the current spot price")
    if on_shutdown not in ("terminate", "stop"):
        raise BadInput(f"--on-shutdown must be one of: terminate, stop (got {on_shutdown!r})", "")
    if spot and not persistent and on_shutdown == "stop":
        # EC2 User Guide, "Behavior of Spot Instance interruptions": stopping applies to persistent requests
        raise BadInput("a one-time spot instance cannot be stopped: use --on-shutdown terminate, or "
                       "--spot --persistent", "")
    if key:
        keys.check_name(key)
        if not keys.key_file(key).exists():
            raise BadInput(f"--key {key}: no private key {keys.key_file(key)}; AwsWiz reuses only keys it saved",
                           "leave out --key to make a new key pair for this launch")
    keys.check_name(name, "--name")
    for flag, value, prefix in (("--subnet", subnet, "subnet-"), ("--vpc", vpc, "vpc-")):
        if value and not re.match(rf"^{prefix}[0-9a-f]{{8,17}}$", value):
            raise BadInput(f"{flag} {value!r} is not an id such as {prefix}0123456789abcdef0", "")
    out = {"ttl": userdata.parse_ttl(ttl), "init": [userdata.resolve_init(f) for f in init or []]}
    powers_off = [w for w, on in (("--ttl", out["ttl"]), ("--init idle_stop", userdata.resolve_init("idle_stop")
                                                          in out["init"])) if on]
    if spot and persistent and on_shutdown == "terminate" and powers_off:
        # EC2 User Guide, "Persistent Spot Instance requests" / "Terminate a Spot Instance": terminating the instance
        # of a persistent request reopens it and AWS launches a replacement from the same launch specification,
        # whose user data holds the same timer, already past: it bills (and relaunches) until someone cancels it
        raise BadInput(f"--spot --persistent --on-shutdown terminate with {' and '.join(powers_off)}: when the box "
                       "powers itself off it is terminated, AWS reopens the persistent request and launches a "
                       "replacement whose timer is already past, billing until someone cancels the request",
                       "use --on-shutdown stop (the default with --persistent: the box stops, its request waits, "
                       "disabled, until you start it), or a one-time --spot (terminating it ends its request)")
    return out


WIDE_PREFIX = 16  # a public range wider than a /16 (65,536 addresses) is warned, like 0.0.0.0/0


def wide_cidr_warning(cidr: str) -> str | None:
    """A warning when --ssh-cidr opens SSH to much of the internet: 0.0.0.0/0, but also 0.0.0.0/1 (half of it)
    or any public range wider than a /16."""
    import ipaddress

    net = ipaddress.ip_network(cidr)
    if cidr == lp.WORLD:
        return "--ssh-cidr 0.0.0.0/0 opens SSH to the whole internet; prefer your own address /32"
    if net.prefixlen >= WIDE_PREFIX or net.is_private:
        return None
    share = net.num_addresses / 2 ** 32
    return (f"--ssh-cidr {cidr} opens SSH to {net.num_addresses:,} addresses ({share:.2%} of the IPv4 internet); "
            "prefer your own address /32")


ALLOW_FLAG = "--allow-protected-vpc"


def network_touches(seen: dict, views: list[dict]) -> dict[str, dict]:
    """The VPCs and subnets the launch may use (every usable region: it falls back to them), each with ITS OWN
    tags (as the survey's DescribeVpcs and DescribeSubnets answered them), for the guard (Action.touches): a box,
    its group and its interface become parts of that network."""
    out = {}
    for v in views:
        tags = seen[v["region"]]["net"]
        out.update({f"VPC {v['vpc']} ({ALLOW_FLAG} to launch there)": tags["vpc"].get(v["vpc"], {})})
        out.update({f"subnet {sn} ({ALLOW_FLAG} to launch there)": tags["subnets"].get(sn, {})
                    for sn in sorted(set(v["subnets"].values()))})
    return out


def build_plan(ctx, req: lp.Request, owner: str, found: dict, allow_protected: bool = False,
               extras: box_access.Extras | None = None, no_jump: str | None = None) -> guard.Plan:
    pre = found["pre"]
    names = pre["regions"]
    of = launch_of(owner, req)
    views, seen = lp.survey(ctx, req, pre)
    if extras:  # --secret: the regions holding it; --instance-profile: that it exists
        box_access.plan(ctx, extras, views)
    found.update(spec=pre["spec"], views=views, seen=seen)
    # an earlier confirm of this launch made it (maybe killed): every box carries its launch (tag LAUNCH_OF)
    if live := [dict(i, Region=r) for r in names for i in seen[r]["instances"]
                if tag_map(i.get("Tags")).get(LAUNCH_OF) == of]:
        # --idle-stop: a confirm killed after RunInstances left the box without its alarm: said, with the fix
        lacks = box_access.missing_alarms(ctx, extras, live, req.shutdown) if extras else {}
        return guard.Plan(actions=[], scope={"regions": names, "type": req.instance_type, "count": req.count},
                          skipped=[{"id": i["InstanceId"], "region": i["Region"], "type": "ec2:instance",
                                    "name": req.name, "reason": f"exists ({i['State']['Name']}): an earlier confirm "
                                    f"of this launch made it (tag {LAUNCH_OF}={of}); not launched again (another "
                                    "--name launches a second box)" + lacks.get(i["InstanceId"], "")} for i in live])
    spec = pre["spec"]
    scope = {"regions": names, "type": req.instance_type, "count": req.count}
    plan = guard.Plan(actions=[], scope=scope)
    usable = [v for v in views if v.get("usable")]
    plan.skipped = [{"id": v["region"], "region": v["region"], "reason": v.get("reason")}
                    for v in views if not v.get("usable")]
    if not usable:
        plan.errors.append(lp.no_region_error(ctx, req, views))
        return plan
    lp.check_disk(req, usable)
    key_name = req.key or lp.new_key_name(req, seen, [v["region"] for v in usable])
    found["key_name"] = key_name
    found["left"] = leftover_keys(seen, [v["region"] for v in usable], of)
    if not req.key and (left := [p for p in found["left"] if keys.saved(p["KeyName"])]):
        key_name = found["key_name"] = left[0]["KeyName"]  # a killed confirm's key: used (and its launch id, if
        found["left_key"], found["resume"] = True, resumable_id(ctx, left[0])  # its client tokens are unspent)
    if extras:  # a role a killed confirm made before its instance: reused (its launch id) or removed first
        found["resume"], found["stale_roles"], reused = box_access.left_roles(ctx, extras, of, names,
                                                                               found.get("resume"))
        found["role_left"] = found["resume"] if reused else None
    best = usable[0]
    gpus = (spec.get("gpu") or {}).get("count") or 0
    price = lp.price_of(best, req)
    warnings = [w] if (w := wide_cidr_warning(req.ssh_cidr)) else []
    creates = ([] if req.key else [f"key pair {key_name} (ed25519; private key {keys.key_file(key_name)}"
                                   + (", imported by an earlier confirm of this launch that stopped before its "
                                      "instance: used now)" if found.get("left_key") else
                                      ", saved earlier: imported again)" if keys.saved(key_name) else ")")])
    creates += [f"security group {lp.sg_name(req.ssh_cidr)} in {best['vpc']}" if not best.get("security_group")
                else f"reuses security group {best['security_group']} ({lp.sg_name(req.ssh_cidr)}"
                + (", made by a launch stopped before its SSH rule: the rule is added)"
                   if best.get("group_without_rule") else ")")]
    creates += [f"{req.count} x {req.instance_type} ({req.market}{'/' + req.spot_type if req.market == 'spot' else ''})"
                f" with an encrypted gp3 root volume of {f'{req.disk} GB' if req.disk else 'the image size'}"]
    creates += box_access.creates(extras, found.get("role_left"), found.get("stale_roles")) if extras else []
    detail = {
        "instance_type": req.instance_type, "count": req.count, "gpus": gpus, "market": req.market,
        "region": best["region"], "azs": best["azs"], "ami": best["ami"],
        "price_per_hour": price, "price_per_gpu_hour": round(price / gpus, 4) if price and gpus else None,
        "on_demand_price": best.get("on_demand_price"), "spot_price": best.get("spot_price"),
        "spot_prices_by_az": best.get("spot_prices"), "max_price": req.max_price, "quota": best.get("quota"),
        "ttl": f"{req.ttl // 60} min, enforced on the box (systemd timer) and tagged awswiz:expires-at"
        if req.ttl else None,
        "shutdown_behavior": req.shutdown, "ssh_rule": f"tcp/22 from {req.ssh_cidr} ({req.cidr_source})",
        "imds": "IMDSv2 required", "init": [p.name for p in req.init], "creates": creates,
        "fallbacks": [f"{v['region']}: {', '.join(v['azs'])}" for v in usable],
        **(box_access.detail(ctx, extras, best["region"], req.shutdown) if extras else {}),
    }
    if req.cluster:
        cluster.describe(ctx, req, best, detail, price)
    if req.jump:
        detail["ssh_via"] = jump.describe(req.jump)
    if no_jump:
        warnings.append(no_jump)
    touches = network_touches(seen, usable)
    if allow_protected:  # said in the plan; the guard then does not refuse the network (the user chose it)
        warnings += [f"launches into a protected {label.split(' (')[0]} ({why}): allowed by {ALLOW_FLAG}"
                     for label, tags in touches.items() if (why := guard.protection(tags))]
        touches = {}
    if extras and (found.get("stale_roles") or found.get("role_left")):  # roles the confirm changes: their tags
        touches.update(box_access.role_touches(ctx, found.get("stale_roles") or [], found.get("role_left")))
    if req.spot_type == "persistent":
        # EC2 API Reference, SpotMarketOptions / LaunchTemplateSpotMarketOptionsRequest, ValidUntil: "For a
        # persistent request, the request remains active until the ValidUntil date and time is reached ...
        # Default: 7 days from the current date"; an expired request is cancelled (User Guide, "Spot request states")
        detail["note"] = ("a persistent spot request relaunches the box after an interruption until terminate.py; "
                          "AWS's default ValidUntil ends the request 7 days after launch: then it is cancelled, the "
                          "box keeps running but is no longer restarted after an interruption nor stoppable as spot")
    cheapest = min((best.get("spot_prices") or {}).values(), default=None)
    if req.max_price is not None and cheapest is not None and req.max_price < cheapest:
        warnings.append(f"--max-price {req.max_price} is below the spot price of every AZ in {best['region']} "
                        f"(cheapest {cheapest}): AWS will refuse each one (SpotMaxPriceTooLow)")
    if warnings:
        detail["warnings"] = warnings
    tags = {"awswiz:managed": "true", "awswiz:owner": owner, "Name": req.name}
    plan.actions.append(guard.Action(
        op="launch", type="ec2:instance", id=f"new:{req.name}", region=best["region"], name=req.name, tags=tags,
        detail={k: v for k, v in detail.items() if v not in (None, [], "")},
        state={"views": views, "key": key_name, "resume": found.get("resume"),
               **({"stale_roles": found["stale_roles"]} if found.get("stale_roles") else {})}, touches=touches))
    return plan


def instance_tags(ctx, req: lp.Request, owner: str, key_name: str, lid: str, ami: dict) -> dict:
    now = _dt.datetime.now(_dt.UTC)
    tags = {"awswiz:managed": "true", "awswiz:owner": owner, "awswiz:created-at": now.isoformat(timespec="seconds"),
            LAUNCH_TAG: lid, LAUNCH_OF: launch_of(owner, req), ssh.KEY_TAG: key_name, ssh.USER_TAG: lp.ssh_user(ami)}
    if req.jump:  # connect.py reaches the box through this head (compute/jump.py head_of)
        tags[jump.JUMP_TAG] = req.jump["id"]
    if req.ttl:
        tags["awswiz:expires-at"] = (now + _dt.timedelta(seconds=req.ttl)).isoformat(timespec="seconds")
    return tags


def wait_and_describe(ctx, region: str, ids: list[str], req: lp.Request, key_name: str, user: str,
                      deadline: float, include: bool = False) -> dict:
    ec2 = ctx.aws.client("ec2", region)
    local = lp.local_endpoint(ctx)
    out: dict = {}

    def reach(i: dict):  # a private box (req.jump): its private address, through the jump host
        return ssh.address(i, local) or ((i["PrivateIpAddress"], 22) if req.jump and i.get("PrivateIpAddress")
                                         else None)
    while time.time() < deadline:
        insts = [i for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]]
        if all(i["State"]["Name"] == "running" and reach(i) for i in insts):
            break
        time.sleep(3)
    for i in insts:
        addr = reach(i)
        entry = {"state": i["State"]["Name"], "public_ip": i.get("PublicIpAddress")}
        if addr:
            alias = f"{req.name}-{i.get('AmiLaunchIndex', 0)}" if req.cluster else \
                req.name if len(insts) == 1 else f"{req.name}-{i['InstanceId']}"
            entry["ssh"] = ssh.command_line(*addr, user, key_name)
            entry["ssh_config"] = jump.save_host_blocks(req.jump, alias, *addr, user, key_name) if req.jump else \
                ssh.save_host_block(alias, ssh.host_block(alias, *addr, user, key_name))
            entry["host"] = alias
            entry["include"] = (ssh.include_in_user_config(entry["ssh_config"]) if include else
                                f"put 'Include {entry['ssh_config']}' at the top of ~/.ssh/config (or pass "
                                f"--ssh-include), then: ssh {alias}")
            ssh.forget(*addr)  # a new box: an older instance's pinned key at this address is not its key
            if req.jump and i.get("PrivateIpAddress"):  # connect.py pins it under its private IP:22 (via the head)
                ssh.forget(i["PrivateIpAddress"], 22)
            if req.jump:  # reached through the jump host: its ProxyJump, from the Host block
                entry["ssh"] = shlex.join(["ssh", "-F", entry["ssh_config"], alias])
            if req.jump and not local:
                entry["ssh_ready"] = None  # not probed from here: `ssh ALIAS` goes through the jump host
            else:
                entry.update(ssh.wait_ready(*addr, user, key_name, max(5.0, deadline - time.time())))
        out[i["InstanceId"]] = entry
    return out


@cli.command(app, "launch")
def main(
    ctx: cli.Ctx,
    type_: Annotated[str, typer.Option("--type", help="Instance type, e.g. g5.xlarge.")],
    name: Annotated[str | None, typer.Option("--name", help="Name tag (default: awswiz-TYPE).")] = None,
    count: Annotated[int, typer.Option("--count", min=1, max=100, help="How many instances.")] = 1,
    disk: Annotated[int | None, typer.Option("--disk", metavar="GB", min=8, max=16384,
                                             help="Root volume size in GB (default and minimum: the image's).")] = None,
    ami: Annotated[str | None, typer.Option("--ami", help="Image id (default: newest PyTorch DLAMI).")] = None,
    key: Annotated[str | None, typer.Option("--key", help="Reuse a key pair AwsWiz saved in .state/keys.")] = None,
    subnet: Annotated[str | None, typer.Option("--subnet", help="Subnet id (default: the default VPC's).")] = None,
    vpc: Annotated[str | None, typer.Option("--vpc", help="VPC id (default: the default VPC).")] = None,
    spot: Annotated[bool, typer.Option("--spot", help="Spot instead of on-demand (one-time; `--spot persistent` "
                                                      "means --spot --persistent).")] = False,
    persistent: Annotated[bool, typer.Option("--persistent", help="With --spot: a persistent request (the box "
                                                                   "can be stopped; interruption stops it).")] = False,
    max_price: Annotated[float | None, typer.Option("--max-price", metavar="USD", help="With --spot: the most to "
                                                    "pay per hour (at least 0.001).")] = None,
    ssh_cidr: Annotated[str | None, typer.Option("--ssh-cidr", help="Who may SSH in (default: your public IP "
                                                                     "/32, detected).")] = None,
    init: Annotated[list[str] | None, typer.Option("--init", metavar="FILE", help="Script run at first boot "
                                                   "(repeatable): a path or a tools/init/ name.")] = None,
    ttl: Annotated[str | None, typer.Option("--ttl", metavar="DURATION", help="Shut down after e.g. 4h "
                                            "(enforced on the box; tagged awswiz:expires-at).")] = None,
    on_shutdown: Annotated[str | None, typer.Option("--on-shutdown", help="terminate or stop when the box shuts "
                                                    "itself down (default: terminate; stop for persistent spot).")
                           ] = None,
    wait: Annotated[bool | None, typer.Option("--wait/--no-wait", help="After launch: wait for running and SSH "
                                              "answering (default: on with --pretty).")] = None,
    ssh_include: Annotated[bool, typer.Option("--ssh-include", help="With --wait: add an Include of "
                                              ".state/ssh_config to ~/.ssh/config (edited only then).")] = False,
    role: Annotated[list[str] | None, typer.Option("--role", metavar="TEMPLATE[:ARG]", help="Give the box an "
                                                   "instance role (repeatable): s3-read:BUCKET, s3-rw:BUCKET, "
                                                   "ecr-pull, ssm. One role per box, removed with it.")] = None,
    instance_profile: Annotated[str | None, typer.Option("--instance-profile", metavar="NAME", help="Use this "
                                                         "existing instance profile instead (not removed).")] = None,
    secret: Annotated[list[str] | None, typer.Option("--secret", metavar="NAME=ENV_VAR", help="Fetch this Secrets "
                                                     "Manager secret at boot into ENV_VAR (repeatable; the role may "
                                                     "read exactly it; user data holds the name only).")] = None,
    idle_stop: Annotated[str | None, typer.Option("--idle-stop", metavar="DURATION", help="A CloudWatch alarm "
                                                  "stops or terminates the box (as its shutdown behaviour says) "
                                                  "after CPU < 5% for DURATION (5m..24h, in 5-minute steps).")] = None,
    wait_timeout: Annotated[int, typer.Option("--wait-timeout", metavar="SECONDS", min=10, max=3600,
                                              help="Bound on --wait.")] = 600,
    confirm: Annotated[str | None, typer.Option("--confirm", metavar="TOKEN",
                                                help="Apply the plan printed by the run without --confirm.")] = None,
    allow_protected: Annotated[bool, typer.Option(ALLOW_FLAG, help="Launch even into a protected VPC or subnet "
                                                  "(otherwise refused, exit 4); the plan says so.")] = False,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse (exit 4) to launch more than N instances "
                                      "(--count counts, like any bulk change).")] = guard.DEFAULT_MAX,
    cluster_: Annotated[bool, typer.Option("--cluster", help="With --count N (2+): a cluster placement group, all "
                                           "N at once, EFA where the type has it, a group open to itself; torchrun's "
                                           "environment written at boot.")] = False,
) -> Result:
    """Launch an instance with SSH. Without --confirm: print the plan and a token; nothing is created."""
    if count > max_:  # a bulk launch counts each instance against --max, before anything is asked of AWS
        raise Refused(f"--count {count} launches {count} instances, over --max {max_}",
                      f"lower --count, or raise the limit deliberately with --max {count}")
    shutdown = on_shutdown or ("stop" if spot and persistent else "terminate")
    if cluster_:
        cluster.check(count, spot, persistent)
        init = [*(init or []), cluster.INIT]
    checked = check_input(ctx, type_, name or f"awswiz-{type_.replace('.', '-')}", spot, persistent, max_price,
                          shutdown, key, ttl, init, ssh_cidr, subnet, vpc)
    extras = box_access.check(role, instance_profile, secret, idle_stop)
    if extras.idle and spot and persistent and shutdown == "terminate":  # as check_input says of --ttl
        raise BadInput("--spot --persistent --on-shutdown terminate with --idle-stop: the alarm terminates the box, "
                       "AWS reopens the persistent request and launches a replacement (without the alarm)",
                       "use --on-shutdown stop (the default with --persistent), or a one-time --spot")
    via = jump.find(ctx, subnet, (lp.asked_regions(ctx) or [ctx.aws.home_region])[0], lp.local_endpoint(ctx)) \
        if subnet else None  # a private subnet: SSH through a jump host, from its address only
    no_jump = via.pop("missing") if via and "missing" in via else None
    via = via or None
    cidr, source = (via["cidr"], via["source"]) if via else lp.detect_cidr(ctx, ssh_cidr)
    req = lp.Request(instance_type=type_, count=count, name=name or f"awswiz-{type_.replace('.', '-')}",
                     market="spot" if spot else "on-demand", spot_type="persistent" if persistent else "one-time",
                     max_price=max_price, disk=disk, ami=ami, key=key, subnet=subnet, vpc=vpc, ssh_cidr=cidr,
                     cidr_source=source, ttl=checked["ttl"], shutdown=shutdown, init=checked["init"],
                     cluster=cluster_, jump=via)
    # the first round of questions, at once (the caller among them); a confirm launches its plan's image
    found: dict = {"pre": lp.start(ctx, req, lp.planned_images(ctx, confirm, req))}
    owner = found["pre"]["identity"]["Arn"]
    verify: list[str] = []
    run_state: dict = {}

    typed_id = uuid.uuid4().hex  # a typed confirmation (--pretty at a terminal) has no token: one id per run

    def do(action: guard.Action) -> dict:
        lid = found.get("resume") or launch_id(confirm or typed_id)
        views = found["views"]
        # the same plan applied before (a retried confirm): never a second box. The re-plan of this run listed every
        # live instance of these regions a moment ago (survey): no question asked again
        already = [dict(i, Region=v["region"]) for v in views if v.get("usable")
                   for i in found["seen"][v["region"]]["instances"] if tag_map(i.get("Tags")).get(LAUNCH_TAG) == lid]
        if already:
            return {"instances": [i["InstanceId"] for i in already], "region": already[0]["Region"],
                    "launch_id": lid, "note": "already launched by this plan; nothing new was created"}
        best = next(v for v in views if v.get("usable"))
        tags = instance_tags(ctx, req, owner, found["key_name"], lid, best["ami"])
        expires = tags.get("awswiz:expires-at")
        text = userdata.build(req.init, expires.replace("T", " ")[:19] if expires else None)
        if extras.secrets:  # names only: the box fetches the values with its role
            text += secret_store.boot_section(extras.secrets, lp.ssh_user(best["ami"]))
        launcher = Launcher(ctx, req, views, found["key_name"], not req.key, tags, text, found.get("left"))
        run_state["launcher"] = launcher
        # ClientTokens come from the launch id: a resumed launch sends the killed one's (EC2 API Reference,
        # "Ensuring idempotency": a repeated RunInstances with the same client token launches nothing new)
        try:
            box_access.clear(ctx, found.get("stale_roles") or [])  # a killed confirm's role not reused
            launcher.profile_arn = box_access.prepare(ctx, extras, lid, tags)  # the box's role, made first
            out = launcher.apply(lid)
        except BaseException:  # the role and profile go with the rest of a failed launch
            if undone := box_access.undo(ctx, extras, lid):
                launcher.rolled_back.append(undone)
            raise
        out.update(box_access.after_launch(ctx, extras, lid, out["region"], out["instances"], req.shutdown, tags))
        run_state["out"] = out
        return {**out, "launch_id": lid, "attempts": launcher.attempts, "tags": tags}

    def after(results: list[dict]) -> None:
        launcher = run_state.get("launcher")
        for r in results:
            if launcher and not r["ok"]:
                r.update(attempts=launcher.attempts, rolled_back=launcher.rolled_back)
            if not r["ok"] or not r.get("instances"):
                continue
            region, ids = r["region"], r["instances"]
            user = lp.ssh_user(next(v for v in found["views"] if v["region"] == region)["ami"])
            if wait if wait is not None else ctx.pretty:
                try:
                    r["ready"] = wait_and_describe(ctx, region, ids, req, found["key_name"], user,
                                                   time.time() + wait_timeout, ssh_include)
                except Exception as exc:  # noqa: BLE001 - the box is launched; say why waiting failed, keep the ids
                    r["ready_error"] = classify(exc, region)
            verify.extend(hints.command(ctx, "connect", "--id", i, region=region, after=("nvidia-smi",))
                          for i in (ids if req.cluster else ids[:1]))  # a cluster: each node
            verify.append(hints.command(ctx, "instance_status", region=region))

    result = guard.run(ctx, lambda: build_plan(ctx, req, owner, found, allow_protected, extras, no_jump), do,
                       confirm=confirm, max_count=1, explicit=True, verify=verify, after=after)
    result.render = render
    return result


def render(console, data: dict) -> None:
    """--pretty: the launch plan as one row per line (what, where, price, rules, what it creates), or what ran."""
    if not data.get("applied"):
        for a in data.get("plan") or []:
            rows = [[k, ", ".join(map(str, v)) if isinstance(v, list) else
                     (" ".join(f"{x}={y}" for x, y in v.items()) if isinstance(v, dict) else v)]
                    for k, v in a.get("detail", {}).items()]
            console.print(table(f"Launch plan: {a.get('name')} in {a['region']} (nothing created yet)",
                                ["", "value"], rows))
        for s in data.get("skipped") or []:
            console.print(f"[dim]{s['id']}: {s.get('reason')}[/]")
        if data.get("confirm"):
            console.print(f"confirm with [bold]--confirm {data['confirm']}[/] before {data['expires_at']}")
        return
    for r in data.get("results", []):
        console.print(table(f"Launch: {'done' if r['ok'] else 'FAILED'}", ["", "value"], [
            [k, v if not isinstance(v, (list, dict)) else json.dumps(v, default=str)]
            for k, v in r.items() if k not in ("action", "type", "tags")]))


def spot_words(argv: list[str]) -> list[str]:
    """The manual's `--spot persistent` / `--spot one-time` as flags: `--spot --persistent` / `--spot`."""
    out, i = [], 0
    while i < len(argv):
        out.append(argv[i])
        if argv[i] == "--spot" and i + 1 < len(argv) and argv[i + 1] in ("persistent", "one-time"):
            out += ["--persistent"] if argv[i + 1] == "persistent" else []
            i += 1
        i += 1
    return out


if __name__ == "__main__":
    import sys

    sys.argv[1:] = spot_words(sys.argv[1:])
    cli.main(app, "launch")
