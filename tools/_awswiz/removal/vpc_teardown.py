"""Tearing down a VPC with everything in it, in an order AWS accepts (Amazon VPC User Guide: Delete your VPC).

Order (each step frees what the next needs): NAT gateways (waiting until deleted: they are asynchronous)
and the Elastic IPs they held; VPC endpoints (waiting until deleted: an interface endpoint's
requester-managed interfaces go with it and can never be deleted directly); interfaces of our own left
over; internet gateways detached then deleted; egress-only internet gateways; carrier gateways; VPN
gateways detached (kept: they can be attached elsewhere); route table associations; subnets; non-main
route tables; non-default network ACLs; peering connections (before the groups whose rules refer across
them); security group rules that refer to other groups of the VPC, then the non-default groups; the VPC.

Protection is inherited: a VPC is protected if it or any of its parts is (guard.protection on each part's
own tags), and a protected part blocks its VPC's teardown, named in the refusal.

The steps themselves are performed by vpc_apply.py.

A run killed half-way is finished by planning again: the plan is built from what is still there, and what
disappears from AWS's view mid-teardown is marked first. A NAT gateway's Elastic IPs, a detached internet
gateway and a VPN gateway being detached carry the tag awswiz:teardown-of=VPC_ID (set just before the NAT
is deleted or the gateway detached; removed from the kept VPN gateway once detached), so the next plan
still releases, deletes or waits for them; a NAT gateway or endpoint already "deleting" is waited for, not
forgotten. Those waits hash no state, so a deletion that finishes between plan and confirm does not
change the plan.
"""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.aws.fanout import FanOut
from _awswiz.guard import Action, Plan, protection
from _awswiz.inventory.table import tag_map
from _awswiz.security import sg_rules

GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}
TEARDOWN_TAG = "awswiz:teardown-of"
# Interface types an account creates itself (botocore ec2 NetworkInterfaceType); every other type belongs to
# a service (natGateway, vpc_endpoint, load_balancer, lambda, transit_gateway, ...) and goes with its owner.
OWN_INTERFACE_TYPES = {"interface", "efa", "efa-only", "trunk"}
OWNED_BY_PLAN = {"natGateway", "vpc_endpoint", "gateway_load_balancer_endpoint"}  # the plan deletes the owner

INVENTORY = {  # key: (service, operation, result key)
    "vpcs": ("ec2", "describe_vpcs", "Vpcs"),
    "instances": ("ec2", "describe_instances", "Reservations"),
    "nats": ("ec2", "describe_nat_gateways", "NatGateways"),
    "addresses": ("ec2", "describe_addresses", "Addresses"),
    "endpoints": ("ec2", "describe_vpc_endpoints", "VpcEndpoints"),
    "enis": ("ec2", "describe_network_interfaces", "NetworkInterfaces"),
    "igws": ("ec2", "describe_internet_gateways", "InternetGateways"),
    "eigws": ("ec2", "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"),
    "cagws": ("ec2", "describe_carrier_gateways", "CarrierGateways"),
    "vgws": ("ec2", "describe_vpn_gateways", "VpnGateways"),
    "subnets": ("ec2", "describe_subnets", "Subnets"),
    "route_tables": ("ec2", "describe_route_tables", "RouteTables"),
    "acls": ("ec2", "describe_network_acls", "NetworkAcls"),
    "groups": ("ec2", "describe_security_groups", "SecurityGroups"),
    "peerings": ("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections"),
    "lbs": ("elbv2", "describe_load_balancers", "LoadBalancers"),
}


def inventory(aws, region: str) -> dict[str, list[dict]]:
    """Everything in the region that can sit in a VPC: one paginated list call each, all at once."""
    fan = FanOut(min(aws.workers, len(INVENTORY)))
    for key, (service, op, result) in INVENTORY.items():
        fan.submit(key, lambda s=service, o=op, r=result: paginate(aws.client(s, region), o, r), region, op)
    results, errors = fan.wait()
    if errors:
        from _awswiz.shell.errors import AwsWizError

        e = errors[0]
        raise AwsWizError(e["message"], e.get("hint", ""), code=e["code"], region=region)
    results["instances"] = [i for r in results["instances"] for i in r["Instances"]]
    return results


def _in(items: list[dict], vpc: str, key: str = "VpcId") -> list[dict]:
    return [i for i in items if i.get(key) == vpc]


def state_of(item: dict, key: str = "State") -> str:
    return str(item.get(key) or "").lower()  # endpoints answer "available", the model says "Available"


def attached_to(gw: dict, vid: str, key: str = "Attachments") -> list[dict]:
    return [a for a in gw.get(key, []) if a.get("VpcId") == vid and state_of(a) not in ("detached", "deleted")]


def _managed_enis(inv: dict, vid: str) -> dict[str, str]:
    """{interface id: owner} for the interfaces the plan's NAT gateways and endpoints own. Read from the
    owners, not only from InterfaceType: older endpoints' interfaces say "interface" (Amazon EC2 User Guide:
    Requester-managed network interfaces)."""
    out = {a["NetworkInterfaceId"]: f"NAT gateway {n['NatGatewayId']}" for n in _in(inv["nats"], vid)
           for a in n.get("NatGatewayAddresses", []) if a.get("NetworkInterfaceId")}
    out.update({e: f"VPC endpoint {ep['VpcEndpointId']}" for ep in _in(inv["endpoints"], vid)
                for e in ep.get("NetworkInterfaceIds", [])})
    return out


def _deletable_eni(e: dict, managed: dict) -> bool:
    """A free ("available") interface owned by nothing the plan deletes: the plan deletes it. A requester-managed
    one that its service detached without deleting may be deleted too (Amazon EC2 User Guide:
    Requester-managed network interfaces); one still in use never."""
    return (e["NetworkInterfaceId"] not in managed and e.get("Status") == "available"
            and e.get("InterfaceType", "interface") in OWN_INTERFACE_TYPES)


def blockers(inv: dict, vpc: dict) -> list[str]:
    vid = vpc["VpcId"]
    if vpc.get("IsDefault"):
        return ["default VPC: never touched"]
    out = [f"instance {i['InstanceId']} ({tag_map(i.get('Tags')).get('Name', 'unnamed')}, "
           f"{i['State']['Name']})" for i in _in(inv["instances"], vid) if i["State"]["Name"] != "terminated"]
    out += [f"load balancer {lb['LoadBalancerName']}" for lb in _in(inv["lbs"], vid)]
    managed = _managed_enis(inv, vid)
    for e in _in(inv["enis"], vid):
        kind = e.get("InterfaceType") or "interface"
        if e["NetworkInterfaceId"] in managed or kind in OWNED_BY_PLAN or _deletable_eni(e, managed) \
                or (e.get("Attachment") or {}).get("InstanceId"):
            continue
        owner = "requester-managed, " if e.get("RequesterManaged") else ""
        out.append(f"network interface {e['NetworkInterfaceId']} ({owner}{kind}: {e.get('Description') or '?'})")
    return [f"still has {b}" if not b.startswith("default") else b for b in out]


def parts(inv: dict, vid: str) -> list[tuple[str, str, dict]]:
    """(kind, id, tags) of everything the teardown of VPC vid deletes or changes, for protection."""
    nats = _in(inv["nats"], vid)
    allocs = {a["AllocationId"] for a in eips(inv, vid)}
    out = [("subnet", s["SubnetId"], s.get("Tags")) for s in _in(inv["subnets"], vid)]
    out += [("internet gateway", g["InternetGatewayId"], g.get("Tags")) for g in inv["igws"]
            if attached_to(g, vid) or tag_map(g.get("Tags")).get(TEARDOWN_TAG) == vid]
    out += [("egress-only internet gateway", g["EgressOnlyInternetGatewayId"], g.get("Tags"))
            for g in inv["eigws"] if attached_to(g, vid)]
    out += [("carrier gateway", g["CarrierGatewayId"], g.get("Tags")) for g in _in(inv["cagws"], vid)]
    out += [("VPN gateway", g["VpnGatewayId"], g.get("Tags")) for g in inv["vgws"]
            if attached_to(g, vid, "VpcAttachments")]
    out += [("route table", r["RouteTableId"], r.get("Tags")) for r in _in(inv["route_tables"], vid)]
    out += [("network ACL", a["NetworkAclId"], a.get("Tags")) for a in _in(inv["acls"], vid)]
    out += [("security group", g["GroupId"], g.get("Tags")) for g in _in(inv["groups"], vid)]
    out += [("NAT gateway", n["NatGatewayId"], n.get("Tags")) for n in nats]
    out += [("Elastic IP", a["AllocationId"], a.get("Tags")) for a in inv["addresses"] if a["AllocationId"] in allocs]
    out += [("VPC endpoint", e["VpcEndpointId"], e.get("Tags")) for e in _in(inv["endpoints"], vid)]
    out += [("network interface", e["NetworkInterfaceId"], e.get("TagSet")) for e in _in(inv["enis"], vid)]
    vpcs = {v["VpcId"]: v for v in inv["vpcs"]}
    for p in peerings(inv, vid):
        out.append(("peering connection", p["VpcPeeringConnectionId"], p.get("Tags")))
        peer = next((x.get("VpcId") for x in (p.get("RequesterVpcInfo", {}), p.get("AccepterVpcInfo", {}))
                     if x.get("VpcId") != vid), None)
        if peer in vpcs:  # deleting the peering cuts the peer VPC off too: its protection counts
            out.append((f"peering connection {p['VpcPeeringConnectionId']} to VPC", peer, vpcs[peer].get("Tags")))
    return out


def protected_parts(inv: dict, vpc: dict) -> list[str]:
    reasons = []
    for kind, pid, tags in parts(inv, vpc["VpcId"]):
        if reason := protection(tag_map(tags)):
            reasons.append(f"{kind} {pid} is {reason}")
    return reasons


def eips(inv: dict, vid: str) -> list[dict]:
    """Elastic IPs still allocated that the VPC's NAT gateways hold or held (a deleted NAT gateway still lists
    its addresses for about an hour; the teardown tag covers the time after that)."""
    held = {a["AllocationId"]: n["NatGatewayId"] for n in _in(inv["nats"], vid)
            for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")}
    nat_enis = {a.get("NetworkInterfaceId") for n in _in(inv["nats"], vid) for a in n.get("NatGatewayAddresses", [])}
    return [a for a in inv["addresses"] if (a.get("AllocationId") in held or tag_map(a.get("Tags")).get(TEARDOWN_TAG)
                                            == vid) and a.get("NetworkInterfaceId") in (None, "", *nat_enis)]


def peerings(inv: dict, vid: str) -> list[dict]:
    return [p for p in inv["peerings"] if state_of(p.get("Status", {}), "Code") not in GONE_STATES
            and vid in (p.get("RequesterVpcInfo", {}).get("VpcId"), p.get("AccepterVpcInfo", {}).get("VpcId"))]


def vpc_actions(inv: dict, vpc: dict, region: str) -> list[Action]:
    vid = vpc["VpcId"]
    tags = tag_map(vpc.get("Tags"))
    name = tags.get("Name")
    blocked = blockers(inv, vpc)
    if not blocked:
        blocked = [r for r in [protection(tags)] if r] or protected_parts(inv, vpc)

    def act(op, kind, rid, state=None, **detail) -> Action:
        return Action(op=op, type=kind, id=rid, region=region, target=vid, state=state, detail=detail)

    final = Action(op="delete", type="vpc:vpc", id=vid, region=region, name=name, tags=tags, target=vid,
                   state={"cidr": vpc.get("CidrBlock"), "default": vpc.get("IsDefault")},
                   detail={"cidr": vpc.get("CidrBlock")}, blocked="; ".join(blocked) or None)
    if blocked:
        return [final]
    mark = f"{TEARDOWN_TAG}={vid}"
    actions: list[Action] = []
    for n in _in(inv["nats"], vid):
        allocs = [a["AllocationId"] for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        if state_of(n) in ("pending", "available"):
            actions.append(act("delete-and-wait", "vpc:nat-gateway", n["NatGatewayId"], state_of(n),
                               releases=allocs, marks=mark))
        elif state_of(n) in ("deleting", "deleted"):  # no state hashed: it may finish between plan and confirm
            actions.append(act("wait-deleted", "vpc:nat-gateway", n["NatGatewayId"], releases=allocs))
    actions += [act("release", "ec2:elastic-ip", a["AllocationId"], a.get("PublicIp"), public_ip=a.get("PublicIp"))
                for a in eips(inv, vid)]
    for e in _in(inv["endpoints"], vid):
        if state_of(e) in ("deleting", "deleted"):
            actions.append(act("wait-deleted", "vpc:endpoint", e["VpcEndpointId"], service=e.get("ServiceName")))
        else:
            actions.append(act("delete-and-wait", "vpc:endpoint", e["VpcEndpointId"], state_of(e),
                               service=e.get("ServiceName"), interfaces=e.get("NetworkInterfaceIds", [])))
    managed = _managed_enis(inv, vid)
    actions += [act("delete", "vpc:network-interface", e["NetworkInterfaceId"], e.get("Status"),
                    description=e.get("Description") or "")
                for e in _in(inv["enis"], vid) if _deletable_eni(e, managed)]
    for igw in inv["igws"]:
        if attached_to(igw, vid):
            actions.append(act("detach", "vpc:internet-gateway", igw["InternetGatewayId"], vid, marks=mark))
        if attached_to(igw, vid) or (not igw.get("Attachments") and tag_map(igw.get("Tags")).get(TEARDOWN_TAG) == vid):
            actions.append(act("delete", "vpc:internet-gateway", igw["InternetGatewayId"], vid))
    actions += [act("delete", "vpc:egress-only-internet-gateway", g["EgressOnlyInternetGatewayId"], vid)
                for g in inv["eigws"] if attached_to(g, vid)]
    actions += [act("delete", "vpc:carrier-gateway", g["CarrierGatewayId"], state_of(g))
                for g in _in(inv["cagws"], vid) if state_of(g) not in GONE_STATES]
    for g in inv["vgws"]:
        for a in _in(g.get("VpcAttachments", []), vid):
            if state_of(a) in ("attaching", "attached"):
                actions.append(act("detach", "vpc:vpn-gateway", g["VpnGatewayId"], state_of(a), marks=mark,
                                   kept="the VPN gateway stays"))
            elif state_of(a) == "detaching" or tag_map(g.get("Tags")).get(TEARDOWN_TAG) == vid:
                actions.append(act("wait-detached", "vpc:vpn-gateway", g["VpnGatewayId"]))  # no state: see NATs
    rts = [rt for rt in _in(inv["route_tables"], vid) if not any(a.get("Main") for a in rt.get("Associations", []))]
    actions += [act("disassociate", "vpc:route-table-association", a["RouteTableAssociationId"],
                    a.get("SubnetId"), route_table=rt["RouteTableId"])
                for rt in rts for a in rt.get("Associations", []) if a.get("SubnetId")]
    actions += [act("delete", "vpc:subnet", s["SubnetId"], s.get("CidrBlock"), cidr=s.get("CidrBlock"))
                for s in _in(inv["subnets"], vid)]
    actions += [act("delete", "vpc:route-table", rt["RouteTableId"], len(rt.get("Routes", [])))
                for rt in rts]
    actions += [act("delete", "vpc:network-acl", a["NetworkAclId"], None)
                for a in _in(inv["acls"], vid) if not a.get("IsDefault")]
    actions += [act("delete", "vpc:peering-connection", p["VpcPeeringConnectionId"], state_of(p["Status"], "Code"))
                for p in peerings(inv, vid)]
    groups = _in(inv["groups"], vid)
    doomed = {g["GroupId"] for g in groups if g.get("GroupName") != "default"}
    actions += sg_rules.revoke_actions(groups, doomed, region, target=lambda g: vid)
    actions += [sg_rules.delete_action(g, region, target=vid) for g in groups if g["GroupId"] in doomed]
    final.state["dependencies"] = len(actions)
    return actions + [final]


def plan(ctx, region: str, ids: list[str] | None) -> Plan:
    """Plan for the VPCs named (ids) or every VPC in the region (ids None)."""
    from _awswiz.guard.targets import require_found

    inv = inventory(ctx.aws, region)
    vpcs = inv["vpcs"]
    if ids:
        require_found(ctx, ids, {v["VpcId"] for v in vpcs}, "VPC", region)
        vpcs = [v for v in vpcs if v["VpcId"] in ids]
    out = Plan(actions=[], scope={"region": region, "ids": ids or "all"})
    for v in vpcs:
        if v.get("IsDefault") and not ids:
            out.skipped.append({"id": v["VpcId"], "type": "vpc:vpc", "region": region,
                                "reason": "default VPC: never touched"})
            continue
        planned = {(a.op, a.id) for a in out.actions}  # a peering between two doomed VPCs is deleted once
        out.actions += [a for a in vpc_actions(inv, v, region) if (a.op, a.id) not in planned]
    return out
