"""ec2:elastic-ip: disassociate it first if it is associated, then release it (EC2 API Reference: ReleaseAddress:
in a VPC, an associated address must be disassociated first, else InvalidIPAddress.InUse). An address that a
NAT gateway or another service's interface holds is blocked: it goes free only when its owner is deleted.
The disassociation touches the instance (or interface) the address is associated with: it loses its public
address. The guard weighs that resource's own tags (Action.touches). An association already gone when the step runs
(its instance was terminated earlier in the same plan: terminate.py --tag) is done, not a failure: the address is
released next either way."""

from __future__ import annotations

from _awswiz import guard
from _awswiz.guard import targets
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, lookup, settle, terminate
from _awswiz.removal.vpc_teardown import OWN_INTERFACE_TYPES


def _owner_blocker(ctx, eni: dict, region: str) -> str | None:
    kind = eni.get("InterfaceType") or "interface"
    if kind == "natGateway":
        nat = (eni.get("Description") or "").rsplit(" ", 1)[-1]
        how = terminate(ctx, "vpc:nat-gateway", nat, region) if nat.startswith("nat-") else "delete the NAT gateway"
        return f"held by a NAT gateway ({eni.get('Description')}); delete it first: {how}"
    if kind not in OWN_INTERFACE_TYPES or eni.get("RequesterManaged"):
        return (f"held by network interface {eni['NetworkInterfaceId']} that AWS manages for another service "
                f"({kind}: {eni.get('Description') or '?'}); it goes free when that service's resource is deleted")
    return None


def _associated(addr: dict, insts: dict, enis: dict) -> dict[str, dict]:
    """The instance and interface the address is associated with, each with its own tags."""
    out = {}
    if iid := addr.get("InstanceId"):
        out[f"instance {iid} (the address is associated with it)"] = tag_map(insts.get(iid, {}).get("Tags"))
    if nid := addr.get("NetworkInterfaceId"):
        out[f"network interface {nid} (the address is associated with it)"] = tag_map(enis.get(nid, {}).get("TagSet"))
    return out


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    addrs = lookup(ec2, "describe_addresses", "Addresses", "allocation-id", ids)
    held = sorted({a["NetworkInterfaceId"] for a in addrs if a.get("NetworkInterfaceId")})
    enis = {e["NetworkInterfaceId"]: e for e in lookup(ec2, "describe_network_interfaces", "NetworkInterfaces",
                                                        "network-interface-id", held)} if held else {}
    users = sorted({a["InstanceId"] for a in addrs if a.get("InstanceId")})
    insts = {i["InstanceId"]: i for i in targets.instances(ec2, users)} if users else {}
    actions = []
    for a in addrs:
        aid, tags = a["AllocationId"], tag_map(a.get("Tags"))
        eni = enis.get(a.get("NetworkInterfaceId") or "")
        blocked = _owner_blocker(ctx, eni, region) if eni and not a.get("InstanceId") else None
        where = a.get("InstanceId") or a.get("NetworkInterfaceId")
        common = {"region": region, "name": tags.get("Name"), "tags": tags, "blocked": blocked}
        if a.get("AssociationId"):
            actions.append(guard.Action(op="disassociate", type="ec2:elastic-ip", id=aid, target=aid,
                                        touches=_associated(a, insts, enis),
                                        state={"association": a["AssociationId"], "with": where},
                                        detail={"public_ip": a.get("PublicIp"), "from": where}, **common))
        actions.append(guard.Action(op="release", type="ec2:elastic-ip", id=aid, state={"ip": a.get("PublicIp")},
                                    detail={"public_ip": a.get("PublicIp"),
                                            "note": "the address is gone for good; a new one will differ"}, **common))
    return settle(actions)


def do(ctx, action: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", action.region)
    if action.op == "disassociate":
        from botocore.exceptions import ClientError

        try:
            ec2.disassociate_address(AssociationId=action.state["association"])
        except ClientError as exc:  # the association went with its instance, terminated earlier in the plan
            if exc.response["Error"]["Code"] != "InvalidAssociationID.NotFound":
                raise
            return {"disassociated": action.state["with"], "note": "already disassociated"}
        return {"disassociated": action.state["with"]}
    ec2.release_address(AllocationId=action.id)
    return {"released": action.detail["public_ip"]}


register(Remover(type="ec2:elastic-ip", id_pattern=id_pattern("eipalloc"), id_example="eipalloc-0123456789abcdef0",
                 find=finder("describe_addresses", "Addresses", "allocation-id", "AllocationId"), plan=plan, do=do))
