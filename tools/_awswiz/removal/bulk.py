"""Many types in one plan (terminate.py --tag, reap.py): the order of types, and each type's remover planning its
ids in that order, knowing what the plan already removes.

- type_order: what must go first (the resource table's Row.first, in each type's file) comes first; otherwise the
  table's order. The one ordering of types; cleanup_vpc.py's teardown (vpc_teardown.py) orders the parts of one
  VPC the same way AWS requires.
- plan_part: one type's remover on its ids in a region; when one id makes the whole call bad input (it vanished
  since it was listed), the ids are planned one by one and that one is skipped.
- plan_region: every type of one region in type_order. What an earlier type of the plan removes is handed to the
  later removers as opts["going"] ({id: its own tags}): a remover that would refuse a resource only because one of
  them still holds it (a volume attached to an instance terminated first, a group its interfaces use) plans it to
  run once that one is gone (waits.after_terminated) and names it in Action.touches with its own tags, so a
  protected holder keeps it too (the guard's rule, not a check of ours). A target an earlier type already plans
  (launch.py's group, key and volumes go with their instance) is skipped, said so.
- tagged: the ids carrying every tag of a selection, by type and region, from the inventory collector (the same
  list and the same tag match as scan.py --tag, so a scan shows what a plan removes), with the tags in use.
"""

from __future__ import annotations

from collections.abc import Callable

from _awswiz import guard
from _awswiz.inventory.table import BY_TYPE
from _awswiz.removal import removers
from _awswiz.removal.waits import LEAVING
from _awswiz.shell.errors import BadInput

GLOBAL = "global"


def skip(kind: str, rid: str, region: str | None, name: str | None, reason: str) -> dict:
    """A skipped entry, in the guard's shape."""
    return {"id": rid, "region": region, "type": kind, "name": name, "reason": reason}


def type_order(types: set[str]) -> list[str]:
    """Types ordered so that what must go first (Row.first) comes first; otherwise the table's order."""
    out: list[str] = []

    def visit(t: str, path: tuple = ()) -> None:
        if t in out or t in path:
            return
        for before in getattr(BY_TYPE.get(t), "first", ()) or ():
            if before in types:
                visit(before, (*path, t))
        out.append(t)

    for t in sorted(types, key=lambda t: list(BY_TYPE).index(t) if t in BY_TYPE else len(BY_TYPE)):
        visit(t)
    return out


def plan_part(ctx, kind: str, region: str | None, ids: list[str], opts: dict) -> guard.Plan:
    """The remover's plan of ids; an id that is bad input on its own (gone since it was listed) is skipped."""
    rem = removers.registry()[kind]
    try:
        if ids and rem.scope != "global":
            return rem.plan(ctx, region, ids, opts)
    except BadInput:
        pass  # plan them one by one below: one that vanished since listing is skipped, not fatal
    part = guard.Plan(actions=[])
    for rid in ids:
        try:
            part.actions += rem.plan(ctx, region, [rid], opts).actions
        except BadInput as exc:
            part.skipped.append(skip(kind, rid, region, None, f"not planned: {exc}"))
    return part


def new_targets(plan: guard.Plan, kind: str, part: guard.Plan):
    """(target, its main action, its actions) for each target of one type's part that is not in plan yet: one that
    another resource of the plan removes already is skipped there, saying so; one already on its way out is left."""
    taken = {a.id for a in plan.actions}
    by_target: dict[str, list[guard.Action]] = {}
    for a in part.actions:
        by_target.setdefault(a.target_id, []).append(a)
    for target, acts in by_target.items():
        main = next((a for a in acts if a.id == target), acts[-1])
        if target in taken:
            plan.skipped.append(skip(kind, target, main.region, main.name,
                                     "removed with another resource in this plan"))
            continue
        if isinstance(main.state, dict) and main.state.get("state") in LEAVING:
            continue  # already on its way out (an earlier reap, or terminate)
        yield target, main, acts


def plan_region(ctx, region: str | None, kinds: dict[str, list[str]], opts: dict,
                owner: dict[tuple[str, str], Callable]) -> guard.Plan:
    """Every type of kinds ({type: ids}) in one region (None: the global types), in type_order; owner gains
    (op, id) -> the remover's do for each action planned."""
    plan, going = guard.Plan(actions=[]), {}
    for kind in type_order(set(kinds)):
        rem = removers.registry()[kind]
        part = plan_part(ctx, kind, region, kinds[kind], {**opts, "going": dict(going)})
        for target, main, acts in new_targets(plan, kind, part):
            for a in acts:
                owner[(a.op, a.id)] = rem.do
            plan.actions += acts
            if not any(a.blocked for a in acts):
                going[target] = main.tags
        plan.skipped += part.skipped
        plan.errors += part.errors
    return plan


def removable(type_: str | None = None) -> list[str]:
    """The types a tag selection plans: type_ alone, else every type with a remover."""
    if type_:
        return [type_]
    return [t for t, r in removers.registry().items() if not r.unsupported and r.plan and t in BY_TYPE]


def tagged(ctx, tags: dict[str, str], types: list[str], regions: list[str], progress=None) \
        -> tuple[dict[str | None, dict[str, list[str]]], list[dict], int, dict[str, dict[str, int]]]:
    """({region, or None for the global types: {type: [ids]}} of what carries every tag, the collector's errors,
    how many of its calls answered, {key: {value: count}} of the tags on the resources listed)."""
    from _awswiz.inventory.collect import collect

    records, errors, succeeded = collect(ctx.aws, regions, [BY_TYPE[t] for t in types], progress, tags=True)
    chosen: dict[str | None, dict[str, list[str]]] = {}
    in_use: dict[str, dict[str, int]] = {}
    for r in records:
        for k, v in (r.get("tags") or {}).items():
            if not k.startswith("aws:"):
                in_use.setdefault(k, {}).setdefault(v, 0)
                in_use[k][v] += 1
        if all(r["tags"].get(k) == v for k, v in tags.items()):
            where = None if removers.registry()[r["type"]].scope == "global" or r["region"] == GLOBAL else r["region"]
            chosen.setdefault(where, {}).setdefault(r["type"], []).append(str(r["id"]))
    return chosen, errors, succeeded, in_use
