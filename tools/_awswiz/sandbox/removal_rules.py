"""Refusals AWS makes and moto 5.2 does not, met when deleting single EC2 and VPC resources (each names the
AWS document it comes from):

- DeleteRouteTable of a VPC's main route table: DependencyViolation (EC2 API Reference: DeleteRouteTable:
  "You can't delete the main route table"); moto deletes it.
- DeleteSecurityGroup of a VPC's default group: CannotDelete (Amazon VPC User Guide: Delete a security group:
  "The security group can't be the default security group for a VPC"); moto deletes it. Chained in front of
  vpc_api's handler (groups in use).
- DetachInternetGateway while the VPC has mapped public addresses (running instances with public IPv4 or
  Elastic IP addresses, NAT gateways' addresses): DependencyViolation (EC2 API Reference:
  DetachInternetGateway: "The VPC must not contain any running instances with Elastic IP addresses or public
  IPv4 addresses"); moto detaches.

What moto already refuses as AWS does: DeleteVolume of an attached volume (VolumeInUse), DeleteSnapshot of the
snapshot a registered AMI reports (InvalidSnapshot.InUse), DeleteRouteTable with subnet associations and
DeleteInternetGateway while attached (DependencyViolation).
"""

from __future__ import annotations

from .handlers import HANDLERS, PASS, ApiError, handles

LIVE = ("pending", "running", "stopping")


def _backend(region: str):
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    return ec2_backends[DEFAULT_ACCOUNT_ID][region]


@handles("ec2:DeleteRouteTable")
def delete_route_table(params, region, state):
    rt = _backend(region).route_tables.get(params.get("RouteTableId"))
    if rt is not None and rt.main_association_id:
        raise ApiError("DependencyViolation", f"The routeTable '{rt.id}' has dependencies and cannot be deleted.")
    return PASS


_in_use = HANDLERS.get("ec2:DeleteSecurityGroup")


@handles("ec2:DeleteSecurityGroup", chained=True)
def delete_security_group(params, region, state):
    gid = params.get("GroupId")
    group = _backend(region).get_security_group_from_id(gid) if gid else None
    if group is not None and group.name == "default":
        raise ApiError("CannotDelete", f'the specified group: "{gid}" name: "default" cannot be deleted by a user')
    return _in_use(params, region, state) if _in_use else PASS


@handles("ec2:DetachInternetGateway")
def detach_internet_gateway(params, region, state):
    ec2, vid = _backend(region), params.get("VpcId")
    mapped = [e.id for e in ec2.enis.values() if e.subnet.vpc_id == vid and e.public_ip
              and (e.instance is None or e.instance._state.name in LIVE)]
    if mapped:
        raise ApiError("DependencyViolation", f"Network {vid} has some mapped public address(es). Please unmap those "
                       "public address(es) before detaching the gateway.")
    return PASS
