"""EC2 network rules that AWS enforces and moto 5.2 does not, so that a teardown in the wrong order fails
in the sandbox as it would in AWS (each rule names the AWS document it comes from):

- DeleteSecurityGroup of a group used by a network interface (or a load balancer), or referenced by a rule
  of another group of its VPC: DependencyViolation (EC2 API Reference: DeleteSecurityGroup).
- DeleteVpc while anything but its defaults is left, DeleteSubnet while interfaces or NAT gateways are in
  it: DependencyViolation (Amazon VPC User Guide: Delete your VPC; EC2 API Reference: DeleteVpc).
- NAT gateways and interface endpoints own requester-managed interfaces (types "natGateway" and
  "vpc_endpoint", botocore ec2 NetworkInterfaceType) that cannot be deleted while they own them, nor can an
  interface in use be deleted: InvalidParameterValue "is currently in use" (Amazon EC2 User Guide:
  Requester-managed network interfaces; EC2 API Reference: DeleteNetworkInterface).
- DeleteNatGateway and DeleteVpcEndpoints (interface endpoints) are asynchronous: the resource is
  "deleting" for a while, and its interfaces (and the NAT's Elastic IP association) go only when it is
  deleted (EC2 API Reference: DeleteNatGateway, DeleteVpcEndpoints).
- DetachVpnGateway is asynchronous: "detaching", then "detached"; the VPC cannot be deleted before (EC2 API
  Reference: DetachVpnGateway: "You must wait for the attachment's state to switch to detached before you
  can delete the VPC").
- ReleaseAddress of an address still associated in a non-default VPC: InvalidIPAddress.InUse
  (EC2 API Reference: ReleaseAddress).
- TerminateInstances detaches the instance's Elastic IPs and releases its interfaces: deleted when
  DeleteOnTermination (the default for those created at launch), detached otherwise (Amazon EC2 User
  Guide: How instance termination works).
"""

from __future__ import annotations

import threading

from .handlers import PASS, ApiError, handles

ASYNC_SECONDS = 1.0  # how long a NAT gateway or an interface endpoint stays "deleting" in the sandbox
NS = "http://ec2.amazonaws.com/doc/2016-11-15/"


def _backend(region: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    return ec2_backends[DEFAULT_ACCOUNT_ID][region]


def _list(params: dict, name: str) -> list[str]:
    return [v for k, v in sorted(params.items()) if k == name or k.startswith(name + ".")]


def _later(fn) -> None:
    t = threading.Timer(ASYNC_SECONDS, fn)
    t.daemon = True
    t.start()


def _xml(action: str, inner: str = "") -> str:
    return f'<{action}Response xmlns="{NS}"><requestId>sandbox</requestId>{inner}</{action}Response>'


def _dependency(what: str) -> ApiError:
    return ApiError("DependencyViolation", f"The {what} has dependencies and cannot be deleted.")


# --- requester-managed interfaces: what moto creates as plain "interface" ---------------------------------

def _managed(eni, kind: str, description: str) -> None:
    eni.interface_type, eni.requester_managed, eni.status = kind, True, "in-use"
    eni.description = description
    eni.requester_id = "amazon-elb" if kind == "load_balancer" else "AROAJ6SANDBOXMANAGED"


def _install() -> None:
    """Give the interfaces moto creates for NAT gateways and interface endpoints their AWS type, and the
    interfaces created at launch their AWS default DeleteOnTermination=true."""
    from moto.ec2.models.instances import Instance
    from moto.ec2.models.nat_gateways import NatGatewayBackend
    from moto.ec2.models.vpcs import VPCBackend

    if getattr(NatGatewayBackend, "_awswiz", False):
        return
    create_nat, create_endpoint, prep_nics = (NatGatewayBackend.create_nat_gateway, VPCBackend.create_vpc_endpoint,
                                              Instance.prep_nics)

    def create_nat_gateway(self, *a, **kw):
        nat = create_nat(self, *a, **kw)
        _managed(nat._eni, "natGateway", f"Interface for NAT Gateway {nat.id}")
        return nat

    def create_vpc_endpoint(self, *a, **kw):
        ep = create_endpoint(self, *a, **kw)
        for eni_id in ep.network_interface_ids or []:
            if eni_id in self.enis:
                _managed(self.enis[eni_id], "vpc_endpoint", f"VPC Endpoint Interface {ep.id}")
        return ep

    def prep_nics_(self, nic_spec, *a, **kw):
        given = {int(n.get("DeviceIndex", 0)): n for n in nic_spec or []}
        out = prep_nics(self, nic_spec, *a, **kw)
        for index, eni in self.nics.items():
            spec = given.get(index, {})
            if not spec.get("NetworkInterfaceId"):
                eni.delete_on_termination = str(spec.get("DeleteOnTermination", True)).lower() != "false"
        return out

    NatGatewayBackend.create_nat_gateway = create_nat_gateway
    VPCBackend.create_vpc_endpoint = create_vpc_endpoint
    Instance.prep_nics = prep_nics_
    NatGatewayBackend._awswiz = True


_install()


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


# --- asynchronous deletions -------------------------------------------------------------------------------

def _disassociate(ec2, eni) -> None:
    for eip in list(ec2.addresses):
        if eip.eni is eni:
            ec2.disassociate_address(address=eip.public_ip)


def _drop_eni(ec2, eni) -> None:
    _disassociate(ec2, eni)
    ec2.enis.pop(eni.id, None)


@handles("ec2:DeleteNatGateway")
def delete_nat_gateway(params, region, state):
    ec2 = _backend(region)
    nat = ec2.nat_gateways.get(params.get("NatGatewayId"))
    if nat is None or nat.state in ("deleting", "deleted"):
        return PASS
    nat.state = "deleting"

    def finish():
        _drop_eni(ec2, nat._eni)
        nat.state = "deleted"

    _later(finish)
    return _xml("DeleteNatGateway", f"<natGatewayId>{nat.id}</natGatewayId>")


@handles("ec2:DeleteVpcEndpoints")
def delete_vpc_endpoints(params, region, state):
    ec2 = _backend(region)
    ids = _list(params, "VpcEndpointId")
    eps = [ec2.vpc_end_points.get(i) for i in ids]
    if not ids or None in eps:
        return PASS  # moto answers unknown ids
    for ep in eps:
        if ep.state in ("deleting", "deleted"):
            continue
        if (ep.vpc_endpoint_type or "").lower() != "interface":
            ec2.delete_vpc_endpoints([ep.id])
            continue
        ep.state = "deleting"

        def finish(ep=ep):
            for eni_id in ep.network_interface_ids:
                if eni_id in ec2.enis:
                    _drop_eni(ec2, ec2.enis[eni_id])
            ep.state = "deleted"

        _later(finish)
    return _xml("DeleteVpcEndpoints", "<unsuccessful/>")


@handles("ec2:DetachVpnGateway")
def detach_vpn_gateway(params, region, state):
    ec2 = _backend(region)
    gw = ec2.vpn_gateways.get(params.get("VpnGatewayId"))
    att = gw.attachments.get(params.get("VpcId")) if gw else None
    if att is None or att.state != "attached":
        return PASS
    att.state = "detaching"

    def finish():
        att.state = "detached"

    _later(finish)
    return _xml("DetachVpnGateway", "<return>true</return>")


@handles("ec2:TerminateInstances")
def terminate_instances(params, region, state):
    ec2 = _backend(region)
    try:
        instances = ec2.get_multi_instances_by_id(_list(params, "InstanceId"))
    except Exception:  # noqa: BLE001 - moto answers the unknown id
        return PASS
    if any(i.disable_api_termination for i in instances):
        return PASS  # moto refuses (OperationNotPermitted): nothing changes
    for inst in instances:
        if inst._state.name == "terminated":
            continue
        for nic in list(inst.nics.values()):
            _disassociate(ec2, nic)
            if not nic.delete_on_termination:
                inst.detach_eni(nic)
    return PASS
