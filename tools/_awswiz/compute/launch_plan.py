"""launch.py's discovery: where the type can run (regions, AZs, subnets), at what price, within which quota,
from which image; the SSH rule; the key; and the one guarded action that launch.py then applies
(launch_run.py)."""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass, field

from _awswiz.compute import amis, list_prices, pricing, quotas, type_specs
from _awswiz.compute.quota_codes import quota_for_type
from _awswiz.inventory import instance_types
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput, error_entry

SG_PREFIX = "awswiz-ssh-"
WORLD = "0.0.0.0/0"
IP_URL = "https://checkip.amazonaws.com"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
LIVE = ["pending", "running", "stopping", "stopped"]  # instance states that still hold a launch


@dataclass
class Request:
    instance_type: str
    count: int
    name: str
    market: str                 # on-demand | spot
    spot_type: str              # one-time | persistent
    max_price: float | None
    disk: int | None
    ami: str | None
    key: str | None
    subnet: str | None
    vpc: str | None
    ssh_cidr: str
    cidr_source: str
    ttl: int | None
    shutdown: str               # terminate | stop
    init: list = field(default_factory=list)   # Paths
    cluster: bool = False       # --cluster: placement group, EFA, one group open to itself (compute/cluster.py)
    jump: dict | None = None    # a private --subnet: the jump host SSH goes through (compute/jump.py)


def local_endpoint(ctx) -> bool:
    """The sandbox (or an emulator on this machine): instances answer on 127.0.0.1."""
    host = urllib.parse.urlparse(os.environ.get("AWS_ENDPOINT_URL") or "").hostname
    return bool(ctx.sandbox or host in LOOPBACK)


def detect_cidr(ctx, given: str | None) -> tuple[str, str]:
    """(cidr, where it came from). --ssh-cidr wins; otherwise the caller's public IP as /32."""
    if given:
        try:
            net = ipaddress.ip_network(given.strip(), strict=False)
        except ValueError:
            raise BadInput(f"--ssh-cidr {given!r} is not an IPv4 network such as 203.0.113.7/32", "") from None
        if net.version != 4:
            raise BadInput(f"--ssh-cidr {given!r}: give an IPv4 network (the group rule is IPv4 only)", "")
        return str(net), "--ssh-cidr"
    if local_endpoint(ctx):
        return "127.0.0.1/32", "sandbox: its stand-in instances answer on 127.0.0.1"
    ip = public_ip()
    if not ip:
        raise BadInput(f"could not detect your public IP address (asked {IP_URL}); AwsWiz opens SSH only to "
                       "an address you name", "pass --ssh-cidr YOUR.IP/32 (find it with: curl "
                       f"{IP_URL}); --ssh-cidr 0.0.0.0/0 opens SSH to the whole internet")
    return f"{ip}/32", f"detected ({IP_URL})"


def public_ip() -> str | None:
    import urllib.request

    try:
        with urllib.request.urlopen(IP_URL, timeout=3) as r:
            text = r.read(64).decode().strip()
        return str(ipaddress.IPv4Address(text))
    except (OSError, ValueError):
        return None


def sg_name(cidr: str) -> str:
    return SG_PREFIX + cidr


def half_made_sg(group: dict) -> bool:
    """Ours with no ingress rule yet: a launch killed between CreateSecurityGroup and its SSH rule. Reused; the
    launch adds the rule."""
    tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    return not group.get("IpPermissions") and tags.get("awswiz:managed") == "true"


def identical_sg(group: dict, cidr: str) -> bool:
    """Only port 22/tcp from exactly this CIDR, and ours."""
    perms = group.get("IpPermissions", [])
    if len(perms) != 1:
        return False
    p = perms[0]
    tags = {t["Key"]: t["Value"] for t in group.get("Tags", [])}
    return (p.get("IpProtocol") == "tcp" and p.get("FromPort") == 22 and p.get("ToPort") == 22
            and [r.get("CidrIp") for r in p.get("IpRanges", [])] == [cidr] and not p.get("Ipv6Ranges")
            and not p.get("UserIdGroupPairs") and not p.get("PrefixListIds") and tags.get("awswiz:managed") == "true")


# --- regions ---

def asked_regions(ctx) -> list[str] | None:
    """The regions --region names, checked against botocore's list (no call); None for auto and all."""
    spec = (ctx.region_spec or "").strip()
    if spec in ("auto", "all"):
        return None
    if not spec:
        return [ctx.aws.home_region]
    return ctx.aws.resolve_regions(spec)[0]


def regions(ctx, asked: list[str] | None) -> list[str]:
    """Where the launch may go: every enabled region for auto/all, else the asked ones once they are enabled
    (DescribeRegions; the home region by default is not asked about)."""
    if asked is None:
        return ctx.aws.resolve_regions("all")[0]
    if not (ctx.region_spec or "").strip():
        return asked
    enabled, _ = ctx.aws.enabled_regions()
    off = [r for r in asked if r not in enabled]
    if off:
        raise BadInput(f"--region {', '.join(off)}: not enabled for this account (enabled: {', '.join(enabled)})",
                       "enable it in the account settings, or choose an enabled region, or --region auto")
    return asked


# --- asking AWS: everything independent at once (aws/fanout.py), each question once ----------------------------

def at_once(ctx, tasks: dict) -> dict:
    """{key: answer or the exception it raised} for {key: fn}, every fn at once on the run's pool. A task the run's
    deadline cut off is a Timeout error."""
    from _awswiz.aws.fanout import FanOut
    from _awswiz.shell.errors import AwsWizError

    def kept(fn):
        def call():
            try:
                return fn()
            except Exception as exc:  # noqa: BLE001 - handed back to the caller, which decides
                return exc
        return call

    fan = FanOut(ctx.aws.workers)
    for key, fn in tasks.items():
        fan.submit(key, kept(fn), None, str(key))
    results, _ = fan.wait()
    return {k: results[k] if k in results else AwsWizError(f"no answer to {k} before the deadline", code="Timeout")
            for k in tasks}


def value(got: dict, key):
    """An answer of at_once(), raising what the call raised."""
    if isinstance(got[key], Exception):
        raise got[key]
    return got[key]


def planned_images(ctx, confirm: str | None, req: Request) -> dict[str, dict]:
    """{region: image} the plan of this --confirm chose (its DLAMI search and DryRun, minutes ago): the confirm
    launches the image the plan showed, not searched for again (three calls one after another). Only from a valid,
    unexpired launch plan of the same type (and --ami); anything else is asked again, and the guard says what is
    wrong with the token."""
    import time

    from _awswiz.guard import tokens

    if not confirm:
        return {}
    try:
        record = tokens.load(confirm)
    except Exception:  # noqa: BLE001 - an unknown, edited or unreadable token: the guard refuses it with the reason
        return {}
    if record.get("tool") != ctx.tool or not record.get("expires_at", 0) > time.time():
        return {}
    out: dict[str, dict] = {}
    for a in record.get("actions") or []:
        if a.get("op") != "launch" or (a.get("detail") or {}).get("instance_type") != req.instance_type:
            continue
        for v in (a.get("state") or {}).get("views") or []:
            img = v.get("ami")
            if isinstance(img, dict) and img.get("id") and req.ami in (None, img["id"]):
                out[v["region"]] = img
    return out


def start(ctx, req: Request, planned: dict[str, dict] | None = None) -> dict:
    """The first round of a plan, at once: the caller (GetCallerIdentity, asked once: the guard's account comes from
    it too), the regions, the type's spec (type_specs: cached a week), its on-demand prices (cached a week, as
    list_instances caches them) and the public IPv4 price (list_prices' cache); with regions named, every
    question of region_tasks too (whether they are enabled is known when the answers are: nothing changes before).
    planned: the images of the plan being confirmed (planned_images)."""
    asked = asked_regions(ctx)  # a bad name is exit 2 before any call
    tasks = {"identity": ctx.aws.identity, "regions": lambda: regions(ctx, asked),
             "spec": lambda: type_specs.lookup(ctx.aws, req.instance_type),
             "on_demand": lambda: _on_demand(ctx, req), "ipv4": lambda: list_prices.answers(ctx, {"ipv4"})[0]}
    for r in asked or []:
        tasks.update(region_tasks(ctx, r, req, planned))
    got = at_once(ctx, tasks)
    out = {k: value(got, k) for k in ("regions", "spec", "identity")}
    out["images"] = planned or {}
    if out["spec"] is None:
        raise BadInput(f"--type {req.instance_type!r} is not an EC2 instance type AWS knows",
                       "list them (e.g. g5.xlarge, p5.48xlarge): "
                       + hints.command(ctx, "list_instances", "--filter", "g5"))
    out["on_demand"] = got["on_demand"] if isinstance(got["on_demand"], dict) else {}
    out["ipv4"] = got["ipv4"] if isinstance(got["ipv4"], dict) else {}
    out["answers"] = {k: v for k, v in got.items() if isinstance(k, tuple)} if asked else None
    return out


def _on_demand(ctx, req: Request) -> dict:
    """{region: USD per hour}; a price is shown, not needed: the launch does not depend on it."""
    from _awswiz.shell import cache

    prices = pricing.load_cache()
    if cache.fresh(entry := prices.get(req.instance_type)):
        return entry["prices"]
    try:
        found = pricing.fetch_on_demand(ctx.aws.client("pricing", pricing.PRICING_REGION), req.instance_type)
    except Exception:  # noqa: BLE001 - see above
        return {}
    pricing.save_cache({req.instance_type: pricing.record(prices, req.instance_type, found)})
    return found


def _subnets(ec2, req: Request) -> tuple[dict | None, dict[str, dict]]:
    """(the VPC, {az: subnet}) where the instance may go, as DescribeVpcs and DescribeSubnets answer them (with
    their own tags, for the guard)."""
    if req.subnet:
        sn = ec2.describe_subnets(SubnetIds=[req.subnet])["Subnets"][0]
        vpcs = ec2.describe_vpcs(VpcIds=[sn["VpcId"]])["Vpcs"]
        return (vpcs[0] if vpcs else {"VpcId": sn["VpcId"]}), {sn["AvailabilityZone"]: sn}
    vpcs = ec2.describe_vpcs(**({"VpcIds": [req.vpc]} if req.vpc else
                                {"Filters": [{"Name": "is-default", "Values": ["true"]}]}))["Vpcs"]
    if not vpcs:
        return None, {}
    out: dict[str, dict] = {}
    for sn in sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpcs[0]["VpcId"]]}])["Subnets"],
                     key=lambda s: (not s.get("DefaultForAz"), s["SubnetId"])):
        out.setdefault(sn["AvailabilityZone"], sn)
    return vpcs[0], out


def _network(ec2, req: Request) -> dict:
    """The VPC, {az: subnet} and the awswiz-ssh group of that CIDR in the VPC, if any, with the tags of each."""
    vpc, subnets = _subnets(ec2, req)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                                                   {"Name": "group-name", "Values": [sg_name(req.ssh_cidr)]}]
                                          )["SecurityGroups"] if vpc else []
    return {"vpc": vpc["VpcId"] if vpc else None, "subnets": {az: sn["SubnetId"] for az, sn in subnets.items()},
            "groups": groups, "tags": {"vpc": {vpc["VpcId"]: tag_map(vpc.get("Tags"))} if vpc else {},
                                       "subnets": {sn["SubnetId"]: tag_map(sn.get("Tags")) for sn in subnets.values()}}}


def _state(ec2) -> dict:
    """The region's live instances (launch's own among them, the keys they use) and the vCPU quota usage, from one
    listing (quotas.listing: instances, reservations, open spot requests at once)."""
    listed = quotas.listing(ec2, tuple(LIVE), at_once=True)
    return {"instances": listed[0], "usage": quotas.usage(ec2, listed, type_specs.get)}


def _quota_value(ctx, region: str, req: Request):
    q = quota_for_type(req.instance_type, req.market)
    return None if q is None else quotas.current_value(ctx.aws.client("service-quotas", region), q.code)[0]


def _dlami_early(ctx, region: str, req: Request) -> None:
    """The DLAMI parameters of the type's likely architecture, asked while its spec is on its way (image() then
    finds them asked); a failure is image()'s to handle (the name search)."""
    try:
        amis.dlami_parameters(ctx.aws, region, amis.likely_arch(req.instance_type))
    except Exception:  # noqa: BLE001 - see above
        pass


def region_tasks(ctx, region: str, req: Request, planned: dict[str, dict] | None = None) -> dict:
    """Every question launch asks of one region, none depending on another's answer (the image waits for the
    type's spec, asked once: type_specs; its DLAMI search starts at once: _dlami_early). A confirm launches the
    image its plan chose (planned)."""
    ec2 = ctx.aws.client("ec2", region)
    tasks = {("offered", region): lambda: instance_types.offerings(ec2, [req.instance_type]),
             ("net", region): lambda: _network(ec2, req),
             ("quota", region): lambda: _quota_value(ctx, region, req),
             ("image", region): (lambda: planned[region]) if region in (planned or {}) else
             (lambda: image(ctx, region, req)),
             ("state", region): lambda: _state(ec2),
             ("keys", region): lambda: ec2.describe_key_pairs()["KeyPairs"]}
    if req.market == "spot":
        tasks[("spot", region)] = lambda: pricing.spot_by_az(ec2, [req.instance_type])
    if not req.ami and region not in (planned or {}):
        tasks[("dlami", region)] = lambda: _dlami_early(ctx, region, req)
    return tasks


def quota_view(ctx, region: str, req: Request, spec: dict, value, usage: dict) -> dict | None:
    """The vCPU quota the launch counts against: value, used, headroom, and what it needs."""
    q = quota_for_type(req.instance_type, req.market)
    if q is None:
        return None
    used = usage["quotas"].get(q.code, {}).get("vcpus", 0)
    need = (spec.get("vcpus") or 0) * req.count
    view = {"code": q.code, "name": q.name, "value": quotas.num(value), "used": used,
            "headroom": quotas.num(value - used), "needs": need}
    if value - used < need:
        view["request"] = hints.command(ctx, "quota_request", "--code", q.code, "--value",
                                        str(int(used + need)), region=region)
    return view


def region_view(ctx, region: str, req: Request, spec: dict, on_demand: dict, got: dict) -> dict:
    """Everything launch needs to know about one region, or why it cannot be used, from region_tasks' answers."""
    from _awswiz.shell.errors import classify

    out: dict = {"region": region, "on_demand_price": on_demand.get(region)}
    if failed := next((v for k, v in got.items() if k[1] == region and isinstance(v, Exception)), None):
        err = classify(failed, region)  # one region failing leaves the others usable
        return {**out, "usable": False, "reason": f"{err['code']}: {err['message']}"}
    offered = got[("offered", region)].get(req.instance_type, [])
    net = got[("net", region)]
    vpc, subnets, groups = net["vpc"], net["subnets"], net["groups"]
    spot = got[("spot", region)].get(req.instance_type, {}) if req.market == "spot" else {}
    if not offered:
        return {**out, "usable": False, "reason": f"{req.instance_type} is not offered in {region}"}
    azs = [az for az in offered if az in subnets]
    if not azs:
        why = f"no subnet of {vpc} in the AZs offering the type ({', '.join(offered)})" if vpc else "no default VPC"
        return {**out, "usable": False, "reason": why + " (pass --subnet or --vpc)"}
    if req.market == "spot":  # a spot price is per AZ: tried cheapest first, the box priced at its own AZ's
        azs.sort(key=lambda az: (az not in spot, spot.get(az, {}).get("price", 0), az))
        out["spot_prices"] = {az: spot[az]["price"] for az in azs if az in spot}
        out["spot_price"] = out["spot_prices"].get(azs[0])
    out.update(vpc=vpc, azs=azs, subnets={az: subnets[az] for az in azs})
    quota = out["quota"] = quota_view(ctx, region, req, spec, got[("quota", region)], got[("state", region)]["usage"])
    if quota and quota["headroom"] < quota["needs"]:
        return {**out, "usable": False, "reason": f"vCPU quota {quota['code']} ({quota['name']}): "
                f"{quota['used']} of {quota['value']} used, {quota['needs']} needed", "next": quota.get("request")}
    ami = out["ami"] = got[("image", region)]
    if not ami:
        return {**out, "usable": False, "reason": "no launchable image (pass --ami, or see ami.py)"}
    if req.key and not any(k["KeyName"] == req.key for k in got[("keys", region)]):
        return {**out, "usable": False, "reason": f"key pair {req.key} does not exist in {region}"}
    if groups and not identical_sg(groups[0], req.ssh_cidr) and not half_made_sg(groups[0]):
        return {**out, "usable": False, "reason": f"a group named {sg_name(req.ssh_cidr)} exists in {vpc} with "
                "other rules; AwsWiz will not reuse or change it"}
    out["security_group"] = groups[0]["GroupId"] if groups else None
    if groups and half_made_sg(groups[0]):
        out["group_without_rule"] = True
    out["usable"] = True
    return out


def image(ctx, region: str, req: Request) -> dict | None:
    """The image to launch (--ami, else the newest PyTorch DLAMI for the type) with its root device name; the
    DLAMI search's DescribeImages answer carries the root device, so it is not asked again."""
    from botocore.exceptions import ClientError

    if not req.ami:
        spec = type_specs.lookup(ctx.aws, req.instance_type)
        if spec is None:  # not a type AWS knows: start() says so
            return None
        arch = spec.get("arch") if spec.get("arch") in amis.ARCHES else "x86_64"
        img = amis.pick_default(ctx.aws, region, "pytorch", arch, req.instance_type)
        return {k: img[k] for k in ("id", "name", "created", "root_device", "root_gb")} if img else None
    try:
        imgs = ctx.aws.client("ec2", region).describe_images(ImageIds=[req.ami])["Images"]
    except ClientError as exc:
        if not exc.response["Error"]["Code"].startswith("InvalidAMIID"):
            raise
        imgs = []
    if not imgs:
        return None
    i = imgs[0]
    return {"id": i["ImageId"], "name": i.get("Name"), "created": i.get("CreationDate"), **amis.root_of(i)}


def check_disk(req: Request, usable: list[dict]) -> None:
    """--disk below the image's root snapshot is refused by AWS (botocore EbsBlockDevice.VolumeSize: "equal to or
    larger than the snapshot size"; RunInstances answers InvalidBlockDeviceMapping): bad input, before any launch."""
    small = [v for v in usable if req.disk and (v["ami"].get("root_gb") or 0) > req.disk]
    if small:
        need = max(v["ami"]["root_gb"] for v in small)
        where = ", ".join(f"{v['ami']['id']} in {v['region']}: {v['ami']['root_gb']} GB" for v in small)
        raise BadInput(f"--disk {req.disk} GB is smaller than the image's root snapshot ({where}); AWS refuses a "
                       f"root volume smaller than its snapshot", f"pass --disk {need} or more, or leave out --disk "
                       "(the image's size)")


def ssh_user(ami: dict) -> str:
    """The login of the image: ubuntu on Ubuntu DLAMIs, ec2-user on Amazon Linux ones."""
    return "ubuntu" if "ubuntu" in (ami.get("name") or "").lower() else "ec2-user"


def price_of(view: dict, req: Request, az: str | None = None) -> float | None:
    """USD per hour of one box: the instance and its public IPv4 address (launch_run asks for one,
    AssociatePublicIpAddress; Amazon VPC pricing bills it per hour), priced by list_prices as costs --now is.
    A spot box in a known AZ is priced at that AZ's price (a spot price is per AZ), else at the cheapest."""
    if req.market == "spot":
        base = (view.get("spot_prices") or {}).get(az) if az else view.get("spot_price")
    else:
        base = view.get("on_demand_price")
    return None if base is None else round(base + (view.get("public_ipv4_price") or 0), 4)


def survey(ctx, req: Request, pre: dict) -> tuple[list[dict], dict]:
    """(region views sorted: usable first, cheapest first; what each region answered besides: its live instances,
    key pairs and network tags), every region's questions at once."""
    got = pre.pop("answers", None)  # asked with the first round (regions named); a second build asks again
    if got is None:
        tasks: dict = {}
        for r in pre["regions"]:
            tasks.update(region_tasks(ctx, r, req, pre.get("images")))
        got = at_once(ctx, tasks)
    seen = {r: {"instances": value(got, ("state", r))["instances"], "keys": value(got, ("keys", r)),
                "net": got[("net", r)]["tags"] if isinstance(got[("net", r)], dict) else {}}
            for r in pre["regions"]}  # the launch's own boxes and keys must be known everywhere: a failure ends it
    views = [region_view(ctx, r, req, pre["spec"], pre["on_demand"], got) for r in pre["regions"]]
    for v in views:
        v["public_ipv4_price"] = list_prices.rate(pre["ipv4"], "ipv4:in-use", v["region"])[0]
    views.sort(key=lambda v: (not v.get("usable"), price_of(v, req) if price_of(v, req) is not None else 1e9,
                              v["region"]))
    return views, seen


def new_key_name(req: Request, seen: dict, region_names: list[str]) -> str:
    """awswiz-NAME, or awswiz-NAME-2, -3...: the first name with no key pair in these regions (survey listed them).
    A saved private key without a pair there (a confirm killed before ImportKeyPair, or a terminated box's key) is
    imported again rather than left behind."""
    base = req.name if req.name.startswith("awswiz-") else f"awswiz-{req.name}"
    taken = {k["KeyName"] for r in region_names for k in seen[r]["keys"]}
    for n in range(1, 1000):
        cand = base if n == 1 else f"{base}-{n}"
        if cand not in taken:
            return cand
    raise BadInput(f"no free key name for {base}", "pass --key")


def no_region_error(ctx, req: Request, views: list[dict]) -> dict:
    why = "; ".join(f"{v['region']}: {v.get('reason')}" for v in views)
    nxt = next((v.get("next") for v in views if v.get("next")), None)
    hint = f"raise the quota: {nxt}" if nxt else "try other regions (--region auto) or another type"
    code = "QuotaExceeded" if nxt else "NoCapacity"
    return error_entry(code, f"{req.instance_type} cannot be launched in any region asked: {why}", hint)
