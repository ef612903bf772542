"""network.py create's plan: a training network (VPC, a public and a private subnet per AZ, an internet gateway, NAT
gateways with their Elastic IPs, route tables, an S3 gateway endpoint), laid out from the CIDR, checked against
what the region holds (AZs, VPCs, names), priced (NAT hours and public IPv4), one guarded action per resource.

AWS rules it keeps (each cited where it is used): the VPC block is /16../28 (Amazon VPC User Guide, "VPC CIDR
blocks"), a subnet at least /28 ("Subnet CIDR blocks"); a NAT gateway sits in a public subnet with an Elastic IP
and private subnets route 0.0.0.0/0 to it ("NAT gateways"); the public route table sends 0.0.0.0/0 to the internet
gateway ("Enable internet access for a VPC using an internet gateway"); an S3 gateway endpoint is a route in the
route tables it is associated with, with no hourly charge ("Gateway endpoints for Amazon S3").
"""

from __future__ import annotations

import ipaddress
import math
import re

from _awswiz.compute import list_prices
from _awswiz.guard import Action, Plan
from _awswiz.inventory.table import tag_map
from _awswiz.shell.errors import BadInput

NETWORK_TAG = "awswiz:network"
TIER_TAG = "awswiz:tier"  # a subnet's public | private
NATS = ("single", "per-az", "none")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,47}$")
# Amazon VPC User Guide, "VPC CIDR blocks": "The allowed block size is between a /16 netmask (65,536 IP addresses)
# and /28 netmask (16 IP addresses)"; "Subnet CIDR blocks": the same /16../28 for a subnet
VPC_PREFIXES, SUBNET_MAX_PREFIX = (16, 28), 28
MAX_AZS = 6


def check_args(name: str | None, cidr: str | None, azs: int, nat: str) -> ipaddress.IPv4Network:
    """Bad input before anything is sent: the name, the CIDR, the AZ count and the NAT mode."""
    if not name or not NAME_RE.match(name):
        raise BadInput(f"--name must be 1-48 letters, digits, '.', '_' or '-', starting with a letter or digit (got "
                       f"{name!r})", "e.g. --name train-net")
    if nat not in NATS:
        raise BadInput(f"--nat must be one of: {', '.join(NATS)} (got {nat!r})", "e.g. --nat single")
    if not 1 <= azs <= MAX_AZS:
        raise BadInput(f"--azs must be 1..{MAX_AZS} (got {azs})", "e.g. --azs 2")
    try:
        net = ipaddress.ip_network((cidr or "").strip(), strict=True)
    except ValueError:
        loose = _loose(cidr)
        raise BadInput(f"--cidr {cidr!r} is not an IPv4 network address such as 10.20.0.0/16"
                       + (f" (did you mean {loose}?)" if loose else ""), "e.g. --cidr 10.20.0.0/16") from None
    if net.version != 4 or not VPC_PREFIXES[0] <= net.prefixlen <= VPC_PREFIXES[1]:
        raise BadInput(f"--cidr {cidr}: a VPC's IPv4 block is /16 to /28 (Amazon VPC User Guide, VPC CIDR blocks)",
                       "e.g. --cidr 10.20.0.0/16")
    if net.prefixlen + bits(azs) > SUBNET_MAX_PREFIX:
        raise BadInput(f"--cidr {cidr} is too small for {2 * azs} subnets of at least /28 (--azs {azs})",
                       f"use a larger block, e.g. /{SUBNET_MAX_PREFIX - bits(azs)} or wider")
    return net


def _loose(cidr: str | None) -> str | None:
    try:
        return str(ipaddress.ip_network((cidr or "").strip(), strict=False))
    except ValueError:
        return None


def bits(azs: int) -> int:
    """Extra prefix bits to cut the block into 2*azs equal subnets (a power of two at least 2*azs)."""
    return math.ceil(math.log2(2 * azs))


def layout(net: ipaddress.IPv4Network, zones: list[str]) -> list[dict]:
    """One public and one private subnet per AZ, equal blocks: publics first, then privates."""
    blocks = list(net.subnets(prefixlen_diff=bits(len(zones))))
    n = len(zones)
    return ([{"tier": "public", "az": z, "cidr": str(blocks[i])} for i, z in enumerate(zones)]
            + [{"tier": "private", "az": z, "cidr": str(blocks[n + i])} for i, z in enumerate(zones)])


def nat_zones(nat: str, zones: list[str]) -> list[str]:
    return [] if nat == "none" else zones[:1] if nat == "single" else list(zones)


def discover(ctx, region: str) -> dict:
    """The region's AZs (available, of zone type availability-zone), its VPCs and the hourly prices (the Pricing API,
    or list_prices' cache), asked at once."""
    from _awswiz.aws.client import paginate
    from _awswiz.aws.fanout import FanOut
    from _awswiz.shell.errors import AwsWizError

    ec2 = ctx.aws.client("ec2", region)
    fan = FanOut(ctx.aws.workers)
    fan.submit("zones", lambda: ec2.describe_availability_zones(Filters=[
        {"Name": "state", "Values": ["available"]}, {"Name": "zone-type", "Values": ["availability-zone"]}]),
        region, "DescribeAvailabilityZones")
    fan.submit("vpcs", lambda: paginate(ec2, "describe_vpcs", "Vpcs"), region, "DescribeVpcs")
    doc, stale = list_prices.submit(ctx, {"nat", "ipv4"}, fan)
    results, errors = fan.wait()
    list_prices.finish(doc, stale, results)
    if "zones" not in results or "vpcs" not in results:
        e = errors[0]
        raise AwsWizError(e["message"], e.get("hint", ""), code=e["code"], region=region)
    return {"zones": sorted(z["ZoneName"] for z in results["zones"]["AvailabilityZones"]), "vpcs": results["vpcs"],
            "prices": doc, "price_errors": [e["message"] for e in errors]}


def check_world(name: str, net: ipaddress.IPv4Network, azs: int, region: str, seen: dict, hint_list: str) -> list[str]:
    """Bad input only AWS can tell: an AZ count the region lacks, a block overlapping a VPC there, a name in use.
    Returns the AZs to use."""
    zones = seen["zones"]
    if azs > len(zones):
        raise BadInput(f"--azs {azs}: {region} has {len(zones)} available AZs ({', '.join(zones)})",
                       f"use --azs {len(zones)} or fewer")
    for v in seen["vpcs"]:
        tags = tag_map(v.get("Tags"))
        if name in (tags.get(NETWORK_TAG), tags.get("Name")):
            raise BadInput(f"--name {name} is in use in {region}: VPC {v['VpcId']} ({v.get('CidrBlock')})",
                           f"choose another --name; see them: {hint_list}")
        blocks = [a["CidrBlock"] for a in v.get("CidrBlockAssociationSet", []) if a.get("CidrBlockState", {})
                  .get("State", "associated") == "associated"] or [v.get("CidrBlock")]
        for b in filter(None, blocks):
            if net.overlaps(ipaddress.ip_network(b)):
                raise BadInput(f"--cidr {net} overlaps VPC {v['VpcId']} ({b}, {tags.get('Name') or 'unnamed'}) in "
                               f"{region}", "choose a block that overlaps no VPC there, e.g. another 10.x.0.0/16")
    return zones[:azs]


def monthly_cost(seen: dict, region: str, n_nat: int) -> dict:
    """What bills by the hour: NAT gateway hours and their Elastic IPs (public IPv4, in use), per month, from the
    core's price source (the Pricing API, else the dated list-price table). Traffic is not counted."""
    if not n_nat:
        return {"per_month": 0.0, "what": "nothing billed by the hour (no NAT gateway, no Elastic IP)"}
    doc, errors = seen["prices"], seen["price_errors"]
    usd, basis, date = list_prices.price(doc, [("nat", n_nat), ("ipv4:in-use", n_nat)], region)
    out = {"per_month": usd, "what": f"{n_nat} NAT gateway(s) + {n_nat} public IPv4 (Elastic IP) hours",
           "price_source": basis, "price_date": date,
           "not_included": "NAT data processed per GB, data transfer (the S3 gateway endpoint keeps S3 traffic off "
                           "the NAT)"}
    if errors:
        out["price_errors"] = errors
    return out


def actions(name: str, region: str, net, rows: list[dict], nat: str, s3: bool, cost: dict) -> list[Action]:
    """Every resource create makes, in the order AWS needs them; all of one target (the network's name), so a step
    that fails stops the rest. An action's id is the Name tag the resource gets."""
    zones = [r["az"] for r in rows if r["tier"] == "public"]
    natz = nat_zones(nat, zones)
    each = cost["per_month"] / len(natz) if natz else 0

    def act(kind: str, rid: str, **detail) -> Action:
        return Action(op="create", type=kind, id=rid, region=region, name=rid, target=name,
                      detail={k: v for k, v in detail.items() if v not in (None, [], "")}, state=detail)

    out = [act("vpc:vpc", name, cidr=str(net), dns="support and hostnames on", monthly_usd=cost["per_month"]),
           act("vpc:internet-gateway", f"{name}-igw", attach_to=name)]
    out += [act("vpc:subnet", f"{name}-{r['tier']}-{r['az']}", cidr=r["cidr"], az=r["az"], tier=r["tier"],
                public_ip_on_launch=r["tier"] == "public") for r in rows]
    out.append(act("vpc:route-table", f"{name}-public", routes={"0.0.0.0/0": f"{name}-igw"},
                   subnets=[f"{name}-public-{z}" for z in zones]))
    for z in natz:
        out.append(act("ec2:elastic-ip", f"{name}-nat-{z}-ip", for_nat=f"{name}-nat-{z}"))
        out.append(act("vpc:nat-gateway", f"{name}-nat-{z}", subnet=f"{name}-public-{z}",
                       address=f"{name}-nat-{z}-ip", monthly_usd=round(each, 2)))
    private = [(f"{name}-private-{z}", [z]) for z in zones] if nat == "per-az" else [(f"{name}-private", zones)]
    for rt, served in private:
        route = {"0.0.0.0/0": f"{name}-nat-{natz[0] if nat == 'single' else served[0]}"} if natz else {}
        out.append(act("vpc:route-table", rt, routes=route, subnets=[f"{name}-private-{z}" for z in served]))
    if s3:
        out.append(act("vpc:endpoint", f"{name}-s3", service=f"com.amazonaws.{region}.s3", endpoint_type="Gateway",
                       route_tables=[rt for rt, _ in private], monthly_usd=0))
    return out


def plan(ctx, region: str, name: str, net, azs: int, nat: str, s3: bool, hint_list: str) -> tuple[Plan, dict]:
    seen = discover(ctx, region)
    zones = check_world(name, net, azs, region, seen, hint_list)
    rows = layout(net, zones)
    cost = monthly_cost(seen, region, len(nat_zones(nat, zones)))
    scope = {"region": region, "names": [name], "cidr": str(net), "azs": zones, "nat": nat, "s3_endpoint": s3}
    return Plan(actions=actions(name, region, net, rows, nat, s3, cost), scope=scope), cost
