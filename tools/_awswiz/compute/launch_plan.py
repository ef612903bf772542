"""launch.py's discovery: where the type can run (regions, AZs, subnets), at what price, within which quota,
from which image; the SSH rule; the key; and the one guarded action that launch.py then applies
(launch_run.py)."""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from _awswiz.compute import amis, list_prices, pricing, quotas
from _awswiz.compute.quota_codes import quota_for_type
from _awswiz.inventory import instance_types
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput, error_entry

SG_PREFIX = "awswiz-ssh-"
WORLD = "0.0.0.0/0"
IP_URL = "https://checkip.amazonaws.com"
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


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


# --- regions -------------------------------------------------------------------------------------

def regions(ctx) -> list[str]:
    spec = (ctx.region_spec or "").strip()
    if spec in ("auto", "all"):
        return ctx.aws.resolve_regions("all")[0]
    if not spec:
        return [ctx.aws.home_region]
    asked = ctx.aws.resolve_regions(spec)[0]
    enabled, _ = ctx.aws.enabled_regions()
    off = [r for r in asked if r not in enabled]
    if off:
        raise BadInput(f"--region {', '.join(off)}: not enabled for this account (enabled: {', '.join(enabled)})",
                       "enable it in the account settings, or choose an enabled region, or --region auto")
    return asked


def _subnets(ec2, req: Request) -> tuple[str | None, dict[str, str]]:
    """(vpc, {az: subnet}) where the instance may go."""
    if req.subnet:
        sn = ec2.describe_subnets(SubnetIds=[req.subnet])["Subnets"][0]
        return sn["VpcId"], {sn["AvailabilityZone"]: sn["SubnetId"]}
    if req.vpc:
        vpc = req.vpc
    else:
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            return None, {}
        vpc = vpcs[0]["VpcId"]
    out: dict[str, str] = {}
    for sn in sorted(ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"],
                     key=lambda s: (not s.get("DefaultForAz"), s["SubnetId"])):
        out.setdefault(sn["AvailabilityZone"], sn["SubnetId"])
    return vpc, out


def quota_view(ctx, region: str, req: Request, spec: dict) -> dict | None:
    """The vCPU quota the launch counts against: value, used, headroom, and what it needs."""
    q = quota_for_type(req.instance_type, req.market)
    if q is None:
        return None
    value, _, _ = quotas.current_value(ctx.aws.client("service-quotas", region), q.code)
    used = quotas.usage(ctx.aws.client("ec2", region))["quotas"].get(q.code, {}).get("vcpus", 0)
    need = (spec.get("vcpus") or 0) * req.count
    view = {"code": q.code, "name": q.name, "value": quotas.num(value), "used": used,
            "headroom": quotas.num(value - used), "needs": need}
    if value - used < need:
        view["request"] = hints.command(ctx, "quota_request", "--code", q.code, "--value",
                                        str(int(used + need)), region=region)
    return view


def region_view(ctx, region: str, req: Request, spec: dict, on_demand: dict) -> dict:
    """Everything launch needs to know about one region, or why it cannot be used. The independent lookups
    (offerings, network, quota, image, spot price, key) run at once: the plan waits for the slowest chain."""
    ec2 = ctx.aws.client("ec2", region)
    out: dict = {"region": region, "on_demand_price": on_demand.get(region)}
    with ThreadPoolExecutor(max_workers=6) as pool:
        f_offered = pool.submit(instance_types.offerings, ec2, [req.instance_type])
        f_net = pool.submit(_network, ec2, req)
        f_quota = pool.submit(quota_view, ctx, region, req, spec)
        f_image = pool.submit(image, ctx, region, req, spec)
        f_spot = pool.submit(pricing.spot_by_az, ec2, [req.instance_type]) if req.market == "spot" else None
        f_key = pool.submit(_key_exists, ec2, req.key) if req.key else None
        offered = f_offered.result().get(req.instance_type, [])
        vpc, subnets, groups = f_net.result()
        quota, ami = f_quota.result(), f_image.result()
        spot = f_spot.result().get(req.instance_type, {}) if f_spot else {}
        key_exists = f_key.result() if f_key else None
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
    out["quota"] = quota
    if quota and quota["headroom"] < quota["needs"]:
        return {**out, "usable": False, "reason": f"vCPU quota {quota['code']} ({quota['name']}): "
                f"{quota['used']} of {quota['value']} used, {quota['needs']} needed", "next": quota.get("request")}
    out["ami"] = ami
    if not ami:
        return {**out, "usable": False, "reason": "no launchable image (pass --ami, or see ami.py)"}
    if req.key and not key_exists:
        return {**out, "usable": False, "reason": f"key pair {req.key} does not exist in {region}"}
    if groups and not identical_sg(groups[0], req.ssh_cidr) and not half_made_sg(groups[0]):
        return {**out, "usable": False, "reason": f"a group named {sg_name(req.ssh_cidr)} exists in {vpc} with "
                "other rules; AwsWiz will not reuse or change it"}
    out["security_group"] = groups[0]["GroupId"] if groups else None
    if groups and half_made_sg(groups[0]):
        out["group_without_rule"] = True
    out["usable"] = True
    return out


def _network(ec2, req: Request) -> tuple[str | None, dict[str, str], list[dict]]:
    """(vpc, {az: subnet}, the awswiz-ssh group of that CIDR in the VPC, if any)."""
    vpc, subnets = _subnets(ec2, req)
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                   {"Name": "group-name", "Values": [sg_name(req.ssh_cidr)]}]
                                          )["SecurityGroups"] if vpc else []
    return vpc, subnets, groups


def _key_exists(ec2, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        return bool(ec2.describe_key_pairs(KeyNames=[name])["KeyPairs"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "InvalidKeyPair.NotFound":
            return False
        raise


def image(ctx, region: str, req: Request, spec: dict) -> dict | None:
    """The image to launch (--ami, else the newest PyTorch DLAMI for the type) with its root device name."""
    from botocore.exceptions import ClientError

    ec2 = ctx.aws.client("ec2", region)
    image_id = req.ami
    if not image_id:
        arch = spec.get("arch") if spec.get("arch") in amis.ARCHES else "x86_64"
        img = amis.pick_default(ctx.aws, region, "pytorch", arch, req.instance_type)
        image_id = img["id"] if img else None
    if not image_id:
        return None
    try:
        imgs = ec2.describe_images(ImageIds=[image_id])["Images"]
    except ClientError as exc:
        if not exc.response["Error"]["Code"].startswith("InvalidAMIID"):
            raise
        imgs = []
    if not imgs:
        return None
    i = imgs[0]
    root = i.get("RootDeviceName") or "/dev/sda1"
    size = next((m["Ebs"].get("VolumeSize") for m in i.get("BlockDeviceMappings", [])
                 if m.get("DeviceName") == root and "Ebs" in m), None)
    return {"id": i["ImageId"], "name": i.get("Name"), "created": i.get("CreationDate"), "root_device": root,
            "root_gb": size}


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


def survey(ctx, req: Request, region_names: list[str]) -> tuple[dict, list[dict]]:
    """(spec, region views sorted: usable first, cheapest first)."""
    with ThreadPoolExecutor(max_workers=3) as pool:
        f_prices = pool.submit(_on_demand, ctx, req)
        f_ipv4 = pool.submit(list_prices.answers, ctx, {"ipv4"})
        spec = instance_types.lookup(ctx.aws, req.instance_type)
        on_demand, (listed, _) = f_prices.result(), f_ipv4.result()
    if spec is None:
        raise BadInput(f"--type {req.instance_type!r} is not an EC2 instance type AWS knows",
                       "list them (e.g. g5.xlarge, p5.48xlarge): "
                       + hints.command(ctx, "list_instances", "--filter", "g5"))
    with ThreadPoolExecutor(max_workers=min(8, len(region_names))) as pool:
        views = list(pool.map(lambda r: _safe_view(ctx, r, req, spec, on_demand), region_names))
    for v in views:
        v["public_ipv4_price"] = list_prices.rate(listed, "ipv4:in-use", v["region"])[0]
    views.sort(key=lambda v: (not v.get("usable"), price_of(v, req) if price_of(v, req) is not None else 1e9,
                              v["region"]))
    return spec, views


def _on_demand(ctx, req: Request) -> dict:
    try:
        return pricing.fetch_on_demand(ctx.aws.client("pricing", pricing.PRICING_REGION), req.instance_type)
    except Exception:  # noqa: BLE001 - a price is shown, not needed: the launch does not depend on it
        return {}


def _safe_view(ctx, region, req, spec, on_demand) -> dict:
    from _awswiz.shell.errors import classify

    try:
        return region_view(ctx, region, req, spec, on_demand)
    except Exception as exc:  # noqa: BLE001 - one region failing leaves the others usable
        err = classify(exc, region)
        return {"region": region, "usable": False, "reason": f"{err['code']}: {err['message']}"}


def new_key_name(ctx, req: Request, region_names: list[str]) -> str:
    """awswiz-NAME, or awswiz-NAME-2, -3...: the first name with no key pair in these regions. A saved private key
    without a pair there (a confirm killed before ImportKeyPair, or a terminated box's key) is imported again
    rather than left behind."""
    base = req.name if req.name.startswith("awswiz-") else f"awswiz-{req.name}"
    for n in range(1, 1000):
        cand = base if n == 1 else f"{base}-{n}"
        if any(_key_exists(ctx.aws.client("ec2", r), cand) for r in region_names):
            continue
        return cand
    raise BadInput(f"no free key name for {base}", "pass --key")


def no_region_error(ctx, req: Request, views: list[dict]) -> dict:
    why = "; ".join(f"{v['region']}: {v.get('reason')}" for v in views)
    nxt = next((v.get("next") for v in views if v.get("next")), None)
    hint = f"raise the quota: {nxt}" if nxt else "try other regions (--region auto) or another type"
    code = "QuotaExceeded" if nxt else "NoCapacity"
    return error_entry(code, f"{req.instance_type} cannot be launched in any region asked: {why}", hint)
