"""Performing one step of a VPC teardown planned by vpc_teardown.py, waiting where AWS is asynchronous
(NAT gateways, VPC endpoints, VPN gateway detachment), and naming what is left when AWS answers
DependencyViolation."""

from __future__ import annotations

import time

from _awswiz.aws.client import paginate
from _awswiz.guard import Action
from _awswiz.removal.vpc_teardown import GONE_STATES, TEARDOWN_TAG, attached_to, state_of
from _awswiz.security import sg_rules

NOT_FOUND = ("NotFound", "InvalidAssociationID.NotFound")
WAIT_SECONDS = 900  # NAT gateways and endpoints take minutes to delete in AWS


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
        if state_of(t) not in GONE_STATES:
            left.append(f"transit gateway attachment {t['TransitGatewayAttachmentId']} (delete it)")
    return ", ".join(left[:10]) or "nothing AwsWiz can list (check Lambda, EKS, RDS, VPN and transit attachments)"


def do(aws, action: Action) -> dict | None:
    """Perform one step; a resource already gone counts as done (AWS removes some with their parent)."""
    ec2 = aws.client("ec2", action.region)
    try:
        return _do(ec2, action)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        if code.endswith(NOT_FOUND) and action.type != "vpc:vpc":
            return {"outcome": "already gone"}
        if code == "DependencyViolation":
            from _awswiz.shell.errors import AwsWizError

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
    return all(state_of(n) in ("deleted", "failed") for n in found)


def _endpoint_gone(ec2, vpce_id: str) -> bool:
    try:
        found = ec2.describe_vpc_endpoints(VpcEndpointIds=[vpce_id])["VpcEndpoints"]
    except Exception as exc:  # AWS forgets a deleted endpoint: InvalidVpcEndpointId.NotFound
        if getattr(exc, "response", {}).get("Error", {}).get("Code", "").endswith("NotFound"):
            return True
        raise
    return all(state_of(e) == "deleted" for e in found)


def _vgw_detached(ec2, vgw_id: str, vpc_id: str) -> bool:
    gws = ec2.describe_vpn_gateways(VpnGatewayIds=[vgw_id])["VpnGateways"]
    return not any(attached_to(g, vpc_id, "VpcAttachments") for g in gws)


def _mark(ec2, ids: list[str], vpc_id: str) -> None:
    """Tag what AWS will stop linking to the VPC, so that a plan after a kill still finds it."""
    if ids:
        ec2.create_tags(Resources=ids, Tags=[{"Key": TEARDOWN_TAG, "Value": vpc_id}])


def _do(ec2, a: Action) -> dict | None:
    kind = a.type
    if kind == "vpc:nat-gateway":
        if a.op == "delete-and-wait":
            _mark(ec2, a.detail.get("releases", []), a.target_id)
            ec2.delete_nat_gateway(NatGatewayId=a.id)
        wait_until(lambda: _nat_gone(ec2, a.id), f"NAT gateway {a.id} deletion")
    elif kind == "ec2:elastic-ip":
        ec2.release_address(AllocationId=a.id)
    elif kind == "vpc:endpoint":
        # Asynchronous (EC2 API Reference: DeleteVpcEndpoints): an interface endpoint's requester-managed
        # interfaces go when it is deleted, and the subnets and groups they hold can be deleted only then.
        if a.op == "delete-and-wait":
            bad = ec2.delete_vpc_endpoints(VpcEndpointIds=[a.id]).get("Unsuccessful", [])
            if bad:
                raise RuntimeError(f"{a.id}: {bad[0].get('Error', {}).get('Message')}")
        wait_until(lambda: _endpoint_gone(ec2, a.id), f"VPC endpoint {a.id} deletion")
    elif kind == "vpc:network-interface":
        ec2.delete_network_interface(NetworkInterfaceId=a.id)
    elif kind == "vpc:internet-gateway" and a.op == "detach":
        _mark(ec2, [a.id], a.target_id)
        ec2.detach_internet_gateway(InternetGatewayId=a.id, VpcId=a.target_id)
    elif kind == "vpc:internet-gateway":
        ec2.delete_internet_gateway(InternetGatewayId=a.id)
    elif kind == "vpc:egress-only-internet-gateway":
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=a.id)
    elif kind == "vpc:carrier-gateway":
        ec2.delete_carrier_gateway(CarrierGatewayId=a.id)
    elif kind == "vpc:vpn-gateway":  # asynchronous (EC2 API Reference: DetachVpnGateway); the gateway is kept
        if a.op == "detach":
            _mark(ec2, [a.id], a.target_id)
            ec2.detach_vpn_gateway(VpnGatewayId=a.id, VpcId=a.target_id)
        wait_until(lambda: _vgw_detached(ec2, a.id, a.target_id), f"VPN gateway {a.id} detachment")
        ec2.delete_tags(Resources=[a.id], Tags=[{"Key": TEARDOWN_TAG}])
    elif kind == "vpc:route-table-association":
        ec2.disassociate_route_table(AssociationId=a.id)
    elif kind == "vpc:subnet":
        ec2.delete_subnet(SubnetId=a.id)
    elif kind == "vpc:route-table":
        ec2.delete_route_table(RouteTableId=a.id)
    elif kind == "vpc:network-acl":
        ec2.delete_network_acl(NetworkAclId=a.id)
    elif kind == "vpc:security-group":
        sg_rules.do(ec2, a)
    elif kind == "vpc:peering-connection":
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=a.id)
    elif kind == "vpc:vpc":
        ec2.delete_vpc(VpcId=a.id)
    else:  # pragma: no cover - a programming error
        raise ValueError(kind)
    return None
