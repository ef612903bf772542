#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Find instance types by a part of their name or GPU model (g5, p5, H100, L4): specs, GPUs, where they are
offered, the latest spot price per region and the on-demand price; sorted by price per GPU-hour."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def _cheapest(regions: dict, key: str) -> dict | None:
    best = min(((v[key], r) for r, v in regions.items() if v.get(key) is not None), default=None)
    return {"price": best[0], "region": best[1]} if best else None


def assemble(spec: dict, offered: dict[str, list], spot: dict[str, dict], od: dict | None) -> dict:
    """One type's entry: its spec, and per offered region the AZ count, latest spot and on-demand price."""
    from _awswiz.inventory.instance_types import gpu_count

    regions = {}
    for region, azs in sorted(offered.items()):
        s = spot.get(region) or {}
        regions[region] = {"azs": len(azs), "spot": s.get("price"), "spot_az": s.get("az"),
                           "on_demand": (od or {}).get("prices", {}).get(region)}
    entry = {**spec, "regions": regions, "on_demand_min": _cheapest(regions, "on_demand"),
             "spot_min": _cheapest(regions, "spot"), "price_date": (od or {}).get("date")}
    gpus = gpu_count(spec)
    entry["per_gpu_hour"] = round(entry["on_demand_min"]["price"] / gpus, 4) \
        if gpus and entry["on_demand_min"] else None
    entry["spot_per_gpu_hour"] = round(entry["spot_min"]["price"] / gpus, 4) if gpus and entry["spot_min"] else None
    return entry


def sort_key(e: dict):
    """GPU types first, cheapest GPU-hour first; then the rest by on-demand price; unpriced last."""
    big = float("inf")
    if e["gpu"]:
        return (0, e["per_gpu_hour"] if e["per_gpu_hour"] is not None else big, e["type"])
    return (1, e["on_demand_min"]["price"] if e["on_demand_min"] else big, e["type"])


def _money(v) -> str | None:
    return f"{v:.4f}" if v is not None else None


# (column, importance): at 80 columns the type, its GPUs and its prices stay; the rest goes first
COLUMNS = [("Type", 100), ("vCPU", 70), ("Mem GiB", 65), ("GPU", 80), ("GPUs", 75), ("GPU GiB", 50), ("Network", 20),
           ("Offered (AZs)", 30), ("On-demand $/h", 85), ("Spot $/h", 60), ("$/GPU-h", 90)]


def render(console, data) -> None:
    from _awswiz.shell.fit import Col
    from _awswiz.shell.output import table

    rows = []
    for e in data["types"]:
        g = e["gpu"] or {}
        where = sorted(e["regions"].items(), key=lambda kv: -kv[1]["azs"])
        regions = " ".join(f"{r}({v['azs']})" for r, v in where[:3]) + (f" +{len(where) - 3}" if len(where) > 3 else "")
        od, sp = e["on_demand_min"], e["spot_min"]
        rows.append([e["type"], e["vcpus"], e["memory_gib"], g.get("model"), g.get("count"), g.get("memory_gib"),
                     e["network"], regions or "not offered",
                     f"{_money(od['price'])} {od['region']}" if od else None,
                     f"{_money(sp['price'])} {sp['region']}" if sp else None, _money(e["per_gpu_hour"])])
    console.print(table(f"Instance types matching {data['filter'] or 'any'}"
                        + (" (accelerated only)" if data["gpu_only"] else ""),
                        [Col(n, rank) for n, rank in COLUMNS], rows,
                        f"on-demand prices from the Pricing API, cached in .state/cache "
                        f"({data['pricing']['cached']} cached, {data['pricing']['fetched']} fetched)"))


@cli.command(app, "list_instances")
def main(
    ctx: cli.Ctx,
    filter_: Annotated[str | None, typer.Option(
        "--filter", metavar="STRING", help="Part of the type name or GPU model, comma-separated for several "
                                           "(g5, p4d, H100, L4).")] = None,
    gpu: Annotated[bool, typer.Option("--gpu", help="Accelerated types only (GPU, Trainium, Inferentia).")] = False,
) -> Result:
    """Instance types by name or GPU model with specs, offerings and prices (default --region all)."""
    from _awswiz.shell.errors import BadInput

    needles = [s.strip() for s in (filter_ or "").split(",") if s.strip()]
    if not needles and not gpu:
        raise BadInput("give --filter STRING (part of a type name or GPU model, e.g. g5, p5, H100, L4) or --gpu",
                       "e.g. " + hints.command(ctx, "list_instances", "--filter", "H100",
                                               region=ctx.region_spec or "all"))
    regions, skipped = ctx.regions()

    from _awswiz.aws.fanout import FanOut
    from _awswiz.compute import pricing
    from _awswiz.inventory import instance_types
    from _awswiz.shell import cache

    specs = instance_types.all_specs(ctx.aws.client("ec2"))
    found = [s for s in specs.values() if (not needles or instance_types.matches(s, needles))
             and (not gpu or s["gpu"])]
    names = sorted(s["type"] for s in found)
    prices = pricing.load_cache()
    cached = {t: prices[t] for t in names if cache.fresh(prices.get(t))}
    with ctx.progress("looking up types", 0) as bar:
        fan = FanOut(ctx.aws.workers, bar)
        fan.submit("account", ctx.aws.account_id, ctx.aws.home_region, "sts:GetCallerIdentity")
        if names:
            for r in regions:
                ec2 = ctx.aws.client("ec2", r)
                fan.submit(("offered", r), lambda ec2=ec2: instance_types.offerings(ec2, names), r,
                           "DescribeInstanceTypeOfferings")
                fan.submit(("spot", r), lambda ec2=ec2: pricing.latest_spot(ec2, names), r,
                           "DescribeSpotPriceHistory")
            price_api = ctx.aws.client("pricing", pricing.PRICING_REGION)
            for t in names:
                if t not in cached:
                    fan.submit(("price", t), lambda t=t: pricing.record(prices, t, pricing.fetch_on_demand(
                        price_api, t)), pricing.PRICING_REGION, f"Pricing GetProducts {t}")
        results, errors = fan.wait()
    fetched = [t for t in names if ("price", t) in results]
    if fetched:
        pricing.save_cache({t: prices[t] for t in fetched})
    out = []
    for s in found:
        t = s["type"]
        offered = {r: results[("offered", r)][t] for r in regions if t in results.get(("offered", r), {})}
        spot = {r: results[("spot", r)][t] for r in regions if t in results.get(("spot", r), {})}
        out.append(assemble(s, offered, spot, cached.get(t) or results.get(("price", t))))
    out.sort(key=sort_key)
    data = {"filter": filter_, "gpu_only": gpu, "regions": regions, "skipped_regions": skipped, "types": out,
            "pricing": {"cached": len(cached), "fetched": len(fetched)}}
    nxt = []
    if out and out[0]["gpu"]:
        from _awswiz.shell.hints import command

        need, types = need_of(out, needles)
        nxt.append(command(ctx, "quota_check", "--need", need, "--family", _family(types),
                           region=ctx.region_spec or "all"))
    return Result(data=data, errors=errors, next=nxt, render=render)


def need_of(out: list[dict], needles: list[str]) -> tuple[str, list[str]]:
    """quota_check's --need for what was asked, and the types it counts: a type named exactly is that type;
    otherwise the first listed type's accelerator model with as many as its biggest listed box carries
    (--filter H100 -> H100:8: the 8-GPU p5.48xlarge and 8 x p5.4xlarge), not the cheapest 1-GPU type."""
    from _awswiz.inventory.instance_types import gpu_count

    first = out[0]
    if first["type"].lower() in {n.lower() for n in needles}:
        return first["type"], [first["type"]]
    model = first["gpu"]["model"]
    same = [e for e in out if (e["gpu"] or {}).get("model") == model]
    return f"{model}:{max(gpu_count(e) for e in same) or 1}", [e["type"] for e in same]


def _family(types: list[str]) -> str:
    from _awswiz.compute.quota_codes import group_of

    return ",".join(dict.fromkeys(group_of(t) or "standard" for t in types))


if __name__ == "__main__":
    cli.main(app, "list_instances")
