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

A run killed half-way is finished by planning again: the plan is built from what is still there, and what
disappears from AWS's view mid-teardown is marked first. A NAT gateway's Elastic IPs, a detached internet
gateway and a VPN gateway being detached carry the tag awswiz:teardown-of=VPC_ID (set just before the NAT
is deleted or the gateway detached; removed from the kept VPN gateway once detached), so the next plan
still releases, deletes or waits for them; a NAT gateway or endpoint already "deleting" is waited for, not
forgotten. Those waits hash no state, so a deletion that finishes between plan and confirm does not
change the plan.
"""

from __future__ import annotations

import time

from . import sg_rules
from .aws import paginate
from .fanout import FanOut
from .guard import Action, Plan, protection
from .resources import tag_map

GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}
NOT_FOUND = ("NotFound", "InvalidAssociationID.NotFound")
TEARDOWN_TAG = "awswiz:teardown-of"
WAIT_SECONDS = 900  # NAT gateways and endpoints take minutes to delete in AWS
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
        from .errors import AwsWizError

        e = errors[0]
        raise AwsWizError(e["message"], e.get("hint", ""), code=e["code"], region=region)
    results["instances"] = [i for r in results["instances"] for i in r["Instances"]]
    return results


def _in(items: list[dict], vpc: str, key: str = "VpcId") -> list[dict]:
    return [i for i in items if i.get(key) == vpc]


def _state(item: dict, key: str = "State") -> str:
    return str(item.get(key) or "").lower()  # endpoints answer "available", the model says "Available"


def _attached(gw: dict, vid: str, key: str = "Attachments") -> list[dict]:
    return [a for a in gw.get(key, []) if a.get("VpcId") == vid and _state(a) not in ("detached", "deleted")]


def _managed_enis(inv: dict, vid: str) -> dict[str, str]:
    """{interface id: owner} for the interfaces the plan's NAT gateways and endpoints own."""
    out = {a["NetworkInterfaceId"]: f"NAT gateway {n['NatGatewayId']}" for n in _in(inv["nats"], vid)
           for a in n.get("NatGatewayAddresses", []) if a.get("NetworkInterfaceId")}
    out.update({e: f"VPC endpoint {ep['VpcEndpointId']}" for ep in _in(inv["endpoints"], vid)
                for e in ep.get("NetworkInterfaceIds", [])})
    return out


def _deletable_eni(e: dict, managed: dict) -> bool:
    """An interface of the account's own, free: the plan deletes it (a requester-managed one never)."""
    return (e["NetworkInterfaceId"] not in managed and not e.get("RequesterManaged")
            and e.get("InterfaceType", "interface") in OWN_INTERFACE_TYPES and e.get("Status") == "available")


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
            if _attached(g, vid) or tag_map(g.get("Tags")).get(TEARDOWN_TAG) == vid]
    out += [("egress-only internet gateway", g["EgressOnlyInternetGatewayId"], g.get("Tags"))
            for g in inv["eigws"] if _attached(g, vid)]
    out += [("carrier gateway", g["CarrierGatewayId"], g.get("Tags")) for g in _in(inv["cagws"], vid)]
    out += [("VPN gateway", g["VpnGatewayId"], g.get("Tags")) for g in inv["vgws"]
            if _attached(g, vid, "VpcAttachments")]
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
    return [p for p in inv["peerings"] if _state(p.get("Status", {}), "Code") not in GONE_STATES
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

    final = Action(op="delete", type="ec2:vpc", id=vid, region=region, name=name, tags=tags, target=vid,
                   state={"cidr": vpc.get("CidrBlock"), "default": vpc.get("IsDefault")},
                   detail={"cidr": vpc.get("CidrBlock")}, blocked="; ".join(blocked) or None)
    if blocked:
        return [final]
    mark = f"{TEARDOWN_TAG}={vid}"
    actions: list[Action] = []
    for n in _in(inv["nats"], vid):
        allocs = [a["AllocationId"] for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        if _state(n) in ("pending", "available"):
            actions.append(act("delete-and-wait", "ec2:nat-gateway", n["NatGatewayId"], _state(n),
                               releases=allocs, marks=mark))
        elif _state(n) in ("deleting", "deleted"):  # no state hashed: it may finish between plan and confirm
            actions.append(act("wait-deleted", "ec2:nat-gateway", n["NatGatewayId"], releases=allocs))
    actions += [act("release", "ec2:elastic-ip", a["AllocationId"], a.get("PublicIp"), public_ip=a.get("PublicIp"))
                for a in eips(inv, vid)]
    for e in _in(inv["endpoints"], vid):
        if _state(e) in ("deleting", "deleted"):
            actions.append(act("wait-deleted", "ec2:vpc-endpoint", e["VpcEndpointId"], service=e.get("ServiceName")))
        else:
            actions.append(act("delete-and-wait", "ec2:vpc-endpoint", e["VpcEndpointId"], _state(e),
                               service=e.get("ServiceName"), interfaces=e.get("NetworkInterfaceIds", [])))
    managed = _managed_enis(inv, vid)
    actions += [act("delete", "ec2:network-interface", e["NetworkInterfaceId"], e.get("Status"),
                    description=e.get("Description") or "")
                for e in _in(inv["enis"], vid) if _deletable_eni(e, managed)]
    for igw in inv["igws"]:
        if _attached(igw, vid):
            actions.append(act("detach", "ec2:internet-gateway", igw["InternetGatewayId"], vid, marks=mark))
        if _attached(igw, vid) or (not igw.get("Attachments") and tag_map(igw.get("Tags")).get(TEARDOWN_TAG) == vid):
            actions.append(act("delete", "ec2:internet-gateway", igw["InternetGatewayId"], vid))
    actions += [act("delete", "ec2:egress-only-internet-gateway", g["EgressOnlyInternetGatewayId"], vid)
                for g in inv["eigws"] if _attached(g, vid)]
    actions += [act("delete", "ec2:carrier-gateway", g["CarrierGatewayId"], _state(g))
                for g in _in(inv["cagws"], vid) if _state(g) not in GONE_STATES]
    for g in inv["vgws"]:
        for a in _in(g.get("VpcAttachments", []), vid):
            if _state(a) in ("attaching", "attached"):
                actions.append(act("detach", "ec2:vpn-gateway", g["VpnGatewayId"], _state(a), marks=mark,
                                   kept="the VPN gateway stays"))
            elif _state(a) == "detaching" or tag_map(g.get("Tags")).get(TEARDOWN_TAG) == vid:
                actions.append(act("wait-detached", "ec2:vpn-gateway", g["VpnGatewayId"]))  # no state: see NATs
    rts = [rt for rt in _in(inv["route_tables"], vid) if not any(a.get("Main") for a in rt.get("Associations", []))]
    actions += [act("disassociate", "ec2:route-table-association", a["RouteTableAssociationId"],
                    a.get("SubnetId"), route_table=rt["RouteTableId"])
                for rt in rts for a in rt.get("Associations", []) if a.get("SubnetId")]
    actions += [act("delete", "ec2:subnet", s["SubnetId"], s.get("CidrBlock"), cidr=s.get("CidrBlock"))
                for s in _in(inv["subnets"], vid)]
    actions += [act("delete", "ec2:route-table", rt["RouteTableId"], len(rt.get("Routes", [])))
                for rt in rts]
    actions += [act("delete", "ec2:network-acl", a["NetworkAclId"], None)
                for a in _in(inv["acls"], vid) if not a.get("IsDefault")]
    actions += [act("delete", "ec2:vpc-peering-connection", p["VpcPeeringConnectionId"], _state(p["Status"], "Code"))
                for p in peerings(inv, vid)]
    groups = _in(inv["groups"], vid)
    doomed = {g["GroupId"] for g in groups if g.get("GroupName") != "default"}
    actions += sg_rules.revoke_actions(groups, doomed, region, target=lambda g: vid)
    actions += [sg_rules.delete_action(g, region, target=vid) for g in groups if g["GroupId"] in doomed]
    final.state["dependencies"] = len(actions)
    return actions + [final]


def plan(aws, region: str, ids: list[str] | None) -> Plan:
    """Plan for the VPCs named (ids) or every VPC in the region (ids None)."""
    from .targets import require_found

    inv = inventory(aws, region)
    vpcs = inv["vpcs"]
    if ids:
        require_found(ids, {v["VpcId"] for v in vpcs}, "VPC", region)
        vpcs = [v for v in vpcs if v["VpcId"] in ids]
    out = Plan(actions=[], scope={"region": region, "ids": ids or "all"})
    for v in vpcs:
        if v.get("IsDefault") and not ids:
            out.skipped.append({"id": v["VpcId"], "region": region, "reason": "default VPC: never touched"})
            continue
        planned = {(a.op, a.id) for a in out.actions}  # a peering between two doomed VPCs is deleted once
        out.actions += [a for a in vpc_actions(inv, v, region) if (a.op, a.id) not in planned]
    return out


def explain(ec2, vpc_id: str) -> str:
    """What is still in a VPC after AWS said DependencyViolation (AWS's message rarely names it)."""
    left = []
    flt = [{"Name": "vpc-id", "Values": [vpc_id]}]
    for e in paginate(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=flt):
        left.append(f"network interface {e['NetworkInterfaceId']} ({e.get('Description') or e.get('InterfaceType')})")
    for s in paginate(ec2, "describe_subnets", "Subnets", Filters=flt):
        left.append(f"subnet {s['SubnetId']}")
    for g in paginate(ec2, "describe_security_groups", "SecurityGroups", Filters=flt):
        if g.get("GroupName") != "default":
            left.append(f"security group {g['GroupId']}")
    vgws = ec2.describe_vpn_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
    left += [f"VPN gateway {g['VpnGatewayId']} (attached; detach it)" for g in vgws.get("VpnGateways", [])
             if any(a.get("State") == "attached" for a in g.get("VpcAttachments", []))]
    for t in paginate(ec2, "describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments", Filters=flt):
        if _state(t) not in GONE_STATES:
            left.append(f"transit gateway attachment {t['TransitGatewayAttachmentId']} (delete it)")
    return ", ".join(left[:10]) or "nothing AwsWiz can list (check Lambda, EKS, RDS, VPN and transit attachments)"


def do(aws, action: Action) -> dict | None:
    """Perform one step; a resource already gone counts as done (AWS removes some with their parent)."""
    ec2 = aws.client("ec2", action.region)
    try:
        return _do(ec2, action)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code.endswith(NOT_FOUND) and action.type != "ec2:vpc":
            return {"outcome": "already gone"}
        if code == "DependencyViolation":
            from .errors import AwsWizError

            raise AwsWizError(f"{action.op} {action.id}: DependencyViolation; still in {action.target_id}: "
                              f"{explain(ec2, action.target_id)}", "remove the blocker, then plan again",
                              code="DependencyViolation", region=action.region) from None
        raise


def wait_until(done, what: str, seconds: float = WAIT_SECONDS) -> None:
    """Poll done() (1 s, then up to 15 s apart) until it is true; TimeoutError after `seconds`."""
    deadline, pause = time.monotonic() + seconds, 1.0
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not finished after {seconds:.0f} s; plan again later to go on")
        time.sleep(pause)
        pause = min(pause * 2, 15.0)


def _nat_gone(ec2, nat_id: str) -> bool:
    found = ec2.describe_nat_gateways(Filters=[{"Name": "nat-gateway-id", "Values": [nat_id]}])["NatGateways"]
    return all(_state(n) in ("deleted", "failed") for n in found)


def _endpoint_gone(ec2, vpce_id: str) -> bool:
    try:
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce_id])["VpcEndpoints"]
    except Exception as exc:  # AWS forgets a deleted endpoint: InvalidVpcEndpointId.NotFound
        if getattr(exc, "response", {}).get("Error", {}).get("Code", "").endswith("NotFound"):
            return True
        raise
    return all(_state(e) == "deleted" for e in found)


def _vgw_detached(ec2, vgw_id: str, vpc_id: str) -> bool:
    gws = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"]
    return not any(_attached(g, vpc_id, "VpcAttachments") for g in gws)


def _mark(ec2, ids: list[str], vpc_id: str) -> None:
    """Tag what AWS will stop linking to the VPC, so that a plan after a kill still finds it."""
    if ids:
        ec2.create_tags(Resources=ids, Tags=[{"Key": TEARDOWN_TAG, "Value": vpc_id}])


def _do(ec2, a: Action) -> dict | None:
    kind = a.type
    if kind == "ec2:nat-gateway":
        if a.op == "delete-and-wait":
            _mark(ec2, a.detail.get("releases", []), a.target_id)
            ec2.delete_nat_gateway(NatGatewayId=a.id)
        wait_until(lambda: _nat_gone(ec2, a.id), f"NAT gateway {a.id} deletion")
    elif kind == "ec2:elastic-ip":
        ec2.release_address(AllocationId=a.id)
    elif kind == "ec2:vpc-endpoint":
        # Asynchronous (EC2 API Reference: DeleteVpcEndpoints): an interface endpoint's requester-managed
        # interfaces go when it is deleted, and the subnets and groups they hold can be deleted only then.
        if a.op == "delete-and-wait":
            bad = ec2.delete_vpc_endpoints(VpcEndpointIds=[a.id]).get("Unsuccessful", [])
            if bad:
                raise RuntimeError(f"{a.id}: {bad[0].get('Error', {}).get('Message')}")
        wait_until(lambda: _endpoint_gone(ec2, a.id), f"VPC endpoint {a.id} deletion")
    elif kind == "ec2:network-interface":
        ec2.delete_network_interface(NetworkInterfaceId=a.id)
    elif kind == "ec2:internet-gateway" and a.op == "detach":
        _mark(ec2, [a.id], a.target_id)
        ec2.detach_internet_gateway(InternetGatewayId=a.id, VpcId=a.target_id)
    elif kind == "ec2:internet-gateway":
        ec2.delete_internet_gateway(InternetGatewayId=a.id)
    elif kind == "ec2:egress-only-internet-gateway":
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=a.id)
    elif kind == "ec2:carrier-gateway":
        ec2.delete_carrier_gateway(CarrierGatewayId=a.id)
    elif kind == "ec2:vpn-gateway":  # asynchronous (EC2 API Reference: DetachVpnGateway); the gateway is kept
        if a.op == "detach":
            _mark(ec2, [a.id], a.target_id)
            ec2.detach_vpn_gateway(VpnGatewayId=a.id, VpcId=a.target_id)
        wait_until(lambda: _vgw_detached(ec2, a.id, a.target_id), f"VPN gateway {a.id} detachment")
        ec2.delete_tags(Resources=[a.id], Tags=[{"Key": TEARDOWN_TAG}])
    elif kind == "ec2:route-table-association":
        ec2.disassociate_route_table(AssociationId=a.id)
    elif kind == "ec2:subnet":
        ec2.delete_subnet(SubnetId=a.id)
    elif kind == "ec2:route-table":
        ec2.delete_route_table(RouteTableId=a.id)
    elif kind == "ec2:network-acl":
        ec2.delete_network_acl(NetworkAclId=a.id)
    elif kind == "ec2:security-group":
        sg_rules.do(ec2, a)
    elif kind == "ec2:vpc-peering-connection":
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=a.id)
    elif kind == "ec2:vpc":
        ec2.delete_vpc(VpcId=a.id)
    else:  # pragma: no cover - a programming error
        raise ValueError(kind)
    return None
