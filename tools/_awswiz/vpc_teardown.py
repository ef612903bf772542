"""Tearing down a VPC with everything in it, in an order AWS accepts.

Order (each step frees what the next needs): NAT gateways (waiting until deleted) and the Elastic IPs
they held; VPC endpoints; network interfaces left over; internet gateways detached then deleted;
route table associations; subnets; non-main route tables; non-default network ACLs; security group rules
that refer to other groups of the VPC, then the non-default groups; peering connections; the VPC.

moto does not enforce much of this order (it deletes a group still in use, and keeps a NAT gateway's
interface and a deleted subnet's route table association): the plan gets the order right by itself,
and the tests check the order of the calls, not only the end state.
"""

from __future__ import annotations

from . import sg_rules
from .aws import paginate
from .fanout import FanOut
from .guard import Action, Plan
from .resources import tag_map

GONE_STATES = {"deleted", "deleting", "failed", "rejected", "expired"}
NOT_FOUND = ("NotFound", "InvalidAssociationID.NotFound")

INVENTORY = {  # key: (service, operation, result key)
    "vpcs": ("ec2", "describe_vpcs", "Vpcs"),
    "instances": ("ec2", "describe_instances", "Reservations"),
    "nats": ("ec2", "describe_nat_gateways", "NatGateways"),
    "endpoints": ("ec2", "describe_vpc_endpoints", "VpcEndpoints"),
    "enis": ("ec2", "describe_network_interfaces", "NetworkInterfaces"),
    "igws": ("ec2", "describe_internet_gateways", "InternetGateways"),
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


def blockers(inv: dict, vpc: dict) -> list[str]:
    vid = vpc["VpcId"]
    if vpc.get("IsDefault"):
        return ["default VPC: never touched"]
    out = [f"instance {i['InstanceId']} ({tag_map(i.get('Tags')).get('Name', 'unnamed')}, "
           f"{i['State']['Name']})" for i in _in(inv["instances"], vid) if i["State"]["Name"] != "terminated"]
    out += [f"load balancer {lb['LoadBalancerName']}" for lb in _in(inv["lbs"], vid)]
    nat_enis = {a.get("NetworkInterfaceId") for n in inv["nats"] for a in n.get("NatGatewayAddresses", [])}
    for e in _in(inv["enis"], vid):
        att = e.get("Attachment") or {}
        if e.get("Status") == "in-use" and not att.get("InstanceId") and e["NetworkInterfaceId"] not in nat_enis \
                and e.get("InterfaceType") not in ("nat_gateway", "vpc_endpoint"):
            out.append(f"network interface {e['NetworkInterfaceId']} in use ({e.get('Description') or '?'})")
    return [f"still has {b}" if not b.startswith("default") else b for b in out]


def vpc_actions(inv: dict, vpc: dict, region: str) -> list[Action]:
    vid = vpc["VpcId"]
    tags = tag_map(vpc.get("Tags"))
    name = tags.get("Name")
    blocked = blockers(inv, vpc)

    def act(op, kind, rid, state=None, **detail) -> Action:
        return Action(op=op, type=kind, id=rid, region=region, target=vid, state=state, detail=detail)

    final = Action(op="delete", type="ec2:vpc", id=vid, region=region, name=name, tags=tags, target=vid,
                   state={"cidr": vpc.get("CidrBlock"), "default": vpc.get("IsDefault")},
                   detail={"cidr": vpc.get("CidrBlock")}, blocked="; ".join(blocked) or None)
    if blocked:
        return [final]
    actions: list[Action] = []
    nats = [n for n in _in(inv["nats"], vid) if n.get("State") not in GONE_STATES]
    for n in nats:
        allocs = [a["AllocationId"] for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")]
        actions.append(act("delete-and-wait", "ec2:nat-gateway", n["NatGatewayId"], n.get("State"),
                           releases=allocs))
    actions += [act("release", "ec2:elastic-ip", a["AllocationId"], "held by " + n["NatGatewayId"])
                for n in nats for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")]
    actions += [act("delete", "ec2:vpc-endpoint", e["VpcEndpointId"], e.get("State"), service=e.get("ServiceName"))
                for e in _in(inv["endpoints"], vid) if e.get("State") not in GONE_STATES]
    actions += [act("delete", "ec2:network-interface", e["NetworkInterfaceId"], e.get("Status"),
                    description=e.get("Description") or "") for e in _in(inv["enis"], vid)
                if not (e.get("Attachment") or {}).get("InstanceId")]
    for igw in inv["igws"]:
        if any(a.get("VpcId") == vid for a in igw.get("Attachments", [])):
            actions.append(act("detach", "ec2:internet-gateway", igw["InternetGatewayId"], vid))
            actions.append(act("delete", "ec2:internet-gateway", igw["InternetGatewayId"], vid))
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
    groups = _in(inv["groups"], vid)
    doomed = {g["GroupId"] for g in groups if g.get("GroupName") != "default"}
    actions += sg_rules.revoke_actions(groups, doomed, region, target=lambda g: vid)
    actions += [sg_rules.delete_action(g, region, target=vid) for g in groups if g["GroupId"] in doomed]
    actions += [act("delete", "ec2:vpc-peering-connection", p["VpcPeeringConnectionId"], p["Status"]["Code"])
                for p in inv["peerings"] if p.get("Status", {}).get("Code") not in GONE_STATES
                and vid in (p.get("RequesterVpcInfo", {}).get("VpcId"), p.get("AccepterVpcInfo", {}).get("VpcId"))]
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
        out.actions += vpc_actions(inv, v, region)
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


def _do(ec2, a: Action) -> dict | None:
    kind = a.type
    if kind == "ec2:nat-gateway":
        ec2.delete_nat_gateway(NatGatewayId=a.id)
        ec2.get_waiter("nat_gateway_deleted").wait(NatGatewayIds=[a.id], WaiterConfig={"Delay": 15, "MaxAttempts": 40})
    elif kind == "ec2:elastic-ip":
        ec2.release_address(AllocationId=a.id)
    elif kind == "ec2:vpc-endpoint":
        bad = ec2.delete_vpc_endpoints(VpcEndpointIds=[a.id]).get("Unsuccessful", [])
        if bad:
            raise RuntimeError(f"{a.id}: {bad[0].get('Error', {}).get('Message')}")
    elif kind == "ec2:network-interface":
        ec2.delete_network_interface(NetworkInterfaceId=a.id)
    elif kind == "ec2:internet-gateway" and a.op == "detach":
        ec2.detach_internet_gateway(InternetGatewayId=a.id, VpcId=a.target_id)
    elif kind == "ec2:internet-gateway":
        ec2.delete_internet_gateway(InternetGatewayId=a.id)
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
