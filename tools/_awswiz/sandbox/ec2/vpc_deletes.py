"""EC2 network deletions as AWS makes them, where moto 5.2 does not (each names the AWS document it comes from):

- NAT gateways and interface endpoints own requester-managed interfaces (types "natGateway" and
  "vpc_endpoint", botocore ec2 NetworkInterfaceType; Amazon EC2 User Guide: Requester-managed network
  interfaces); vpc.py refuses to delete them while they are owned.
- DeleteNatGateway and DeleteVpcEndpoints (interface endpoints) are asynchronous: the resource is
  "deleting" for a while, and its interfaces (and the NAT's Elastic IP association) go only when it is
  deleted (EC2 API Reference: DeleteNatGateway, DeleteVpcEndpoints).
- DetachVpnGateway is asynchronous: "detaching", then "detached"; the VPC cannot be deleted before (EC2 API
  Reference: DetachVpnGateway: "You must wait for the attachment's state to switch to detached before you
  can delete the VPC").
- TerminateInstances detaches the instance's Elastic IPs and releases its interfaces: deleted when
  DeleteOnTermination (the default for those created at launch), detached otherwise (Amazon EC2 User
  Guide: How instance termination works).
"""

from __future__ import annotations

import threading

from ..handlers import PASS, handles
from .backend import NS
from .backend import backend as _backend

ASYNC_SECONDS = 1.0  # how long a NAT gateway or an interface endpoint stays "deleting" in the sandbox


def _list(params: dict, name: str) -> list[str]:
    return [v for k, v in sorted(params.items()) if k == name or k.startswith(name + ".")]


def _later(fn) -> None:
    t = threading.Timer(ASYNC_SECONDS, fn)
    t.daemon = True
    t.start()


def _xml(action: str, inner: str = "") -> str:
    return f'<{action}Response xmlns="{NS}"><requestId>sandbox</requestId>{inner}</{action}Response>'


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
