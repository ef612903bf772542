"""vpc:network-interface, vpc:subnet, vpc:route-table and vpc:internet-gateway.

- network interface: AWS deletes only a detached one (EC2 API Reference: DeleteNetworkInterface); one that
  another service manages (NAT gateway, endpoint, load balancer, Lambda, ...) goes with its owner (Amazon EC2
  User Guide: Requester-managed network interfaces): both are blocked, naming why; one attached with
  DeleteOnTermination to an instance the same plan terminates first (opts["going"], bulk.py) goes with it.
- subnet: free interfaces of the account's own in it are deleted first and its route table association is
  removed; anything else still in it (instances, NAT gateways, other services' interfaces) blocks it, named
  (EC2 API Reference: DeleteSubnet: "You must terminate all running instances in the subnet before you can
  delete the subnet").
- route table: its subnet associations are removed first; the main route table goes only with its VPC
  (EC2 API Reference: DeleteRouteTable: "You can't delete the main route table").
- internet gateway: detached from its VPC first, then deleted (EC2 API Reference: DeleteInternetGateway).
"""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, in_vpc, lookup, settle, terminate, vpc_guard
from _awswiz.removal.vpc_teardown import _deletable_eni, attached_to
from _awswiz.shell import hints


def _act(op: str, type_: str, rid: str, region: str, item: dict, vpcs: dict, touches: dict | None = None,
         **kw) -> guard.Action:
    """An action on item with its own tags; it touches its VPC (and `touches`), each with their own tags."""
    tags = tag_map(item.get("Tags", item.get("TagSet")))
    return guard.Action(op=op, type=type_, id=rid, region=region, name=tags.get("Name"), tags=tags,
                        touches={**in_vpc(item.get("VpcId"), vpcs), **(touches or {})}, **kw)


def _tags_by_id(ec2, call: str, key: str, filter_name: str, id_field: str, ids) -> dict[str, dict]:
    """{id: its own tags} for these ids (one describe call)."""
    ids = sorted(set(ids))
    return {i[id_field]: tag_map(i.get("Tags")) for i in lookup(ec2, call, key, filter_name, ids)} if ids else {}


def _eni_user(e: dict) -> str:
    att = e.get("Attachment") or {}
    if att.get("InstanceId"):
        return f"instance {att['InstanceId']}"
    return f"{e.get('InterfaceType') or 'interface'}: {e.get('Description') or '?'}"


def _eni_blocker(ctx, e: dict, region: str) -> str | None:
    if _deletable_eni(e, {}):
        return None
    att = e.get("Attachment") or {}
    if att.get("InstanceId") and e.get("InterfaceType", "interface") == "interface" and not e.get("RequesterManaged"):
        iid = att["InstanceId"]
        how = (terminate(ctx, "ec2:instance", iid, region) if att.get("DeleteOnTermination") else
               hints.aws_cli(ctx, "ec2", "detach-network-interface", "--attachment-id", att.get("AttachmentId", "?"),
                             region=region))
        return (f"attached to instance {iid} (device {att.get('DeviceIndex')}); AWS deletes only a detached "
                f"interface: {how}")
    return (f"managed by AWS for another service ({_eni_user(e)}); it is deleted with its owner, never on its own "
            "(InvalidParameterValue: in use)")


# --- network interfaces -----------------------------------------------------------------------------------

def plan_enis(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    enis = lookup(ec2, "describe_network_interfaces", "NetworkInterfaces", "network-interface-id", ids)
    vpcs = vpc_guard(ec2, enis)
    actions, going, skipped = [], opts.get("going") or {}, []
    for e in enis:
        att = e.get("Attachment") or {}
        if att.get("InstanceId") in going and att.get("DeleteOnTermination"):  # terminated first in this plan
            skipped.append({"id": e["NetworkInterfaceId"], "region": region, "type": "vpc:network-interface",
                            "name": tag_map(e.get("TagSet")).get("Name"),
                            "reason": f"deleted with instance {att['InstanceId']} (DeleteOnTermination)"})
            continue
        a = _act("delete", "vpc:network-interface", e["NetworkInterfaceId"], region, e, vpcs,
                 state={"status": e.get("Status")}, detail={"subnet": e.get("SubnetId"), "type": e.get("InterfaceType"),
                                                            "description": e.get("Description") or ""})
        a.blocked = _eni_blocker(ctx, e, region) or a.blocked
        actions.append(a)
    plan = settle(actions)
    plan.skipped += skipped
    return plan


# --- subnets ----------------------------------------------------------------------------------------------

def plan_subnets(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    subnets = lookup(ec2, "describe_subnets", "Subnets", "subnet-id", ids)
    vpcs = vpc_guard(ec2, subnets)
    enis = lookup(ec2, "describe_network_interfaces", "NetworkInterfaces", "subnet-id", ids)
    nats = [n for n in lookup(ec2, "describe_nat_gateways", "NatGateways", "subnet-id", ids)
            if n.get("State") not in ("deleted", "failed")]
    rts = lookup(ec2, "describe_route_tables", "RouteTables", "association.subnet-id", ids)
    actions = []
    for s in subnets:
        sid = s["SubnetId"]
        final = _act("delete", "vpc:subnet", sid, region, s, vpcs, state={"cidr": s.get("CidrBlock")},
                     detail={"vpc": s.get("VpcId"), "cidr": s.get("CidrBlock"), "az": s.get("AvailabilityZone")})
        mine = [e for e in enis if e.get("SubnetId") == sid]
        users = [f"NAT gateway {n['NatGatewayId']} ({terminate(ctx, 'vpc:nat-gateway', n['NatGatewayId'], region)})"
                 for n in nats if n.get("SubnetId") == sid]
        owned = {a["NetworkInterfaceId"] for n in nats for a in n.get("NatGatewayAddresses", [])}
        users += [f"network interface {e['NetworkInterfaceId']} ({_eni_user(e)})" for e in mine
                  if not _deletable_eni(e, {}) and e["NetworkInterfaceId"] not in owned]
        if s.get("DefaultForAz"):
            final.detail["note"] = "the default subnet of its zone: instances launched without a subnet land here"
        if users:
            final.blocked = final.blocked or f"still holds {', '.join(users)}; AWS refuses (DependencyViolation)"
        if not final.blocked:
            actions += [_act("delete", "vpc:network-interface", e["NetworkInterfaceId"], region, e, vpcs, target=sid,
                             state={"status": e.get("Status")}, detail={"why": "a free interface left in the subnet"})
                        for e in mine if _deletable_eni(e, {})]
            actions += [_act("disassociate", "vpc:route-table", rt["RouteTableId"], region, rt, vpcs, target=sid,
                             state={"association": a["RouteTableAssociationId"]}, detail={"subnet": sid})
                        for rt in rts for a in rt.get("Associations", []) if a.get("SubnetId") == sid]
        actions.append(final)
    return settle(actions)


# --- route tables -----------------------------------------------------------------------------------------

def plan_route_tables(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    rts = lookup(ec2, "describe_route_tables", "RouteTables", "route-table-id", ids)
    vpcs = vpc_guard(ec2, rts)
    assocs = [a for rt in rts for a in rt.get("Associations", [])]
    # what a disassociation changes: the subnet (it falls back to the main route table) or the gateway
    subnets = _tags_by_id(ec2, "describe_subnets", "Subnets", "subnet-id", "SubnetId",
                          [a["SubnetId"] for a in assocs if a.get("SubnetId")])
    gateways = _tags_by_id(ec2, "describe_internet_gateways", "InternetGateways", "internet-gateway-id",
                           "InternetGatewayId", [a["GatewayId"] for a in assocs
                                                 if str(a.get("GatewayId", "")).startswith("igw-")])
    actions = []
    for rt in rts:
        rid, assoc = rt["RouteTableId"], rt.get("Associations", [])
        final = _act("delete", "vpc:route-table", rid, region, rt, vpcs, state={"routes": len(rt.get("Routes", []))},
                     detail={"vpc": rt.get("VpcId"), "routes": len(rt.get("Routes", []))})
        if any(a.get("Main") for a in assoc):
            final.blocked = (f"the main route table of VPC {rt.get('VpcId')}: AWS deletes it only with its VPC "
                             f"({terminate(ctx, 'vpc:vpc', rt.get('VpcId'), region)})")
        else:
            actions += [_act("disassociate", "vpc:route-table", rid, region, rt, vpcs, target=rid,
                             touches=_served(a, subnets, gateways), state={"association": a["RouteTableAssociationId"]},
                             detail={"from": a.get("SubnetId") or a.get("GatewayId"),
                                     "then": "the subnet uses its VPC's main route table"})
                        for a in assoc
                        if a.get("RouteTableAssociationId") and (a.get("SubnetId") or a.get("GatewayId"))]
        actions.append(final)
    return settle(actions)


def _served(assoc: dict, subnets: dict, gateways: dict) -> dict[str, dict]:
    """What a route table association serves, with its own tags (Action.touches of the disassociation)."""
    if sid := assoc.get("SubnetId"):
        return {f"subnet {sid} (the route table serves it)": subnets.get(sid, {})}
    gid = assoc.get("GatewayId")
    return {f"gateway {gid} (the route table serves it)": gateways.get(gid, {})} if gid else {}


# --- internet gateways ------------------------------------------------------------------------------------

def _mapped_addresses(ec2, vpc_ids: list[str]) -> dict[str, list[str]]:
    """{VPC id: what maps a public address in it}: interfaces with a public IPv4 address that are free or on a
    running instance (EC2 API Reference: DetachInternetGateway)."""
    live = {i["InstanceId"] for i in paginate(ec2, "describe_instances", "Reservations[].Instances[]",
                                              Filters=[{"Name": "vpc-id", "Values": vpc_ids}])
            if i["State"]["Name"] in ("pending", "running", "stopping")}
    out: dict[str, list[str]] = {}
    for e in lookup(ec2, "describe_network_interfaces", "NetworkInterfaces", "vpc-id", vpc_ids):
        iid = (e.get("Attachment") or {}).get("InstanceId")
        if (e.get("Association") or {}).get("PublicIp") and (not iid or iid in live):
            who = f"instance {iid}" if iid else f"{_eni_user(e)} {e['NetworkInterfaceId']}"
            out.setdefault(e["VpcId"], []).append(who)
    return out


def plan_igws(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    igws = lookup(ec2, "describe_internet_gateways", "InternetGateways", "internet-gateway-id", ids)
    vpc_ids = sorted({a["VpcId"] for g in igws for a in g.get("Attachments", []) if a.get("VpcId")})
    vpcs = vpc_guard(ec2, [{"VpcId": v} for v in vpc_ids])
    mapped = _mapped_addresses(ec2, vpc_ids) if vpc_ids else {}
    actions = []
    for g in igws:
        gid = g["InternetGatewayId"]
        attached = [a["VpcId"] for a in g.get("Attachments", []) if attached_to(g, a.get("VpcId"))]
        for vid in attached:
            a = _act("detach", "vpc:internet-gateway", gid, region, {**g, "VpcId": vid}, vpcs, state={"vpc": vid},
                     detail={"vpc": vid, "then": "the VPC loses its internet access"})
            if users := mapped.get(vid):
                a.blocked = a.blocked or (f"VPC {vid} still maps public addresses ({', '.join(users[:5])}); AWS "
                                          "refuses to detach (DependencyViolation): unmap them first (stop or "
                                          "terminate the instances, release the Elastic IPs, delete the NAT gateways)")
            actions.append(a)
        actions.append(_act("delete", "vpc:internet-gateway", gid, region, g, vpcs, state={"attached": attached}))
    return settle(actions)


def do(ctx, a: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", a.region)
    if a.op == "disassociate":
        ec2.disassociate_route_table(AssociationId=a.state["association"])
        return {"disassociated": a.state["association"]}
    if a.op == "detach":
        ec2.detach_internet_gateway(InternetGatewayId=a.id, VpcId=a.state["vpc"])
        return {"detached_from": a.state["vpc"]}
    call = {"vpc:network-interface": ("delete_network_interface", "NetworkInterfaceId"),
            "vpc:subnet": ("delete_subnet", "SubnetId"), "vpc:route-table": ("delete_route_table", "RouteTableId"),
            "vpc:internet-gateway": ("delete_internet_gateway", "InternetGatewayId")}[a.type]
    getattr(ec2, call[0])(**{call[1]: a.id})
    return {"deleted": a.id}


register(
    Remover(type="vpc:network-interface", id_pattern=id_pattern("eni"), id_example="eni-0123456789abcdef0",
            find=finder("describe_network_interfaces", "NetworkInterfaces", "network-interface-id",
                        "NetworkInterfaceId"), plan=plan_enis, do=do),
    Remover(type="vpc:subnet", id_pattern=id_pattern("subnet"), id_example="subnet-0123456789abcdef0",
            find=finder("describe_subnets", "Subnets", "subnet-id", "SubnetId"), plan=plan_subnets, do=do),
    Remover(type="vpc:route-table", id_pattern=id_pattern("rtb"), id_example="rtb-0123456789abcdef0",
            find=finder("describe_route_tables", "RouteTables", "route-table-id", "RouteTableId"),
            plan=plan_route_tables, do=do),
    Remover(type="vpc:internet-gateway", id_pattern=id_pattern("igw"), id_example="igw-0123456789abcdef0",
            find=finder("describe_internet_gateways", "InternetGateways", "internet-gateway-id", "InternetGatewayId"),
            plan=plan_igws, do=do),
)
