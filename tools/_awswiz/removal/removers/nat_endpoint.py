"""vpc:nat-gateway and vpc:endpoint: deleted, then waited for until AWS says deleted (both are asynchronous:
EC2 API Reference: DeleteNatGateway, DeleteVpcEndpoints), so that what needed them gone (their subnet, their
interfaces) can go next. The waits are vpc_apply's, shared with cleanup_vpc.

A NAT gateway's Elastic IPs: AWS disassociates them but does not release them (DeleteNatGateway: "does not
release the address from your account"). The plan releases those AwsWiz made (tagged awswiz:managed=true) and
names the command that releases each other one: an address someone allocated may be on an allow-list.
"""

from __future__ import annotations

from _awswiz import guard
from _awswiz.inventory.table import tag_map
from _awswiz.removal import vpc_apply
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, in_vpc, lookup, settle, terminate, vpc_guard
from _awswiz.removal.vpc_teardown import state_of

GONE = ("deleted",)


def _action(op_state: str, type_: str, rid: str, region: str, item: dict, vpcs: dict, **detail) -> guard.Action:
    tags = tag_map(item.get("Tags"))
    deleting = op_state in ("deleting",)
    return guard.Action(op="wait-deleted" if deleting else "delete-and-wait", type=type_, id=rid, region=region,
                        name=tags.get("Name"), tags=tags, state=None if deleting else op_state, detail=detail,
                        touches=in_vpc(item.get("VpcId"), vpcs))


def plan_nats(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    nats = [n for n in lookup(ec2, "describe_nat_gateways", "NatGateways", "nat-gateway-id", ids)
            if state_of(n) not in GONE]
    vpcs = vpc_guard(ec2, nats)
    allocs = sorted({a["AllocationId"] for n in nats for a in n.get("NatGatewayAddresses", [])
                     if a.get("AllocationId")})
    eips = {a["AllocationId"]: a for a in lookup(ec2, "describe_addresses", "Addresses", "allocation-id", allocs)} \
        if allocs else {}
    actions = []
    for n in nats:
        nid, releases, kept = n["NatGatewayId"], [], {}
        for aid in [a.get("AllocationId") for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId") in eips]:
            tags = tag_map(eips[aid].get("Tags"))
            if tags.get("awswiz:managed") == "true" and not guard.protection(tags):
                releases.append(aid)
            else:
                kept[eips[aid].get("PublicIp") or aid] = (guard.protection(tags) or "not made by AwsWiz") + \
                    f"; release it with: {terminate(ctx, 'ec2:elastic-ip', aid, region)}"
        actions.append(_action(state_of(n), "vpc:nat-gateway", nid, region, n, vpcs, vpc=n.get("VpcId"),
                               subnet=n.get("SubnetId"), releases=releases,
                               **({"keeps_addresses": kept} if kept else {}),
                               note="routes to it stop working (blackhole) until they are changed"))
        actions += [guard.Action(op="release", type="ec2:elastic-ip", id=aid, region=region, target=nid,
                                 tags=tag_map(eips[aid].get("Tags")), state={"ip": eips[aid].get("PublicIp")},
                                 detail={"public_ip": eips[aid].get("PublicIp"), "why": "made by AwsWiz for the NAT"})
                    for aid in releases]
    return settle(actions)


def plan_endpoints(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    eps = [e for e in lookup(ec2, "describe_vpc_endpoints", "VpcEndpoints", None, ids, "VpcEndpointId")
           if state_of(e) not in GONE]
    vpcs = vpc_guard(ec2, eps)
    return settle([
        _action(state_of(e), "vpc:endpoint", e["VpcEndpointId"], region, e, vpcs, vpc=e.get("VpcId"),
                service=e.get("ServiceName"), endpoint_type=e.get("VpcEndpointType"),
                **({"interfaces": e["NetworkInterfaceIds"]} if e.get("NetworkInterfaceIds") else {}))
        for e in eps])


def do(ctx, a: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", a.region)
    if a.type == "ec2:elastic-ip":
        ec2.release_address(AllocationId=a.id)
        return {"released": a.detail["public_ip"]}
    if a.type == "vpc:nat-gateway":
        if a.op == "delete-and-wait":
            ec2.delete_nat_gateway(NatGatewayId=a.id)
        vpc_apply.wait_until(lambda: vpc_apply._nat_gone(ec2, a.id), f"NAT gateway {a.id} deletion")
    else:
        if a.op == "delete-and-wait" and (bad := ec2.delete_vpc_endpoints(VpcEndpointIds=[a.id]).get("Unsuccessful")):
            raise RuntimeError(f"{a.id}: {bad[0].get('Error', {}).get('Message')}")
        vpc_apply.wait_until(lambda: vpc_apply._endpoint_gone(ec2, a.id), f"VPC endpoint {a.id} deletion")
    return {"deleted": a.id}


register(
    Remover(type="vpc:nat-gateway", id_pattern=id_pattern("nat"), id_example="nat-0123456789abcdef0",
            find=finder("describe_nat_gateways", "NatGateways", "nat-gateway-id", "NatGatewayId",
                        alive=lambda n: state_of(n) not in GONE), plan=plan_nats, do=do),
    Remover(type="vpc:endpoint", id_pattern=id_pattern("vpce"), id_example="vpce-0123456789abcdef0",
            find=finder("describe_vpc_endpoints", "VpcEndpoints", None, "VpcEndpointId",  # moto lacks vpc-endpoint-id
                        alive=lambda e: state_of(e) not in GONE), plan=plan_endpoints, do=do),
)
