"""network.py list: the networks network.py made (resources tagged awswiz:network), per region, each with its
subnets by tier, NAT gateways and S3 endpoint; one call per kind and region, every region at once."""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.aws.fanout import FanOut
from _awswiz.compute.network_plan import NETWORK_TAG, TIER_TAG
from _awswiz.inventory.table import tag_map

KINDS = {"vpcs": ("describe_vpcs", "Vpcs"), "subnets": ("describe_subnets", "Subnets"),
         "nats": ("describe_nat_gateways", "NatGateways"), "endpoints": ("describe_vpc_endpoints", "VpcEndpoints")}
GONE = ("deleted", "deleting", "failed")


def _region(found: dict, region: str) -> list[dict]:
    out = []
    for v in found["vpcs"]:
        name = tag_map(v.get("Tags")).get(NETWORK_TAG)
        vid = v["VpcId"]
        subnets = sorted((s for s in found["subnets"] if s.get("VpcId") == vid), key=lambda s: s["AvailabilityZone"])

        def tier(t, subnets=subnets):
            return [{"id": s["SubnetId"], "az": s["AvailabilityZone"], "cidr": s["CidrBlock"]}
                    for s in subnets if tag_map(s.get("Tags")).get(TIER_TAG) == t]

        out.append({"name": name, "region": region, "vpc": vid, "cidr": v.get("CidrBlock"),
                    "azs": sorted({s["AvailabilityZone"] for s in subnets}),
                    "public_subnets": tier("public"), "private_subnets": tier("private"),
                    "nat_gateways": [n["NatGatewayId"] for n in found["nats"]
                                     if n.get("VpcId") == vid and str(n.get("State")).lower() not in GONE],
                    "s3_endpoint": next((e["VpcEndpointId"] for e in found["endpoints"] if e.get("VpcId") == vid
                                         and str(e.get("State")).lower() not in GONE), None)})
    return out


def listing(ctx) -> dict:
    regions, skipped = ctx.regions(default="all")
    fan = FanOut(ctx.aws.workers)
    flt = [{"Name": "tag-key", "Values": [NETWORK_TAG]}]
    for r in regions:
        for key, (op, path) in KINDS.items():
            fan.submit((r, key), lambda r=r, op=op, path=path: paginate(ctx.aws.client("ec2", r), op, path,
                                                                         Filters=flt), r, op)
    results, errors = fan.wait()
    if errors:
        from _awswiz.shell.errors import AwsWizError

        e = errors[0]
        raise AwsWizError(e["message"], e.get("hint", ""), code=e["code"], region=e.get("region"))
    networks = [n for r in regions for n in _region({k: results[(r, k)] for k in KINDS}, r)]
    return {"regions": regions, "skipped_regions": skipped, "networks": networks}
