"""Changing tools across regions: one plan, one token, actions per region.

The regions a changing tool plans in:
- `--region REGION|a,b|all`: those (enabled ones only, as the read tools);
- `--id` without `--region`: whichever enabled regions hold the ids (looked up at once, in every
  enabled region); an id found nowhere is bad input naming the regions searched, and an id found in
  two regions (AWS ties an id to its region and does not promise more) is bad input asking for --region;
- otherwise (a tag selection, --all): the home region, as before; `elsewhere` then says where else the
  same selection matches (data.elsewhere, and a `next` that plans there too).

    located = regional.locate(ctx, ids, lambda region, ids: {...ids found in region})
    plan = regional.plan(ctx, located, lambda region, ids: guard.Plan(...), scope={"ids": ids})
    # or, for a tool that selects by id or else by tag/--all:
    plan = regional.plan(ctx, regional.where(ctx, ids, find, "instance"), build, scope=...)
    return regional.elsewhere(ctx, guard.run(...), count=lambda region: n, confirm=confirm)

Each per-region plan is built at once on the fan-out and merged in region order; the merged scope names
the regions, so the token is bound to them. Actions keep their region: `do` takes its client from
`ctx.aws.client(service, action.region)`.
"""

from __future__ import annotations

from collections.abc import Callable

from _awswiz.shell import hints
from _awswiz.shell.errors import AwsWizError, BadInput


def regions(ctx) -> list[str]:
    """--region as given (a, a,b, all: enabled regions), else the home region."""
    found, _ = ctx.regions(default=ctx.aws.home_region)
    return found


def searched(ctx) -> list[str]:
    """Where ids are looked for: --region as given, else every enabled region."""
    found, _ = ctx.regions(default="all")
    return found


def fan_out(ctx, region_list: list[str], fn: Callable[[str], object], what: str, strict: bool = True):
    """fn(region) for every region at once. strict: a region that fails fails the run (a plan must see all
    it names): an AwsWiz error (bad input found in one region) is raised as it is, any other error names
    its region. Not strict: (results, errors) with one error entry per failed region (BadInput is still
    raised: it is the input's fault, not the region's)."""
    from _awswiz.aws.fanout import FanOut

    if len(region_list) == 1 and strict:
        return {region_list[0]: fn(region_list[0])}
    ours: list[AwsWizError] = []

    def call(r: str):
        try:
            return fn(r)
        except AwsWizError as exc:
            ours.append(exc)
            raise

    fan = FanOut(max(1, min(ctx.aws.workers, len(region_list))))
    for r in region_list:
        fan.submit(r, lambda r=r: call(r), region=r, what=what)
    results, errors = fan.wait()
    bad = [e for e in ours if isinstance(e, BadInput)]
    if bad:  # bad input found in one region stays bad input (exit 2), strict or not
        raise bad[0]
    if not strict:
        return results, errors
    if ours:
        raise ours[0]
    if errors:
        e = errors[0]
        more = f" (and {len(errors) - 1} more region(s))" if len(errors) > 1 else ""
        raise AwsWizError(f"{what} failed in {e.get('region')}: {e['code']}: {e['message']}{more}",
                          e.get("hint") or "retry, or narrow --region", region=e.get("region"))
    return results


def locate(ctx, ids: list[str], find: Callable[[str, list[str]], set[str]],
           what: str = "resource") -> Located:
    """{region: ids found there}, in region order. find(region, ids) returns the ids that region holds.
    Ids found nowhere are BadInput naming the regions searched, unless the audit log shows an earlier run
    removed them (a killed run planned again): those are in .gone, as skipped entries. An id found in more
    than one region is BadInput too (never act on two resources for one id: name the region with --region).
    A region that cannot be asked (denied by a policy, say) does not matter once every id is found
    elsewhere; otherwise the lookup fails naming it (the id may live there)."""
    scope = searched(ctx)
    found, errors = fan_out(ctx, scope, lambda r: set(find(r, ids)), f"looking up {what} ids", strict=False)
    out = {r: [i for i in ids if i in found[r]] for r in scope if found.get(r)}
    twice = {i: [r for r in out if i in out[r]] for i in ids}
    twice = {i: rs for i, rs in twice.items() if len(rs) > 1}
    if twice:
        i, rs = next(iter(twice.items()))
        raise BadInput(f"{what} {i} exists in {len(rs)} regions ({', '.join(rs)}): say which one",
                       f"name one of {', '.join(rs)}: {hints.again(region=rs[0])}", data={"found_in": twice})
    missing = [i for i in ids if not any(i in f for f in found.values())]
    gone = _removed_before(ctx, missing, what)
    missing = [i for i in missing if i not in gone]
    if missing and errors:
        failed = sorted({e.get("region") or "?" for e in errors})
        e = errors[0]
        raise AwsWizError(f"{what} {', '.join(missing)} not found in the regions that answered; "
                          f"{', '.join(failed)} could not be asked ({e['code']}: {e['message']})",
                          f"fix access to {', '.join(failed)}, or pass the region that holds it: "
                          + hints.again(region=failed[0]), code=e["code"],
                          region=failed[0] if len(failed) == 1 else None, data={"searched": scope, "not_asked": failed})
    if missing:
        where = scope[0] if len(scope) == 1 else f"any of the {len(scope)} regions searched ({', '.join(scope)})"
        hint = (f"search every enabled region: {hints.again(region='')}" if ctx.region_spec
                and ctx.region_spec.strip() != "all" else f"check the id with {hints.command(ctx, 'scan')}")
        raise BadInput(f"{what} {', '.join(missing)} not found in {where}", hint,
                       region=scope[0] if len(scope) == 1 else None, data={"searched": scope})
    return Located(out, gone)


class Located(dict):
    """{region: ids found there}, and `gone`: {id: skipped entry} for the ids an earlier run removed."""

    def __init__(self, found: dict, gone: dict[str, dict]):
        super().__init__(found)
        self.gone = gone


def _removed_before(ctx, missing: list[str], what: str) -> dict[str, dict]:
    """The missing ids that an earlier AwsWiz run removed, by the audit log ({id: skipped entry}). A run killed
    half-way and planned again names them; they are said to be gone, not bad input, and the rest is planned."""
    if not missing:
        return {}
    from _awswiz.guard import audit

    done = audit.removed(missing, ctx.aws.account_id())
    return {i: {"id": i, "type": what, "region": c.get("region"), "name": None,
                "reason": f"already removed: {c['operation']} at {c['time']} by {c['tool']} (audit log)"}
            for i, c in done.items()}


def where(ctx, ids: list[str], find: Callable[[str, list[str]], set[str]], what: str = "resource"):
    """Where a tool that selects by --id, or else by tag or --all, plans: the regions holding the ids
    ({region: ids}), or the run's regions (--region, else home) for a selection."""
    return locate(ctx, ids, find, what) if ids else regions(ctx)


def plan(ctx, per_region: dict[str, list[str]] | list[str], build: Callable[[str, list[str]], object],
         scope: dict | None = None):
    """One guard.Plan from build(region, ids) in each region (ids: the located ones, or [] for a
    selection by tag or --all), merged in region order; scope gains "regions"."""
    from _awswiz import guard

    if isinstance(per_region, list):
        per_region = {r: [] for r in per_region}
    parts = fan_out(ctx, list(per_region), lambda r: build(r, per_region[r]), "planning")
    merged = guard.Plan(actions=[], scope={**(scope or {}), "regions": list(per_region)})
    merged.skipped += list(getattr(per_region, "gone", {}).values())
    for r in per_region:
        p = parts[r]
        merged.actions += p.actions
        merged.skipped += p.skipped
        merged.errors += p.errors
    return merged


def widened(ctx, more: list[str]) -> str:
    """The run's command (without --confirm) planning in the home region and `more` too."""
    return hints.again(region=",".join(sorted({ctx.aws.home_region, *more})))


def elsewhere(ctx, result, count: Callable[[str], int], confirm: str | None = None, what: str = "matches"):
    """For a selection planned in the home region only because no --region was given (a tag selection,
    --all): count(region) the same selection in every other enabled region, at once (one cheap filtered
    call each), and add to the plan data.elsewhere {region: n} (regions with matches; {} when none) and a
    `next` that plans them too (--region home,a,b). A region that cannot be asked never fails the plan:
    it is named in data.elsewhere_unchecked {region: "Code: message"}. Nothing is asked on --confirm or
    when --region was given (the user chose the scope)."""
    data = result.data
    if ctx.region_spec or confirm is not None or not isinstance(data, dict) or data.get("applied") is not False:
        return result
    home = ctx.aws.home_region
    others = [r for r in ctx.aws.enabled_regions()[0] if r != home]
    counts, errors = fan_out(ctx, others, count, f"counting {what}", strict=False) if others else ({}, [])
    data["elsewhere"] = {r: counts[r] for r in others if counts.get(r)}
    unchecked = {e.get("region") or "?": f"{e['code']}: {e['message']}" for e in errors}
    if unchecked:
        data["elsewhere_unchecked"] = unchecked
    if data["elsewhere"]:
        result.next.append(widened(ctx, list(data["elsewhere"])))
    inner = result.render

    def render(console, d) -> None:
        if inner:
            inner(console, d)
        if d.get("elsewhere"):
            console.print(f"Not in this plan ({home} only): {what} also in "
                          + ", ".join(f"{r} ({n})" for r, n in d["elsewhere"].items()) + "; see next")
        if d.get("elsewhere_unchecked"):
            console.print("Could not check: " + ", ".join(d["elsewhere_unchecked"]))

    result.render = render
    return result


def verify_scan(ctx, *extra: str) -> str:
    """The scan command that shows the result, for `verify`: the run's --region, if it named one."""
    return hints.command(ctx, "scan", *extra)
