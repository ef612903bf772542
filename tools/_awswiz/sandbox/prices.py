"""The sandbox's price model (fixture data; moto has no prices), read by pricing/ (the Price List Query API) and
ec2/ (spot prices, RunInstances MaxPrice).

On-demand instance prices are the real us-east-1 list prices for the common types, a per-vCPU and per-GPU model
for the rest, scaled by region; a type is priced only in the regions moto offers it. Spot prices sit at 30-45 % of
on-demand, different per availability zone.

Products billed besides instances: EBS storage per volume type and snapshots (AmazonEC2, productFamily "Storage" /
"Storage Snapshot"), NAT gateway hours (AmazonEC2, "NAT Gateway"), public IPv4 addresses (AmazonVPC, group
"VPCPublicIPv4Address": since 2024-02-01 they are priced under Amazon VPC), and load balancer hours (AWSELB, "Load
Balancer-Application" / "Load Balancer-Network"), with the neighbours a query also returns in AWS and that a reader
must tell apart by usagetype: archive-tier snapshots, NAT data processed and regional NAT gateways, in-use
addresses, load balancer capacity units. Prices are the us-east-1 list prices (Amazon EBS pricing, Amazon VPC
pricing, Elastic Load Balancing pricing; the date below), scaled by region as the instance prices are.
"""

from __future__ import annotations

import functools
import hashlib

# The date of the list prices below, stamped on every PriceList entry. They are us-east-1 Linux on-demand list
# prices as transcribed when the sandbox was written; the P4 and P5 figures predate AWS's June 2025 price
# reduction for those instances, so the date says so rather than pretending to be today's price.
PRICE_DATE = "2025-05-01"
US_EAST_1 = {  # USD per hour, Linux, shared tenancy
    "t3.micro": 0.0104, "t3.small": 0.0208, "m5.xlarge": 0.192, "c5.xlarge": 0.17, "g4dn.xlarge": 0.526,
    "g4dn.12xlarge": 3.912, "g5.xlarge": 1.006, "g5.2xlarge": 1.212, "g5.12xlarge": 5.672, "g5.48xlarge": 16.288,
    "g6.xlarge": 0.8048, "g6.12xlarge": 4.6016, "g6e.xlarge": 1.861, "p3.2xlarge": 3.06, "p3.16xlarge": 24.48,
    "p4d.24xlarge": 32.7726, "p4de.24xlarge": 40.9657, "p5.48xlarge": 98.32, "p5e.48xlarge": 108.0,
    "p5en.48xlarge": 84.0, "trn1.32xlarge": 21.5, "inf2.xlarge": 0.7582,
}
PER_GPU = {"H100": 11.5, "H200": 12.5, "B200": 14.0, "A100": 4.1, "A10G": 0.75, "L4": 0.6, "L40S": 1.4,
           "T4": 0.38, "V100": 2.9, "M60": 0.5, "T4g": 0.36, "Radeon Pro V520": 0.35}


def moto_types():
    """moto's instance types and their offerings (by region and by availability zone)."""
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS, INSTANCE_TYPES

    return INSTANCE_TYPES, INSTANCE_TYPE_OFFERINGS


@functools.cache
def offered(region: str) -> frozenset[str]:
    return frozenset(o["InstanceType"] for o in moto_types()[1]["region"].get(region, []))


def region_factor(region: str) -> float:
    if region in ("us-east-1", "us-east-2", "us-west-2"):
        return 1.0
    return {"eu": 1.12, "ap": 1.25}.get(region[:2], 1.18)


def on_demand(itype: str, region: str) -> float | None:
    types, _ = moto_types()
    spec = types.get(itype)
    if spec is None or itype not in offered(region):
        return None
    base = US_EAST_1.get(itype)
    if base is None:
        vcpus = spec.get("VCpuInfo", {}).get("DefaultVCpus", 1)
        base = vcpus * 0.0425
        for g in spec.get("GpuInfo", {}).get("Gpus", []):
            base += g.get("Count", 0) * PER_GPU.get(g.get("Name"), 1.0)
        for d in spec.get("NeuronInfo", {}).get("NeuronDevices", []):
            base += d.get("Count", 0) * 0.9
    return round(base * region_factor(region), 4)


def spot_price(itype: str, az: str, region: str) -> float | None:
    """The sandbox's current spot price of a type in an AZ (DescribeSpotPriceHistory answers it, RunInstances
    compares a MaxPrice with it)."""
    od = on_demand(itype, region)
    if od is None:
        return None
    h = int(hashlib.sha1(az.encode() + itype.encode()).hexdigest()[:4], 16)
    return round(od * (0.30 + (h % 16) / 100), 4)


# (service code, product family, usagetype after the region prefix, unit, USD in us-east-1, extra attributes)
PRODUCTS = [
    *[("AmazonEC2", "Storage", f"EBS:VolumeUsage.{api}", "GB-Mo", usd, {"volumeApiName": api})
      for api, usd in {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015,
                       "standard": 0.05}.items()],
    ("AmazonEC2", "Storage Snapshot", "EBS:SnapshotUsage", "GB-Mo", 0.05, {}),
    ("AmazonEC2", "Storage Snapshot", "EBS:SnapshotArchiveStorage", "GB-Mo", 0.0125, {}),
    ("AmazonEC2", "NAT Gateway", "NatGateway-Hours", "Hrs", 0.045, {"group": "NGW:NatGateway"}),
    ("AmazonEC2", "NAT Gateway", "NatGateway-Bytes", "GB", 0.045, {"group": "NGW:NatGateway"}),
    ("AmazonEC2", "NAT Gateway", "RegionalNatGateway-Hours", "Hrs", 0.063, {"group": "NGW:RegionalNatGateway"}),
    ("AmazonVPC", "IP Address", "PublicIPv4:IdleAddress", "Hrs", 0.005, {"group": "VPCPublicIPv4Address"}),
    ("AmazonVPC", "IP Address", "PublicIPv4:InUseAddress", "Hrs", 0.005, {"group": "VPCPublicIPv4Address"}),
    ("AWSELB", "Load Balancer-Application", "LoadBalancerUsage", "Hrs", 0.0225, {}),
    ("AWSELB", "Load Balancer-Application", "LCUUsage", "LCU-Hrs", 0.008, {}),
    ("AWSELB", "Load Balancer-Network", "LoadBalancerUsage", "Hrs", 0.0225, {}),
    ("AWSELB", "Load Balancer-Network", "LCUUsage", "LCU-Hrs", 0.006, {}),
]


def prefix(region: str) -> str:
    """The usagetype's region prefix (us-east-1 has none in most families; others e.g. EUC1-)."""
    if region == "us-east-1":
        return ""
    area, where, n = region.split("-")
    return f"{area[:2].upper()}{where[0].upper()}{n}-"


def price(service: str, family: str, usage: str, region: str, factor: float) -> float | None:
    """The sandbox's price for a product in a region (what its GetProducts answers): the us-east-1 price times
    the region's factor (region_factor, as for instances)."""
    for s, f, u, _, usd, _ in PRODUCTS:
        if (s, f, u) == (service, family, usage):
            return round(usd * factor, 6)
    return None
