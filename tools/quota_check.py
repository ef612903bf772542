#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""EC2 vCPU quotas by instance family and market (on-demand, spot) in every enabled region, with usage and
headroom; --need TYPE[:COUNT] answers where that many instances fit now, --need MODEL[:COUNT] (H100:8) which types
and counts give that many accelerators and where each fits."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def _fits(rows: list[dict], region: str, code: str | None, vcpus: int) -> dict | None:
    for r in rows:
        if r["region"] == region and r["code"] == code:
            ok = r["headroom"] is not None and r["headroom"] >= vcpus
            return {"code": r["code"], "quota": r["value"], "used": r["used"], "headroom": r["headroom"], "fits": ok,
                    "pending": r["pending"]}
    return None


def answer_need(itype: str, count: int, spec: dict, rows: list[dict], offered: dict[str, list]) -> dict:
    from _awswiz.compute.quota_codes import group_of, quota_for_type

    vcpus = (spec.get("vcpus") or 0) * count
    codes = {m: (q.code if (q := quota_for_type(itype, m)) else None) for m in ("on-demand", "spot")}
    out = {"type": itype, "count": count, "vcpus_each": spec.get("vcpus"), "vcpus": vcpus, "family": group_of(itype),
           "codes": codes, "on_demand": [], "spot": [], "regions": [], "not_offered": []}
    for region in sorted(offered):
        azs = offered[region]
        if not azs:
            out["not_offered"].append(region)
            continue
        entry = {"region": region, "azs": len(azs)}
        for market, key in (("on-demand", "on_demand"), ("spot", "spot")):
            fit = _fits(rows, region, codes[market], vcpus)
            entry[key] = fit
            if fit and fit["fits"]:
                out[key].append(region)
        out["regions"].append(entry)
    return out


def _next(need: dict | None, ctx) -> list[str]:
    """Where it fits: the commands to look closer. Where it fits nowhere: one quota request in the region with the
    most on-demand headroom among those with no request open for that quota (Service Quotas refuses a second
    open request); if every offered region has one open, follow those instead of asking twice."""
    from _awswiz.compute.need import gap

    if not need:
        return []
    if need["on_demand"] or need["spot"]:
        where = ",".join(dict.fromkeys(need["on_demand"] + need["spot"]))
        return [hints.command(ctx, "list_instances", "--filter", need["type"], region=where),
                hints.command(ctx, "ami", "--framework", "pytorch", region=(need["on_demand"] or need["spot"])[0])]
    best, open_in = gap(need)
    if not best:
        waiting = ",".join(open_in)
        return [hints.command(ctx, "quota_status", region=waiting)] if waiting else []
    q = best["on_demand"]
    value = (q["used"] or 0) + need["vcpus"]
    return [hints.command(ctx, "quota_request", "--code", q["code"], "--value", value, region=best["region"])]


def _next_model(ctx, need: dict) -> list[str]:
    """For an accelerator model: where the first option (fewest instances) that fits anywhere fits, the commands to
    look closer; where none fits on demand, the quota request that adds the fewest vCPUs (need.cheapest_gap), else
    the open requests to follow."""
    from _awswiz.compute.need import gap
    from _awswiz.shell.hints import command

    out = []
    if o := next((o for o in need["options"] if o["on_demand"] or o["spot"]), None):
        where = ",".join(dict.fromkeys(o["on_demand"] + o["spot"]))
        out += [command(ctx, "list_instances", "--filter", o["type"], region=where),
                command(ctx, "ami", "--framework", "pytorch", region=(o["on_demand"] or o["spot"])[0])]
    if any(o["on_demand"] for o in need["options"]):
        return out
    if g := need["cheapest_gap"]:
        return out + [command(ctx, "quota_request", "--code", g["code"], "--value", str(g["value"]),
                              region=g["region"])]
    waiting = ",".join(dict.fromkeys(r for o in need["options"] for r in gap(o)[1]))
    return out + ([command(ctx, "quota_status", region=waiting)] if waiting else [])


def render(console, data) -> None:
    from _awswiz.shell.output import table

    cells: dict[tuple, dict] = {}
    for r in data["quotas"]:
        cells.setdefault((r["region"], r["family"]), {})[r["market"]] = r
    body, hidden = [], 0

    def value(r: dict):
        asked = ", ".join(f"{p['desired']} {p['status'].lower()}" for p in r.get("pending") or [])
        return f"{r.get('value')} (asked {asked})" if asked else r.get("value")

    for (region, family), m in cells.items():
        od, sp = m.get("on-demand") or {}, m.get("spot") or {}
        if not any((od.get("value"), od.get("used"), od.get("pending"), sp.get("value"), sp.get("used"),
                    sp.get("pending"))):
            hidden += 1
            continue
        body.append([region, family, value(od) if od else "-", od.get("used"), od.get("headroom"),
                     value(sp) if sp else "-", sp.get("used"), sp.get("headroom")])
    cap = f"{hidden} region/family rows at 0 vCPUs hidden" if hidden else None
    console.print(table("EC2 vCPU quotas (applied, else AWS default); used = running + unused reservations "
                        "(on-demand), running + open requests (spot)",
                        ["Region", "Family", "On-demand", "Used", "Free", "Spot", "Used", "Free"], body, cap))
    need = data.get("need")
    for one in (need or {}).get("options") or ([need] if need else []):
        rows = [[r["region"], r["azs"], *[("yes" if r[k]["fits"] else f"no ({r[k]['headroom']} free)")
                                          if r[k] else "-" for k in ("on_demand", "spot")]]
                for r in one["regions"]]
        console.print(table(f"{one['count']} x {one['type']} ({one['vcpus']} vCPUs, family {one['family']})",
                            ["Region", "AZs", "On-demand fits", "Spot fits"], rows,
                            f"not offered in: {', '.join(one['not_offered'])}" if one["not_offered"] else None))
    if need and need.get("cheapest_gap"):
        g = need["cheapest_gap"]
        console.print(f"fits nowhere on demand: the smallest quota increase is {g['add']} vCPUs of {g['code']} in "
                      f"{g['region']} ({g['count']} x {g['type']})")


@cli.command(app, "quota_check", accounts="each")
def main(
    ctx: cli.Ctx,
    family: Annotated[str | None, typer.Option(
        "--family", help="Only these families, comma-separated: standard, g, p, p5, inf, trn, dl, f, x, "
                         "high-memory, hpc (letters such as vt, m, c map to their group; p and p5 show the P "
                         "on-demand quota and both P spot quotas).")] = None,
    need: Annotated[str | None, typer.Option(
        "--need", metavar="TYPE[:COUNT]|MODEL[:COUNT]", help="Where do COUNT instances of TYPE fit now (offered, "
        "and headroom >= their vCPUs), on-demand and spot apart; or COUNT accelerators of a MODEL (H100:8, "
        "A10G:4, Trainium2:16): the types and counts that give them, each checked so.")] = None,
) -> Result:
    """EC2 vCPU quotas by family and market in every enabled region (default --region all), usage as AWS counts
    it (running instances, unused Capacity Reservations, open spot requests), headroom, open increase requests."""
    from _awswiz.compute import need as needs
    from _awswiz.compute.quota_codes import FAMILY_ALIASES, GROUPS, MARKETS, quota_for_type

    aliases = cli.parse_list(family.lower() if family else None, list(GROUPS) + sorted(
        set(FAMILY_ALIASES) - set(GROUPS)), "--family")
    groups = sorted({g for a in aliases for g in FAMILY_ALIASES[a]})
    want = needs.parse(need, ctx) if need else None
    regions, skipped = ctx.regions()

    from _awswiz.aws.fanout import FanOut
    from _awswiz.compute import quotas
    from _awswiz.inventory import instance_types
    from _awswiz.shell.errors import BadInput

    opts: list[dict] = []
    if want and want[2]:
        spec = instance_types.lookup(ctx.aws, want[0])
        if not spec:
            raise BadInput(f"--need: unknown instance type {want[0]!r}",
                           "find its name (by a part of it or the accelerator model): "
                           + hints.command(ctx, "list_instances", "--filter", "H100"))
        opts = [{"type": want[0], "count": want[1], "spec": spec}]
    elif want:  # an accelerator model: every type's spec (cached a week), the types carrying it
        opts = needs.options(instance_types.all_specs(ctx.aws.client("ec2")), want[0], want[1], ctx)
    types = [o["type"] for o in opts]
    if opts and groups:  # the quotas the needed types count against are always shown
        groups = sorted(set(groups) | {q.group for t in types for m in MARKETS if (q := quota_for_type(t, m))})
    with ctx.progress("checking quotas", 0) as bar:
        fan = FanOut(ctx.aws.workers, bar)
        fan.submit("account", ctx.aws.account_id, ctx.aws.home_region, "sts:GetCallerIdentity")
        for r in regions:
            sq, ec2 = ctx.aws.client("service-quotas", r), ctx.aws.client("ec2", r)
            fan.submit(("applied", r), lambda sq=sq: quotas.applied_values(sq), r, "ListServiceQuotas")
            fan.submit(("defaults", r), lambda sq=sq: quotas.default_values(sq), r, "ListAWSDefaultServiceQuotas")
            fan.submit(("usage", r), lambda ec2=ec2: quotas.usage(ec2, quotas.listing(ec2, at_once=True)), r,
                       "DescribeInstances, DescribeCapacityReservations, DescribeSpotInstanceRequests")
            fan.submit(("pending", r), lambda sq=sq, r=r: quotas.pending_by_code(sq, r), r,
                       "ListRequestedServiceQuotaChangeHistory")
            if types:
                fan.submit(("offered", r), lambda ec2=ec2: instance_types.offerings(ec2, types), r,
                           "DescribeInstanceTypeOfferings")
        results, errors = fan.wait()
    rows = []
    for r in regions:
        if ("applied", r) in results:
            rows += quotas.rows(r, results[("applied", r)], results.get(("defaults", r)), results.get(("usage", r)),
                                groups, results.get(("pending", r)))
    blocks = [{"region": r, **b} for r in regions for b in (results.get(("usage", r)) or {}).get("capacity_blocks", [])]
    data = {"regions": regions, "skipped_regions": skipped, "quotas": rows}
    if blocks:
        data["capacity_blocks"] = blocks
    answers = [answer_need(o["type"], o["count"], o["spec"], rows, {
        r: results[("offered", r)].get(o["type"], []) for r in regions if ("offered", r) in results}) for o in opts]
    if want and want[2]:
        data["need"] = answers[0]
        nxt = _next(data["need"], ctx)
    elif want:
        for a, o in zip(answers, opts, strict=True):
            a["per_instance"], a["gpus"] = o["per_instance"], o["gpus"]
        data["need"] = {"model": opts[0]["spec"]["gpu"]["model"], "count": want[1], "options": answers,
                        "cheapest_gap": None if any(a["on_demand"] for a in answers) else needs.cheapest_gap(answers)}
        nxt = _next_model(ctx, data["need"])
    else:
        nxt = []
    return Result(data=data, errors=errors, next=nxt, render=render, records=("quotas",))


if __name__ == "__main__":
    cli.main(app, "quota_check")
