"""launch.py's --role, --instance-profile, --secret and --idle-stop, as small hooks around the launch: checked
without AWS (check), looked up with the plan (plan: the secrets in each region the launch may use, the named
profile), made just before the instance (prepare: the role and profile, roles.py) and after it (alarms: the idle
stop, idle_alarm.py). What they make is tagged with the launch id; terminate.py removes it with the box."""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

from _awswiz.compute import idle_alarm, roles, secret_store
from _awswiz.shell.errors import BadInput


@dataclass
class Extras:
    grants: list = field(default_factory=list)      # [(template, arg)] incl. ("secret", NAME)
    secrets: list = field(default_factory=list)     # [(NAME, ENV_VAR)]
    profile: str | None = None                      # --instance-profile: an existing one, not ours
    idle: int | None = None                         # --idle-stop seconds
    secret_arns: dict = field(default_factory=dict)  # {name: {region: arn}} found by plan()
    profile_arn: str | None = None

    @property
    def makes_role(self) -> bool:
        return bool(self.grants)


def check(role: list[str] | None, profile: str | None, secret: list[str] | None, idle: str | None) -> Extras:
    """Everything judged without AWS: bad input is exit 2 before any call."""
    out = Extras(grants=roles.parse(role or []), secrets=[secret_store.parse_mapping(s) for s in secret or []],
                 profile=profile, idle=idle_alarm.parse(idle))
    envs = [e for _, e in out.secrets]
    if len(set(envs)) != len(envs):
        raise BadInput(f"--secret: each ENV_VAR once (got {', '.join(envs)})", "e.g. --secret hf/token=HF_TOKEN")
    out.grants += [("secret", n) for n in dict.fromkeys(n for n, _ in out.secrets)]
    if profile is not None:
        if out.grants:
            raise BadInput("--instance-profile names an existing profile; --role and --secret make one for the box: "
                           "use one or the other", "drop --instance-profile, or give its role the access yourself")
        if not roles.IAM_NAME.match(profile):
            raise BadInput(f"--instance-profile {profile!r} is not an instance profile name ([\\w+=,.@-], 1-128)",
                           "e.g. --instance-profile my-training-profile")
    return out


def plan(ctx, ex: Extras, views: list[dict]) -> None:
    """Ask AWS what the plan needs: each --secret in each usable region (a region without it cannot serve the box:
    marked unusable; none has it: bad input), and the named profile (missing: bad input). Views change in place."""
    from _awswiz.compute.launch_plan import at_once

    names = [n for n, _ in ex.secrets]
    usable = [v["region"] for v in views if v.get("usable")]
    if names and usable:
        got = at_once(ctx, {(n, r): (lambda n=n, r=r: secret_store.describe(ctx.aws.client("secretsmanager", r), n))
                            for n in names for r in usable})
        for (n, r), found in got.items():
            if isinstance(found, Exception):
                raise found
            if found and not found.get("DeletedDate"):
                ex.secret_arns.setdefault(n, {})[r] = found["ARN"]
        for n in names:
            if not ex.secret_arns.get(n):
                from _awswiz.shell import hints

                raise BadInput(f"--secret {n}: no such secret in {', '.join(usable)}", "store it first: printf %s "
                               "\"$VALUE\" | " + hints.command(ctx, "secret", "put", "--name", n, region=usable[0]))
        for v in views:
            if v.get("usable") and (missing := [n for n in names if v["region"] not in ex.secret_arns[n]]):
                v.update(usable=False, reason=f"secret {', '.join(missing)} is not in {v['region']}")
    if ex.profile:
        from botocore.exceptions import ClientError

        try:
            ex.profile_arn = ctx.aws.client("iam").get_instance_profile(
                InstanceProfileName=ex.profile)["InstanceProfile"]["Arn"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "NoSuchEntity":
                raise
            raise BadInput(f"--instance-profile {ex.profile}: no such instance profile in this account",
                           "name an existing one, or use --role TEMPLATE to make one for the box") from None


def policy(ctx, ex: Extras) -> dict:
    return roles.document(ex.grants, ctx.aws.account_id(), {n: list(a.values()) for n, a in ex.secret_arns.items()})


def detail(ctx, ex: Extras, region: str, shutdown: str) -> dict:
    """What the plan shows: the role in words and in JSON, the profile, the idle alarm."""
    out: dict = {}
    if ex.makes_role:
        out["role"] = {"name": f"{roles.ROLE_PREFIX}LAUNCH_ID (one role and instance profile for this box, removed "
                               "with it)", "allows": roles.words(ex.grants), "policy": policy(ctx, ex)}
    if ex.profile:
        out["instance_profile"] = f"{ex.profile} (existing; not removed with the box)"
    if ex.secrets:
        out["secrets"] = [f"{n} -> ${e} in ~/{secret_store.ENV_FILE} (0600), fetched at boot with the role; user "
                          "data holds the name only" for n, e in ex.secrets]
    if ex.idle:
        out["idle_stop"] = idle_alarm.describe(ex.idle, region, shutdown)
    return out


def creates(ex: Extras, reused: str | None = None, stale: list[str] | None = None) -> list[str]:
    """reused: the launch id whose role a killed confirm left (used now); stale: its roles removed first."""
    out = [f"removes first IAM role and instance profile {', '.join(stale)}, left by an earlier confirm of this "
           "launch that stopped before its instance"] if ex.makes_role and stale else []
    out += ([f"IAM role and instance profile {roles.ROLE_PREFIX}{reused or 'LAUNCH_ID'} (inline policy "
             f"{roles.POLICY_NAME})" + (", made by an earlier confirm of this launch that stopped before its "
                                        "instance: used now" if reused else "")] if ex.makes_role else [])
    return out + ([f"CloudWatch alarm {idle_alarm.PREFIX}INSTANCE_ID per box"] if ex.idle else [])


def left_roles(ctx, ex: Extras, of: str, regions: list[str], resume: str | None) -> tuple[str | None, list[str], bool]:
    """What an earlier confirm of this launch (tag awswiz:launch-of=of) left of its role when it was killed after
    making it and before its instance: (the launch id to resume, the roles to remove first, whether the role of
    that launch id exists: reused). The role is made before RunInstances, so a killed confirm leaves it with no box
    and no expiry; the next confirm reuses it (its launch id, so the same RunInstances ClientTokens, as
    launch_run.resumable_id does for a key pair) when no instance in any state carries that id and it is young
    enough that a terminated one would still be listed; otherwise (its tokens may be spent, or the key pair's launch
    id is resumed instead) it is removed before the new one is made. Never two roles for one box."""
    if not ex.makes_role:
        return resume, [], False
    from _awswiz.compute.launch_plan import at_once
    from _awswiz.compute.launch_run import RESUME_WINDOW
    from _awswiz.inventory.table import LAUNCH_TAG

    found = roles.left(ctx.aws.client("iam"), of)
    if not found:
        return resume, [], False
    now = _dt.datetime.now(_dt.UTC)
    young = [r for r in found if 0 <= (now - r["created"]).total_seconds() <= RESUME_WINDOW]
    used = at_once(ctx, {(r["lid"], region): (lambda lid=r["lid"], region=region: bool(ctx.aws.client(
        "ec2", region).describe_instances(Filters=[{"Name": f"tag:{LAUNCH_TAG}", "Values": [lid]}])["Reservations"]))
        for r in young for region in regions}) if young else {}
    for v in used.values():
        if isinstance(v, Exception):
            raise v
    unspent = [r["lid"] for r in sorted(young, key=lambda r: r["created"], reverse=True)
               if not any(used[(r["lid"], region)] for region in regions)]
    keep = resume or (unspent[0] if unspent else None)
    return keep, [r["name"] for r in found if r["lid"] != keep], any(r["lid"] == keep for r in found)


def role_touches(ctx, names: list[str], reused: str | None) -> dict[str, dict]:
    """What the confirm changes of roles a killed confirm left (their own tags, for the guard: Action.touches): the
    one it reuses (its policy is put again) and those it removes. A protected one refuses the launch."""
    from _awswiz.aws.client import paginate
    from _awswiz.inventory.table import tag_map

    iam = ctx.aws.client("iam")
    out = {f"IAM role {n} (left by an earlier confirm of this launch; removed first)": n for n in names}
    if reused:
        out[f"IAM role {roles.role_name(reused)} (left by an earlier confirm of this launch; reused)"] = \
            roles.role_name(reused)
    return {label: tag_map(paginate(iam, "list_role_tags", "Tags", RoleName=n)) for label, n in out.items()}


def clear(ctx, names: list[str]) -> None:
    """Remove the roles left_roles said go (each with its profile and policy; what is gone already is skipped)."""
    for name in names:
        roles.remove(ctx.aws.client("iam"), name)


def prepare(ctx, ex: Extras, lid: str, tags: dict) -> str | None:
    """The instance profile's ARN for RunInstances: the named one, or the box's own, made now (under the path of
    its launch, tags[awswiz:launch-of], where a fresh plan finds it if this confirm is killed before its instance)."""
    from _awswiz.compute.launch_run import LAUNCH_OF

    if ex.profile:
        return ex.profile_arn
    if not ex.makes_role:
        return None
    keep = {k: v for k, v in tags.items() if k.startswith("awswiz:") and k != "awswiz:expires-at"}
    return roles.create(ctx.aws.client("iam"), roles.role_name(lid), policy(ctx, ex), keep, tags.get(LAUNCH_OF))


def undo(ctx, ex: Extras, lid: str) -> dict | None:
    """After a failed launch: the role and profile made for it go too."""
    if not ex.makes_role:
        return None
    name = roles.role_name(lid)
    try:
        roles.remove(ctx.aws.client("iam"), name)
        return {"type": "iam:role", "id": name, "region": "global", "ok": True}
    except Exception as exc:  # noqa: BLE001 - say what is left
        return {"type": "iam:role", "id": name, "region": "global", "ok": False, "error": str(exc)[:300]}


def after_launch(ctx, ex: Extras, lid: str, region: str, ids: list[str], shutdown: str, tags: dict) -> dict:
    """What the result says of the box's role, and the idle-stop alarm of each launched box: {"idle_alarms":
    [names]}, or {"idle_alarm_error": ...} when CloudWatch refused (the box runs, without its AWS-side stop)."""
    out = {"role": roles.role_name(lid)} if ex.makes_role else {"instance_profile": ex.profile} if ex.profile else {}
    return {**out, **alarms(ctx, ex, region, ids, shutdown, tags)}


def missing_alarms(ctx, ex: Extras, live: list[dict], shutdown: str) -> dict[str, str]:
    """{instance id: what the plan says} of the live boxes of this launch that lack the --idle-stop alarm asked for
    (a confirm killed between RunInstances and PutMetricAlarm): the alarms.py command that puts it."""
    from _awswiz.shell import hints

    if not ex.idle or not live:
        return {}
    out = {}
    for region in sorted({i["Region"] for i in live}):
        ids = [i["InstanceId"] for i in live if i["Region"] == region]
        have = {a["AlarmName"] for a in idle_alarm.of_instances(ctx.aws.client("cloudwatch", region), ids)}
        for iid in ids:
            if idle_alarm.alarm_name(iid) not in have:
                h, m = divmod(ex.idle // 60, 60)
                out[iid] = ("; its --idle-stop alarm is missing (the confirm stopped before it); put it with: "
                            + hints.command(ctx, "alarms", "idle-stop", "--id", iid, "--duration",
                                            f"{h}h{m}m" if h and m else f"{h}h" if h else f"{m}m", "--then",
                                            shutdown, region=region))
    return out


def alarms(ctx, ex: Extras, region: str, ids: list[str], shutdown: str, tags: dict) -> dict:
    if not ex.idle:
        return {}
    cw = ctx.aws.client("cloudwatch", region)
    keep = {k: v for k, v in tags.items() if k.startswith("awswiz:") and k != "awswiz:expires-at"}
    keep["awswiz:created-at"] = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    made = []
    try:
        for iid in ids:
            cw.put_metric_alarm(**idle_alarm.params(iid, region, ex.idle, shutdown, keep))
            made.append(idle_alarm.alarm_name(iid))
    except Exception as exc:  # noqa: BLE001 - the box runs; say that its AWS-side idle stop is missing
        from _awswiz.shell.errors import classify

        return {"idle_alarms": made, "idle_alarm_error": classify(exc, region)}
    return {"idle_alarms": made, "idle_stop_action": idle_alarm.action_arn(region, shutdown)}
