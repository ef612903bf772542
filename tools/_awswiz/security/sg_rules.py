"""Security groups that reference each other: which rules to revoke before the groups can be deleted,
and which groups are in use. Shared by cleanup_sg.py and cleanup_vpc.py."""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.guard import Action
from _awswiz.inventory.table import tag_map

DIRECTIONS = (("IpPermissions", "revoke-ingress"), ("IpPermissionsEgress", "revoke-egress"))


def refs(group: dict) -> set[str]:
    """The group ids this group's rules (ingress and egress) refer to."""
    return {p["GroupId"] for key, _ in DIRECTIONS for perm in group.get(key, [])
            for p in perm.get("UserIdGroupPairs", []) if p.get("GroupId")}


def perms_referencing(group: dict, key: str, among: set[str]) -> list[dict]:
    """The rules of one direction reduced to their references to groups in `among` (to revoke)."""
    out = []
    for perm in group.get(key, []):
        pairs = [{"GroupId": p["GroupId"]} for p in perm.get("UserIdGroupPairs", []) if p.get("GroupId") in among]
        if pairs:
            rule = {k: perm[k] for k in ("IpProtocol", "FromPort", "ToPort") if k in perm}
            out.append({**rule, "UserIdGroupPairs": pairs})
    return out


def revoke_actions(groups: list[dict], among: set[str], region: str, target=None) -> list[Action]:
    """One revoke action per group and direction for rules that reference a group in `among`."""
    actions = []
    for g in groups:
        for key, op in DIRECTIONS:
            perms = perms_referencing(g, key, among)
            if perms:
                actions.append(Action(
                    op=op, type="vpc:security-group", id=g["GroupId"], region=region, name=g.get("GroupName"),
                    target=target(g) if target else g["GroupId"], state=perms,
                    detail={"rules": [f"{p.get('IpProtocol')} {p.get('FromPort', '*')}-{p.get('ToPort', '*')} "
                                      f"{'from' if op == 'revoke-ingress' else 'to'} "
                                      f"{','.join(x['GroupId'] for x in p['UserIdGroupPairs'])}" for p in perms]}))
    return actions


def delete_action(g: dict, region: str, target: str | None = None) -> Action:
    return Action(op="delete", type="vpc:security-group", id=g["GroupId"], region=region,
                  name=g.get("GroupName"), tags=tag_map(g.get("Tags")), target=target,
                  state={"vpc": g.get("VpcId"), "ingress": g.get("IpPermissions"),
                         "egress": g.get("IpPermissionsEgress")},
                  detail={"vpc": g.get("VpcId"), "description": g.get("Description")})


def groups_in_use(aws, region: str) -> dict[str, str]:
    """{group id: what uses it}: network interfaces, and load balancers (moto gives them no interface)."""
    used: dict[str, str] = {}
    for eni in paginate(aws.client("ec2", region), "describe_network_interfaces", "NetworkInterfaces"):
        for g in eni.get("Groups", []):
            used.setdefault(g["GroupId"], f"network interface {eni['NetworkInterfaceId']}")
    # In AWS a load balancer's groups sit on its network interfaces; moto creates none, so ask ELBv2 too.
    for lb in paginate(aws.client("elbv2", region), "describe_load_balancers", "LoadBalancers"):
        for gid in lb.get("SecurityGroups", []):
            used.setdefault(gid, f"load balancer {lb['LoadBalancerName']}")
    return used


def do(ec2, action: Action) -> None:
    if action.op == "revoke-ingress":
        ec2.revoke_security_group_ingress(GroupId=action.id, IpPermissions=action.state)
    elif action.op == "revoke-egress":
        ec2.revoke_security_group_egress(GroupId=action.id, IpPermissions=action.state)
    elif action.op == "delete":
        ec2.delete_security_group(GroupId=action.id)
    else:  # pragma: no cover - a programming error
        raise ValueError(action.op)
