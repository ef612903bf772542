"""network.py create's apply: one AWS step per planned action (network_plan.actions), each resource tagged as it is
made (TagSpecifications: never an untagged moment), the real ids kept by their Name for the steps after.

A run killed or failed half-way leaves only tagged resources in the VPC (awswiz:network=NAME), and the Elastic IPs
carry awswiz:teardown-of=VPC_ID from their allocation on, so cleanup_vpc.py --tag awswiz:network=NAME releases them
even before a NAT gateway holds them (vpc_teardown.eips)."""

from __future__ import annotations

import datetime as _dt

from _awswiz.compute.network_plan import NETWORK_TAG, TIER_TAG

TEARDOWN_TAG = "awswiz:teardown-of"  # removal/vpc_teardown.py's mark: an address it releases with the VPC
NAT_WAIT = {"Delay": 5, "MaxAttempts": 60}  # a NAT gateway is pending for a few minutes (Amazon VPC User Guide)


def tags(network: str, name: str, owner: str, **extra: str) -> list[dict]:
    now = _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
    out = {"Name": name, "awswiz:managed": "true", "awswiz:owner": owner, "awswiz:created-at": now,
           NETWORK_TAG: network, **extra}
    return [{"Key": k, "Value": v} for k, v in out.items()]


class Apply:
    """do(action) for guard.run: the ids made so far, by the Name each resource was given."""

    def __init__(self, ctx, region: str, network: str, owner: str):
        self.ec2 = ctx.aws.client("ec2", region)
        self.network, self.owner = network, owner
        self.made: dict[str, str] = {}

    def spec(self, kind: str, name: str, **extra: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": tags(self.network, name, self.owner, **extra)}]

    def __call__(self, a) -> dict:
        step = getattr(self, "make_" + a.type.split(":")[1].replace("-", "_"))
        rid = step(a.id, a.state)
        self.made[a.id] = rid
        return {"created": rid}

    @property
    def vpc(self) -> str:
        return self.made[self.network]

    # --- one make_ method per resource type (the type's name after the colon) -------------------------------------

    def make_vpc(self, name: str, d: dict) -> str:
        ec2 = self.ec2
        vid = ec2.create_vpc(CidrBlock=d["cidr"], TagSpecifications=self.spec("vpc", name))["Vpc"]["VpcId"]
        # EC2 API Reference, ModifyVpcAttribute: "You can only enable one attribute at a time"; hostnames need
        # DNS support (Amazon VPC User Guide, "DNS attributes for your VPC")
        ec2.modify_vpc_attribute(VpcId=vid, EnableDnsSupport={"Value": True})
        ec2.modify_vpc_attribute(VpcId=vid, EnableDnsHostnames={"Value": True})
        return vid

    def make_internet_gateway(self, name: str, d: dict) -> str:
        igw = self.ec2.create_internet_gateway(TagSpecifications=self.spec("internet-gateway", name))
        gid = igw["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=self.vpc)
        return gid

    def make_subnet(self, name: str, d: dict) -> str:
        sid = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=d["cidr"], AvailabilityZone=d["az"],
                                     TagSpecifications=self.spec("subnet", name, **{TIER_TAG: d["tier"]})
                                     )["Subnet"]["SubnetId"]
        if d.get("public_ip_on_launch"):
            self.ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
        return sid

    def make_route_table(self, name: str, d: dict) -> str:
        ec2 = self.ec2
        rt = ec2.create_route_table(VpcId=self.vpc, TagSpecifications=self.spec("route-table", name))
        rid = rt["RouteTable"]["RouteTableId"]
        for dest, via in (d.get("routes") or {}).items():
            target = self.made[via]
            key = "NatGatewayId" if target.startswith("nat-") else "GatewayId"
            ec2.create_route(RouteTableId=rid, DestinationCidrBlock=dest, **{key: target})
        for s in d.get("subnets") or []:
            ec2.associate_route_table(RouteTableId=rid, SubnetId=self.made[s])
        return rid

    def make_elastic_ip(self, name: str, d: dict) -> str:
        got = self.ec2.allocate_address(Domain="vpc", TagSpecifications=self.spec(
            "elastic-ip", name, **{TEARDOWN_TAG: self.vpc}))
        return got["AllocationId"]

    def make_nat_gateway(self, name: str, d: dict) -> str:
        nid = self.ec2.create_nat_gateway(SubnetId=self.made[d["subnet"]], AllocationId=self.made[d["address"]],
                                          TagSpecifications=self.spec("natgateway", name))["NatGateway"]["NatGatewayId"]
        # a route to it is made next: wait until it is available (Amazon VPC User Guide, "NAT gateways")
        self.ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nid], WaiterConfig=NAT_WAIT)
        return nid

    def make_endpoint(self, name: str, d: dict) -> str:
        got = self.ec2.create_vpc_endpoint(VpcId=self.vpc, ServiceName=d["service"], VpcEndpointType="Gateway",
                                           RouteTableIds=[self.made[r] for r in d["route_tables"]],
                                           TagSpecifications=self.spec("vpc-endpoint", name))
        return got["VpcEndpoint"]["VpcEndpointId"]
