"""Changing tools across regions: one plan, one token, actions per region.

The regions a changing tool plans in:
- `--region REGION|a,b|all`: those (enabled ones only, as the read tools);
- `--id` without `--region`: whichever enabled regions hold the ids (looked up at once, in every
  enabled region); an id found nowhere is bad input naming how many regions were searched;
- otherwise (a tag selection, --all): the home region, as before.

    located = regional.locate(ctx, ids, lambda region, ids: {...ids found in region})
    plan = regional.plan(ctx, located, lambda region, ids: guard.Plan(...), scope={"ids": ids})

Each per-region plan is built at once on the fan-out and merged in region order; the merged scope names
the regions, so the token is bound to them. Actions keep their region: `do` takes its client from
`ctx.aws.client(service, action.region)`.
"""

from __future__ import annotations

from collections.abc import Callable

from .errors import AwsWizError, BadInput


def regions(ctx) -> list[str]:
    """--region as given (a, a,b, all: enabled regions), else the home region."""
    found, _ = ctx.regions(default=ctx.aws.home_region)
    return found


def searched(ctx) -> list[str]:
    """Where ids are looked for: --region as given, else every enabled region."""
    found, _ = ctx.regions(default="all")
    return found


def _fan(ctx, region_list: list[str], fn: Callable[[str], object], what: str) -> dict:
    """fn(region) for every region at once; a region that fails fails the run (a plan must see all it
    names): its error is raised, naming the region."""
    from .fanout import FanOut

    if len(region_list) == 1:
        return {region_list[0]: fn(region_list[0])}
    fan = FanOut(min(ctx.aws.workers, len(region_list)))
    for r in region_list:
        fan.submit(r, lambda r=r: fn(r), region=r, what=what)
    results, errors = fan.wait()
    if errors:
        e = errors[0]
        more = f" (and {len(errors) - 1} more region(s))" if len(errors) > 1 else ""
        raise AwsWizError(f"{what} failed in {e.get('region')}: {e['code']}: {e['message']}{more}",
                          e.get("hint") or "retry, or narrow --region", region=e.get("region"))
    return results


def locate(ctx, ids: list[str], find: Callable[[str, list[str]], set[str]],
           what: str = "resource") -> dict[str, list[str]]:
    """{region: ids found there}, in region order. find(region, ids) returns the ids that region holds.
    Ids found nowhere are BadInput naming the regions searched."""
    scope = searched(ctx)
    found = _fan(ctx, scope, lambda r: set(find(r, ids)), f"looking up {what} ids")
    out = {r: [i for i in ids if i in found[r]] for r in scope if found.get(r)}
    twice = {i: [r for r in out if i in out[r]] for i in ids}
    if twice := {i: rs for i, rs in twice.items() if len(rs) > 1}:  # a name (not an id) held in two regions
        i, rs = next(iter(twice.items()))
        raise BadInput(f"{what} {i} is in more than one region ({', '.join(rs)}): say which with --region",
                       f"add --region {rs[0]}, or use the ARN")
    missing = [i for i in ids if not any(i in f for f in found.values())]
    if missing:
        where = scope[0] if len(scope) == 1 else f"any of {len(scope)} enabled regions searched"
        hint = ("check the id with uv run tools/scan.py" if len(scope) > 1 else
                "check the id with uv run tools/scan.py, or leave out --region to search every enabled region")
        raise BadInput(f"{what} {', '.join(missing)} not found in {where}", hint,
                       region=scope[0] if len(scope) == 1 else None)
    return out


def plan(ctx, per_region: dict[str, list[str]] | list[str], build: Callable[[str, list[str]], object],
         scope: dict | None = None):
    """One guard.Plan from build(region, ids) in each region (ids: the located ones, or [] for a
    selection by tag or --all), merged in region order; scope gains "regions"."""
    from . import guard

    if isinstance(per_region, list):
        per_region = {r: [] for r in per_region}
    parts = _fan(ctx, list(per_region), lambda r: build(r, per_region[r]), "planning")
    merged = guard.Plan(actions=[], scope={**(scope or {}), "regions": list(per_region)})
    for r in per_region:
        p = parts[r]
        merged.actions += p.actions
        merged.skipped += p.skipped
        merged.errors += p.errors
    return merged


def verify_scan(ctx, *extra: str) -> str:
    """The scan command that shows the result, for `verify`: the run's --region, if it named one."""
    return " ".join(["uv run tools/scan.py", *(["--region", ctx.region_spec] if ctx.region_spec else []), *extra])
