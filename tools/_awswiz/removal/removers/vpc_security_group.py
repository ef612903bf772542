"""vpc:security-group: revoke the rules of other groups that refer to it, then delete it (as cleanup_sg does,
sg_rules.py). AWS refuses to delete a group that a network interface uses or another group's rule refers to
(EC2 API Reference: DeleteSecurityGroup, DependencyViolation), and never deletes a VPC's default group
(Amazon VPC User Guide: Delete a security group): those in use and default ones are blocked, naming why."""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder, id_pattern, in_vpc, settle, terminate, vpc_guard
from _awswiz.security import sg_rules


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups")  # every group: who refers to ours
    going = [g for g in groups if g["GroupId"] in ids]
    used = sg_rules.groups_in_use(ctx.aws, region)
    referring = [g for g in groups if sg_rules.refs(g) & (set(ids) - {g["GroupId"]})]
    vpcs = vpc_guard(ec2, going + referring)
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
        elif user := used.get(g["GroupId"]):
            a.blocked = (f"in use by {user}; AWS refuses (DependencyViolation): move that resource to another group "
                         "or delete it first")
        deletes.append(a)
    return settle(revokes + deletes)


register(Remover(type="vpc:security-group", id_pattern=id_pattern("sg"), id_example="sg-0123456789abcdef0",
                 find=finder("describe_security_groups", "SecurityGroups", "group-id", "GroupId"), plan=plan,
                 do=lambda ctx, a: sg_rules.do(ctx.aws.client("ec2", a.region), a)))
