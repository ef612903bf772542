"""vpc:security-group: revoke the rules of other groups that refer to it, then delete it (as cleanup_sg does,
sg_rules.py). AWS refuses to delete a group that a network interface uses or another group's rule refers to
(EC2 API Reference: DeleteSecurityGroup, DependencyViolation), and never deletes a VPC's default group
(Amazon VPC User Guide: Delete a security group): those in use and default ones are blocked, naming why, except a
group whose only users are interfaces of instances the same plan terminates first (opts["going"], bulk.py): it is
deleted once they are terminated (waits.py)."""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, in_vpc, lookup, settle, terminate, vpc_guard
from _awswiz.removal.waits import after_terminated
from _awswiz.security import sg_rules


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups")  # every group: who refers to ours
    going = [g for g in groups if g["GroupId"] in ids]
    used = sg_rules.groups_in_use(ctx.aws, region)
    referring = [g for g in groups if sg_rules.refs(g) & (set(ids) - {g["GroupId"]})]
    vpcs = vpc_guard(ec2, going + referring)
    held = _held_by_going(ec2, [g["GroupId"] for g in going if g["GroupId"] in used], opts.get("going") or {})
    revokes, deletes = [], []
    for g in referring:  # rules of other groups (and of the other groups going) that refer to ours
        among = set(ids) - {g["GroupId"]}
        for a in sg_rules.revoke_actions([g], among, region, target=lambda g, a=among: min(sg_rules.refs(g) & a)):
            a.tags = tag_map(g.get("Tags"))  # the group whose rules change, with its own tags (and its VPC's)
            a.touches = in_vpc(g.get("VpcId"), vpcs)
            revokes.append(a)
    for g in going:
        a = sg_rules.delete_action(g, region)
        a.touches = in_vpc(g.get("VpcId"), vpcs)
        if g.get("GroupName") == "default":
            a.blocked = (f"the default group of VPC {g.get('VpcId')}: AWS never deletes it; it goes with its VPC ("
                         f"{terminate(ctx, 'vpc:vpc', g.get('VpcId'), region)})")
        elif after := held.get(g["GroupId"]):  # its interfaces go with instances terminated first in this plan
            a.touches |= {f"instance {i} (terminated first)": opts["going"][i] for i in after}
            a.state = {**a.state, "after": after}
            a.detail = {**a.detail, "after": f"instance {', '.join(after)} is terminated"}
        elif user := used.get(g["GroupId"]):
            a.blocked = (f"in use by {user}; AWS refuses (DependencyViolation): move that resource to another group "
                         "or delete it first")
        deletes.append(a)
    return settle(revokes + deletes)


def _held_by_going(ec2, ids: list[str], going: dict) -> dict[str, list[str]]:
    """{group id: instances} for the groups in use only by interfaces that the plan's instances take with them
    (attached with DeleteOnTermination to an instance terminated earlier in the same plan)."""
    if not ids or not going:
        return {}
    out: dict[str, set] = {}
    for eni in lookup(ec2, "describe_network_interfaces", "NetworkInterfaces", "group-id", ids):
        att = eni.get("Attachment") or {}
        ok = att.get("InstanceId") in going and att.get("DeleteOnTermination")
        for g in eni.get("Groups", []):
            if g["GroupId"] in ids:
                out.setdefault(g["GroupId"], set()).add(att["InstanceId"] if ok else None)
    return {g: sorted(users) for g, users in out.items() if None not in users}


def do(ctx, a) -> dict | None:
    ec2 = ctx.aws.client("ec2", a.region)
    if a.op == "delete" and (after := (a.state or {}).get("after")):
        return after_terminated(ec2, after, lambda: sg_rules.do(ec2, a), codes=("DependencyViolation",))
    return sg_rules.do(ec2, a)


register(Remover(type="vpc:security-group", id_pattern=id_pattern("sg"), id_example="sg-0123456789abcdef0",
                 find=finder("describe_security_groups", "SecurityGroups", "group-id", "GroupId"), plan=plan,
                 do=do))
