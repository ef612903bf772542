"""The sandbox's price list products billed besides instances (moto has no Pricing API): EBS storage per volume type
and snapshots (AmazonEC2, productFamily "Storage" / "Storage Snapshot"), NAT gateway hours (AmazonEC2, "NAT
Gateway"), public IPv4 addresses (AmazonVPC, group "VPCPublicIPv4Address": since 2024-02-01 they are priced
under Amazon VPC), and load balancer hours (AWSELB, "Load Balancer-Application" / "Load Balancer-Network").

The products are in the real PriceList format, with the neighbours a query also returns in AWS and that a reader
must tell apart by usagetype: archive-tier snapshots, NAT data processed and regional NAT gateways, in-use
addresses, load balancer capacity units. Prices are the us-east-1 list prices (Amazon EBS pricing, Amazon VPC
pricing, Elastic Load Balancing pricing; the date below), scaled by region as the instance prices are.
pricing_api's Price List API answers them, with the instances, from one catalogue.
"""

from __future__ import annotations

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
FAMILIES = {(p[0], p[1]) for p in PRODUCTS}


def prefix(region: str) -> str:
    """The usagetype's region prefix (us-east-1 has none in most families; others e.g. EUC1-)."""
    if region == "us-east-1":
        return ""
    area, where, n = region.split("-")
    return f"{area[:2].upper()}{where[0].upper()}{n}-"


def price(service: str, family: str, usage: str, region: str, factor: float) -> float | None:
    """The sandbox's price for a product in a region (what its GetProducts answers): the us-east-1 price times
    the region's factor (pricing_api.region_factor, as for instances)."""
    for s, f, u, _, usd, _ in PRODUCTS:
        if (s, f, u) == (service, family, usage):
            return round(usd * factor, 6)
    return None


def _install_lb_addresses() -> None:
    """What decides a load balancer's public IPv4 addresses, as AWS describes them and moto does not:
    - Scheme: created without one, moto describes none; AWS's default is internet-facing (elbv2 CreateLoadBalancer,
      Scheme: "The default is an Internet-facing load balancer"; "The nodes of an Internet-facing load balancer
      have public IP addresses"). A Gateway Load Balancer takes no scheme.
    - IpAddressType dualstack-without-public-ipv4 (botocore elbv2 IpAddressType): moto refuses it; AWS takes it.
    - SubnetMappings AllocationId (an NLB's Elastic IP per AZ): AWS lists it in the zone's LoadBalancerAddresses
      ({IpAddress, AllocationId}); moto drops it."""
    from moto.ec2.models import ec2_backends
    from moto.elbv2.models import AvailabilityZone, ELBv2Backend, FakeLoadBalancer

    if getattr(ELBv2Backend, "_awswiz_addresses", False):
        return
    create = ELBv2Backend.create_load_balancer

    def create_load_balancer(self, *a, **kw):
        if kw.get("scheme") is None and kw.get("loadbalancer_type") != "gateway":
            kw["scheme"] = "internet-facing"
        wanted = kw.get("ip_address_type")
        if wanted == "dualstack-without-public-ipv4":
            kw["ip_address_type"] = "dualstack"
        lb = create(self, *a, **kw)
        lb.ip_address_type = wanted or lb.ip_address_type
        ec2 = ec2_backends[self.account_id][self.region_name]
        lb.awswiz_eips = {}
        for m in kw.get("subnet_mappings") or []:
            if m.get("AllocationId"):
                (addr,) = ec2.describe_addresses(allocation_ids=[m["AllocationId"]])
                lb.awswiz_eips[m["SubnetId"]] = {"IpAddress": addr.public_ip, "AllocationId": m["AllocationId"]}
        return lb

    def availability_zones(self):
        zones = [AvailabilityZone(subnet) for subnet in self.subnets]
        for z in zones:
            if z.subnet_id in getattr(self, "awswiz_eips", {}):
                z.load_balancer_addresses = [self.awswiz_eips[z.subnet_id]]
        return zones

    ELBv2Backend.create_load_balancer = create_load_balancer
    FakeLoadBalancer.availability_zones = property(availability_zones)
    ELBv2Backend._awswiz_addresses = True


_install_lb_addresses()
