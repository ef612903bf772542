"""elb:load-balancer and elb:target-group (Elastic Load Balancing v2: application, network, gateway).

A load balancer goes with its listeners (AWS deletes them with it: each listener's own tags are in `touches`, so a
protected listener refuses its load balancer); deletion protection blocks it, as AWS
refuses DeleteLoadBalancer then. Its target groups stay (they cost nothing, and another load balancer may use
them) unless --with-target-groups plans those only this load balancer uses, after it. A target group that a
listener or rule forwards to cannot be deleted (AWS: ResourceInUse): blocked, naming the load balancer.
Ids: the ARN as scan shows it, or the name (unique per region; a name found in two regions is ambiguous).
A deleted load balancer no longer names its target groups, so those planned with it are tagged
awswiz:teardown-of=LB_ARN just before DeleteLoadBalancer: a run killed in between is finished by planning the same
id again (the marked target groups are deleted, the load balancer is said to be gone already).
"""

from __future__ import annotations

import time

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.collect import ELB_TAG_BATCH
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.lookup import code, either, match, unique
from _awswiz.removal.vpc_teardown import TEARDOWN_TAG
from _awswiz.shell import hints

PARTS = r"arn:aws[\w-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:"
NAME = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?"
LB_ID = either(PARTS + rf"loadbalancer/(?:app|net|gwy)/{NAME}/[0-9a-f]+", NAME)
TG_ID = either(PARTS + rf"targetgroup/{NAME}/[0-9a-f]+", NAME)
TG_IN_USE_WAIT = 60  # seconds a target group may still count as in use right after its load balancer went


def _lbs(elb) -> list[dict]:
    return paginate(elb, "describe_load_balancers", "LoadBalancers")


def _tgs(elb) -> list[dict]:
    return paginate(elb, "describe_target_groups", "TargetGroups")


def tags(elb, arns: list[str]) -> dict[str, dict]:
    """{arn: tags}, one DescribeTags per 20 ARNs (its limit), as the scan does."""
    out: dict[str, dict] = {}
    for i in range(0, len(arns), ELB_TAG_BATCH):
        for d in elb.describe_tags(ResourceArns=arns[i:i + ELB_TAG_BATCH])["TagDescriptions"]:
            out[d["ResourceArn"]] = tag_map(d.get("Tags"))
    return out


def _marked(elb, ids: list[str]) -> dict[str, list[tuple[dict, dict]]]:
    """{id: [(target group, its tags)]} of the target groups marked awswiz:teardown-of=the ARN of a load balancer
    these ids name (ARN or name), deleted by a run that stopped before its target groups. Only asked for ids that
    no load balancer answers to (one DescribeTargetGroups, one DescribeTags per 20 target groups that no load
    balancer uses: a marked one was used by the deleted one only)."""
    if not ids:
        return {}
    tgs = [t for t in _tgs(elb) if not t.get("LoadBalancerArns")]
    tagged = tags(elb, [t["TargetGroupArn"] for t in tgs])
    out: dict[str, list[tuple[dict, dict]]] = {}
    for t in tgs:
        lb = tagged.get(t["TargetGroupArn"], {}).get(TEARDOWN_TAG, "")
        for i in ids:
            if lb and i in (lb, lb.split("/")[-2] if lb.count("/") >= 2 else None):
                out.setdefault(i, []).append((t, tagged[t["TargetGroupArn"]]))
    return out


def find_lbs(ctx, region: str, ids: list[str]) -> set[str]:
    elb = ctx.aws.client("elbv2", region)
    found = set(match(_lbs(elb), ids, "LoadBalancerArn", "LoadBalancerName"))
    return found | set(_marked(elb, [i for i in ids if i not in found]))


def find_tgs(ctx, region: str, ids: list[str]) -> set[str]:
    return set(match(_tgs(ctx.aws.client("elbv2", region)), ids, "TargetGroupArn", "TargetGroupName"))


def tg_action(tg: dict, region: str, tg_tags: dict, target: str | None = None) -> guard.Action:
    return guard.Action(op="delete", type="elb:target-group", id=tg["TargetGroupArn"], region=region,
                        name=tg.get("TargetGroupName"), tags=tg_tags, target=target,
                        state={"load_balancers": sorted(tg.get("LoadBalancerArns", []))},
                        detail={"protocol": tg.get("Protocol"), "port": tg.get("Port"),
                                "note": "its registered targets are not touched"})


def plan_lbs(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    elb = ctx.aws.client("elbv2", region)
    found = match(_lbs(elb), ids, "LoadBalancerArn", "LoadBalancerName")
    lbs = unique(found, "LoadBalancerArn")
    arns = {lb["LoadBalancerArn"] for lb in lbs}
    all_tgs = _tgs(elb) if lbs else []  # one call for the region, not one per load balancer
    per_lb = {a: [t for t in all_tgs if a in t.get("LoadBalancerArns", [])] for a in arns}
    tg_arns = sorted({t["TargetGroupArn"] for tgs in per_lb.values() for t in tgs})
    per_listener = {a: [x["ListenerArn"] for x in paginate(elb, "describe_listeners", "Listeners", LoadBalancerArn=a)]
                    for a in sorted(arns)}
    tagged = tags(elb, sorted(arns) + tg_arns + [x for ls in per_listener.values() for x in ls])
    plan = guard.Plan(actions=[])
    for lb in lbs:
        arn, name = lb["LoadBalancerArn"], lb["LoadBalancerName"]
        attrs = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
        listeners = per_listener[arn]
        protected = attrs.get("deletion_protection.enabled") == "true"
        blocked = ("deletion protection is on (attribute deletion_protection.enabled=true), so AWS refuses "
                   "DeleteLoadBalancer; lift it deliberately with: " + hints.aws_cli(
                       ctx, "elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", arn, "--attributes",
                       "Key=deletion_protection.enabled,Value=false", region=region)) if protected else None
        tgs = per_lb[arn]
        only_here = [t for t in tgs if set(t.get("LoadBalancerArns", [])) <= arns]
        detail = {k: v for k, v in (("lb_type", lb.get("Type")), ("scheme", lb.get("Scheme")),
                                    ("vpc", lb.get("VpcId"))) if v}
        detail["listeners_deleted_with_it"] = len(listeners)
        stays = tgs if not opts.get("target_groups") else [t for t in tgs if t not in only_here]
        if stays:
            detail["target_groups_stay"] = [t["TargetGroupName"] for t in stays]
            if not opts.get("target_groups"):
                detail["target_groups_hint"] = (
                    "target groups cost nothing and stay; to delete them with it: "
                    + hints.command(ctx, "terminate", "--type", "elb:load-balancer", "--id", arn,
                                    "--with-target-groups", region=region))
        main = guard.Action(
            op="delete", type="elb:load-balancer", id=arn, region=region, name=name, tags=tagged.get(arn, {}),
            touches={f"listener {x} (deleted with it)": tagged.get(x, {}) for x in listeners},
            state={"state": (lb.get("State") or {}).get("Code"), "listeners": sorted(listeners),
                   "deletion_protection": protected, "target_groups": sorted(t["TargetGroupArn"] for t in tgs)},
            detail=detail, blocked=blocked)
        plan.actions.append(main)
        if opts.get("target_groups"):
            after = [tg_action(t, region, tagged.get(t["TargetGroupArn"], {}), target=arn)
                     for t in only_here if t["TargetGroupArn"] not in {a.id for a in plan.actions}]
            plan.actions += after
            main.state["marks"] = [a.id for a in after]  # tagged by do() before the load balancer goes
    _finish(ctx, elb, region, [i for i in ids if i not in found], opts, plan)
    return plan


def _finish(ctx, elb, region: str, gone: list[str], opts: dict, plan: guard.Plan) -> None:
    """Load balancers already deleted by a run that stopped: delete the target groups it marked (with
    --with-target-groups, as that run was), and say that the load balancer is gone."""
    for i, marked in _marked(elb, gone).items():
        lb = marked[0][1][TEARDOWN_TAG]
        todo = [tg_action(t, region, t_tags, target=lb) for t, t_tags in marked
                if t["TargetGroupArn"] not in {a.id for a in plan.actions}] if opts.get("target_groups") else []
        plan.actions += todo
        names = ", ".join(t["TargetGroupName"] for t, _ in marked)
        reason = (f"already deleted (a run stopped half-way); its target group(s) {names} are deleted now" if todo
                  else f"already deleted (a run stopped half-way); its target group(s) {names} were to go with it: "
                  + hints.command(ctx, "terminate", "--type", "elb:load-balancer", "--id", i,
                                  "--with-target-groups", region=region))
        plan.skipped.append({"id": lb, "type": "elb:load-balancer", "region": region,
                             "name": lb.split("/")[-2], "reason": reason})


def plan_tgs(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    elb = ctx.aws.client("elbv2", region)
    tgs = unique(match(_tgs(elb), ids, "TargetGroupArn", "TargetGroupName"), "TargetGroupArn")
    tagged = tags(elb, [t["TargetGroupArn"] for t in tgs])
    plan = guard.Plan(actions=[])
    for tg in tgs:
        action = tg_action(tg, region, tagged.get(tg["TargetGroupArn"], {}))
        if users := sorted(tg.get("LoadBalancerArns", [])):
            cmd = hints.command(ctx, "terminate", "--type", "elb:load-balancer", "--id", ",".join(users),
                                "--with-target-groups", region=region)
            action.blocked = (f"in use by load balancer {', '.join(u.split('/')[-2] for u in users)} (a listener "
                              f"or rule forwards to it; AWS refuses DeleteTargetGroup with ResourceInUse); delete "
                              f"the load balancer first, with its target groups: {cmd}")
        plan.actions.append(action)
    return plan


def do(ctx, action: guard.Action) -> dict:
    elb = ctx.aws.client("elbv2", action.region)
    if action.type == "elb:load-balancer":
        if marks := action.state.get("marks"):  # a re-plan finds them by this mark once the load balancer is gone
            elb.add_tags(ResourceArns=marks, Tags=[{"Key": TEARDOWN_TAG, "Value": action.id}])
        elb.delete_load_balancer(LoadBalancerArn=action.id)
        elb.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[action.id],
                                                      WaiterConfig={"Delay": 5, "MaxAttempts": 60})
        return {"deleted": action.id}
    deadline = time.monotonic() + TG_IN_USE_WAIT
    while True:  # right after its load balancer is deleted, AWS may still count the target group in use
        try:
            elb.delete_target_group(TargetGroupArn=action.id)
            return {"deleted": action.id}
        except Exception as exc:
            if code(exc) != "ResourceInUse" or action.target in (None, action.id) or time.monotonic() > deadline:
                raise
            time.sleep(5)


register(
    Remover(type="elb:load-balancer", id_pattern=LB_ID, find=find_lbs, plan=plan_lbs, do=do,
            id_example="arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID, or the name",
            options=("target_groups",)),
    Remover(type="elb:target-group", id_pattern=TG_ID, find=find_tgs, plan=plan_tgs, do=do,
            id_example="arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID, or the name"),
)
