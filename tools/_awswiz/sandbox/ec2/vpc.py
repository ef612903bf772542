"""EC2 network refusals that AWS makes and moto 5.2 does not, so that a teardown in the wrong order fails in the
sandbox as it would in AWS (each rule names the AWS document it comes from):

- DeleteSecurityGroup of a VPC's default group: CannotDelete (Amazon VPC User Guide: Delete a security group:
  "The security group can't be the default security group for a VPC"); moto deletes it. Of a group used by a
  network interface (or a load balancer), or referenced by a rule of another group of its VPC:
  DependencyViolation (EC2 API Reference: DeleteSecurityGroup).
- DeleteVpc while anything but its defaults is left, DeleteSubnet while interfaces or NAT gateways are in
  it: DependencyViolation (Amazon VPC User Guide: Delete your VPC; EC2 API Reference: DeleteVpc).
- An interface that a NAT gateway or an interface endpoint owns (vpc_deletes.py gives them their AWS type), or
  that is in use, cannot be deleted: InvalidParameterValue "is currently in use" (Amazon EC2 User Guide:
  Requester-managed network interfaces; EC2 API Reference: DeleteNetworkInterface).
- ReleaseAddress of an address still associated in a non-default VPC: InvalidIPAddress.InUse
  (EC2 API Reference: ReleaseAddress).
- DeleteRouteTable of a VPC's main route table: DependencyViolation (EC2 API Reference: DeleteRouteTable:
  "You can't delete the main route table"); moto deletes it.
- DetachInternetGateway while the VPC has mapped public addresses (running instances with public IPv4 or
  Elastic IP addresses, NAT gateways' addresses): DependencyViolation (EC2 API Reference:
  DetachInternetGateway: "The VPC must not contain any running instances with Elastic IP addresses or public
  IPv4 addresses"); moto detaches.

What moto already refuses as AWS does: DeleteVolume of an attached volume (VolumeInUse), DeleteSnapshot of the
snapshot a registered AMI reports (InvalidSnapshot.InUse), DeleteRouteTable with subnet associations and
DeleteInternetGateway while attached (DependencyViolation).
"""

from __future__ import annotations

from ..handlers import PASS, ApiError, handles
from .backend import backend as _backend

LIVE = ("pending", "running", "stopping")


def _dependency(what: str) -> ApiError:
    return ApiError("DependencyViolation", f"The {what} has dependencies and cannot be deleted.")


def _owner(backend, eni) -> str | None:
    """The NAT gateway or endpoint that owns a requester-managed interface, or None."""
    for nat in backend.nat_gateways.values():
        if getattr(nat, "_eni", None) is eni and nat.state != "deleted":
            return nat.id
    for ep in backend.vpc_end_points.values():
        if eni.id in (ep.network_interface_ids or []) and ep.state != "deleted":
            return ep.id
    return None


# --- refusals ---------------------------------------------------------------------------------------------

@handles("ec2:DeleteSecurityGroup")
def delete_security_group(params, region, state):
    ec2 = _backend(region)
    gid = params.get("GroupId")
    group = ec2.get_security_group_from_id(gid) if gid else None
    if group is None:
        return PASS
    if group.name == "default":
        raise ApiError("CannotDelete", f'the specified group: "{gid}" name: "default" cannot be deleted by a user')
    users = [e.id for e in ec2.enis.values() if gid in {g.id for g in e.group_set}]
    refs = [g.id for g in ec2.groups.get(group.vpc_id, {}).values() if g.id != gid
            and any((r.source_group or {}).get("GroupId") == gid for r in g.ingress_rules + g.egress_rules)]
    from moto.elbv2.models import elbv2_backends

    lbs = [lb.name for lb in elbv2_backends[ec2.account_id][region].load_balancers.values()
           if gid in (lb.security_groups or [])]
    if users or refs or lbs:
        raise ApiError("DependencyViolation", f"resource {gid} has a dependent object")
    return PASS


@handles("ec2:DeleteVpc")
def delete_vpc(params, region, state):
    ec2 = _backend(region)
    vid = params.get("VpcId")
    if vid not in ec2.vpcs:
        return PASS
    left = [s.id for zone in ec2.subnets.values() for s in zone.values() if s.vpc_id == vid]
    left += [i.id for i in ec2.internet_gateways.values() if i.vpc and i.vpc.id == vid]
    left += [g.id for g in ec2.egress_only_internet_gateways.values() if g.vpc_id == vid]
    left += [g.id for g in ec2.carrier_gateways.values() if g.vpc_id == vid]
    left += [g.id for g in ec2.groups.get(vid, {}).values() if g.name != "default"]
    left += [a.id for a in ec2.network_acls.values() if a.vpc_id == vid and not a.default]
    left += [e.id for e in ec2.vpc_end_points.values() if e.vpc_id == vid and e.state != "deleted"]
    left += [e.id for e in ec2.enis.values() if e.subnet.vpc_id == vid]
    left += [g.id for g in ec2.vpn_gateways.values() if g.attachments.get(vid) is not None
             and g.attachments[vid].state != "detached"]
    left += [t.id for t in ec2.transit_gateway_attachments.values()
             if getattr(t, "vpc_id", None) == vid and t.state not in ("deleting", "deleted")]
    if left:
        raise _dependency(f"vpc '{vid}'")
    return PASS


@handles("ec2:DeleteSubnet")
def delete_subnet(params, region, state):
    ec2 = _backend(region)
    sid = params.get("SubnetId")
    busy = [e.id for e in ec2.enis.values() if e.subnet.id == sid]
    busy += [n.id for n in ec2.nat_gateways.values() if n.subnet_id == sid and n.state != "deleted"]
    if busy:
        raise _dependency(f"subnet '{sid}'")
    return PASS


@handles("ec2:DeleteNetworkInterface")
def delete_network_interface(params, region, state):
    ec2 = _backend(region)
    eni = ec2.enis.get(params.get("NetworkInterfaceId"))
    if eni is not None and (eni.status == "in-use" or eni.instance is not None or _owner(ec2, eni)):
        raise ApiError("InvalidParameterValue", f"Network interface '{eni.id}' is currently in use.")
    return PASS


@handles("ec2:ReleaseAddress")
def release_address(params, region, state):
    ec2 = _backend(region)
    eip = next((a for a in ec2.addresses if a.allocation_id == params.get("AllocationId")), None)
    if eip is not None and eip.eni is not None:
        vpc = ec2.vpcs.get(eip.eni.subnet.vpc_id)
        if vpc is not None and not vpc.is_default:
            raise ApiError("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")
    return PASS


@handles("ec2:DeleteRouteTable")
def delete_route_table(params, region, state):
    rt = _backend(region).route_tables.get(params.get("RouteTableId"))
    if rt is not None and rt.main_association_id:
        raise ApiError("DependencyViolation", f"The routeTable '{rt.id}' has dependencies and cannot be deleted.")
    return PASS


@handles("ec2:DetachInternetGateway")
def detach_internet_gateway(params, region, state):
    ec2, vid = _backend(region), params.get("VpcId")
    mapped = [e.id for e in ec2.enis.values() if e.subnet.vpc_id == vid and e.public_ip
              and (e.instance is None or e.instance._state.name in LIVE)]
    if mapped:
        raise ApiError("DependencyViolation", f"Network {vid} has some mapped public address(es). Please unmap those "
                       "public address(es) before detaching the gateway.")
    return PASS
