"""waste.py's core: what is billed and does nothing, in every region at once, with its monthly cost and the
command that removes it.

1. One inventory over the resource table (snapshot.collect: every region x type on one pool, sharded as scan
   is), plus the account's own AMIs.
2. At once on a second pool: per region, the CloudWatch questions (waste_metrics: one ListMetrics for GPU series
   where GPUs run, then GetMetricData in batches of 500), the spot requests of running GPU spot instances, and
   the on-demand/spot prices of the running GPU types (burn.instance_prices: Pricing API, cached with its date).
3. The rules: what is left behind (money/leftovers.py, the rule set scan's findings use too) and the rules below
   that need CloudWatch evidence or the account's AMIs; each item priced as costs --now prices the same resource
   (burn.charges through list_prices.py, and the instance price), and totals per region, per kind and overall.
"""

from __future__ import annotations

import datetime as _dt
import re
from concurrent.futures import ThreadPoolExecutor

from _awswiz.compute import list_prices as lp
from _awswiz.inventory.table import BY_TYPE, costed
from _awswiz.money import leftovers
from _awswiz.money import waste_metrics as wm
from _awswiz.money.burn import charges, eip_addresses, instance_hour
from _awswiz.shell.hints import command

# vpc:vpc: the VPCs' own tags, for the protection a VPC passes on to what is in it (no item of its own)
TYPES = ("ec2:instance", "ec2:volume", "ec2:elastic-ip", "vpc:nat-gateway", "elb:load-balancer", "vpc:vpc")
AMI_ID = re.compile(r"\bami-[0-9a-f]+\b")
KINDS = {
    "idle-gpu": "running GPU instance idle for --idle-hours (CloudWatch CPU, or GPU where the agent publishes it)",
    **leftovers.KINDS,
    "orphaned-snapshot": "snapshot whose volume and AMI are both gone",
    "idle-nat-gateway": "NAT gateway that moved no bytes in --idle-hours",
    "idle-load-balancer": "application/network load balancer with no traffic in --idle-hours",
    "old-ami": "own AMI older than --ami-days (its snapshots are billed)",
}
NOT_INCLUDED = ("data transfer, NAT data processed, load balancer capacity units, IOPS/throughput above a volume's "
                "baseline")


def _age_days(when) -> float | None:
    if not when:
        return None
    if isinstance(when, str):
        when = _dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    return (_dt.datetime.now(_dt.UTC) - when).total_seconds() / 86400


class Finder:
    def __init__(self, ctx, records: list[dict], bad_regions: set[str], idle_hours: int, ami_days: int):
        self.ctx, self.hours, self.ami_days = ctx, idle_hours, ami_days
        self.bad_regions = bad_regions  # a region whose listing failed: no orphan is judged there
        self.by_type: dict[str, list[dict]] = {}
        for r in records:
            self.by_type.setdefault(r["type"], []).append(r)
        self.volumes = {r["id"]: r for r in self.of("ec2:volume")}
        self.vpcs = {r["id"]: r.get("tags") or {} for r in self.of("vpc:vpc")}
        self.items: list[dict] = []

    def of(self, rtype: str) -> list[dict]:
        return self.by_type.get(rtype, [])

    def remove(self, rtype: str, rec: dict) -> str:
        return command(self.ctx, "terminate", "--type", rtype, "--id", rec["id"], region=rec["region"])

    def touches(self, rec: dict, removal: bool) -> dict[str, dict]:
        """What the change `next` names reaches, each with its own tags (as the removers fill Action.touches):
        the VPC the resource sits in; the volumes of an instance that is to be terminated (those deleted with it
        are not told apart here: any protected one withholds the command)."""
        out = {f"VPC {v}": self.vpcs.get(v, {}) for v in [rec.get("vpc")] if v}
        if removal and rec["type"] == "ec2:instance":
            out |= {f"volume {v}": self.volumes[v].get("tags") or {} for v in rec.get("volumes") or []
                    if v in self.volumes}
        return out

    def add(self, kind: str, rec: dict, why: str, next_cmd: str | None, charges: list[tuple[str, float]] = (),
            usd: float | None = None, basis: str = "", date: str | None = None) -> None:
        """charges: [(list_prices key, GiB or count)], priced later (price()); or usd, basis and date (instances).
        A `next` never points at something protected, nor at what a protected resource contains (the guard
        would refuse it): the item stays, without a command."""
        from _awswiz.guard import inherited_protection

        removal = bool(next_cmd) and next_cmd.startswith("uv run tools/terminate.py")
        if reason := inherited_protection(rec.get("tags"), self.touches(rec, removal)):
            why, next_cmd = f"{why}; not removed by AwsWiz: {reason}", None
        self.items.append({"kind": kind, "type": rec["type"], "id": rec["id"], "region": rec["region"],
                           "name": rec.get("name"), "why": why, "monthly_usd": usd, "price_basis": basis,
                           "price_date": date, "next": next_cmd, "charges": list(charges)})

    def kinds(self) -> set[str]:
        """The Pricing API queries the items need."""
        return {lp.kind_of(c[0]) for i in self.items for c in i["charges"]}

    def price(self, doc: dict) -> None:
        """Monthly USD of every item with charges, from the Pricing API's answers (doc) or the table; an item
        priced already (an instance's hour) gets its charges (its public IPv4 address) on top, rounded once, as
        costs --now rounds its line (list_prices.per_month)."""
        for i in self.items:
            charges = i.pop("charges")
            if i["price_basis"] and i["monthly_usd"] is None:  # unpriced
                continue
            if charges:
                usd, basis, date = lp.exact(doc, charges, i["region"])
                if i["monthly_usd"] is not None and usd is not None:
                    usd, basis = i["monthly_usd"] + usd, f"{i['price_basis']}; {basis}"
                    date = min(filter(None, (i["price_date"], date)), default=None)
                i["monthly_usd"], i["price_basis"], i["price_date"] = usd, basis, date
            if i["monthly_usd"] is not None:
                i["monthly_usd"] = round(i["monthly_usd"], 2)

    # --- rules that need no metrics -------------------------------------------------------------------

    def left_behind(self) -> None:
        """The leftovers (money/leftovers.py: the rules scan's findings use too)."""
        records = [r for t in TYPES for r in self.of(t)]
        for item in leftovers.find(records):
            unpriced = {} if item.complete else {"basis": leftovers.price({}, item)[1]}
            self.add(item.kind, item.rec, item.why, self.remove(item.rec["type"], item.rec), item.charges,
                     **unpriced)

    def old_amis(self) -> None:
        images = self.of("ec2:image")
        for i in images:
            age = _age_days(i.get("created"))
            if i.get("state") == "available" and age is not None and age >= self.ami_days:
                gib = sum(x or 0 for x in i.get("sizes") or [])
                self.add("old-ami", i, f"AMI created {age:.0f} d ago; its {len(i.get('snapshots') or [])} "
                         f"snapshot(s), {gib} GiB, are billed while it stays", self.remove("ec2:image", i),
                         [("snapshot", gib)])

    def snapshot_candidates(self) -> list[dict]:
        """Snapshots whose volume is gone and that no AMI of the account holds."""
        in_images = {s for i in self.of("ec2:image") for s in i.get("snapshots") or []}
        return [s for s in self.of("ec2:snapshot") if s["region"] not in self.bad_regions
                and s.get("state") in ("completed", None) and s["id"] not in in_images
                and s.get("volume") not in self.volumes]

    def orphaned(self, live_amis: set[str]) -> None:
        """live_amis: the AMIs named in candidates' descriptions that still exist (AWS names the AMI a snapshot
        was made for: "Created by CreateImage(i-...) for ami-..."); a snapshot of a live AMI is not orphaned."""
        for s in self.snapshot_candidates():
            if set(AMI_ID.findall(s.get("description") or "")) & live_amis:
                continue
            self.add("orphaned-snapshot", s, f"{s.get('size_gib')} GiB snapshot of volume {s.get('volume') or '?'}, "
                     "which is gone, used by no AMI (billed for the blocks it holds: at most this)",
                     self.remove("ec2:snapshot", s), [("snapshot", s.get("size_gib") or 0)])

    # --- rules on CloudWatch evidence --------------------------------------------------------------------

    def gpus_running(self) -> list[dict]:
        return [i for i in self.of("ec2:instance") if i.get("state") == "running" and i.get("gpus")]

    def idle_gpus(self, metrics: dict, start, prices: tuple, spot_reqs: dict) -> None:
        from _awswiz.compute.instance_rules import spot_stop_refusal

        on_demand, spot, _ = prices
        for inst in self.gpus_running():
            iid = inst["id"]
            gpus = [v for k, v in metrics.items() if k[0] == "gpu" and k[1] == iid]
            why = wm.idle(metrics.get(("cpu", iid), []), gpus, start, self.hours)
            if why is None:
                continue
            t, region = inst["instance_type"], inst["region"]
            usd, basis, date = None, f"unpriced: no price found for {t} in {region}", None
            if found := instance_hour(inst, on_demand, spot):  # as costs --now prices it
                usd, basis = found[0] * lp.HOURS_PER_MONTH, found[1]
                date = spot[(region, t)]["at"][:10] if basis.startswith("spot") else _price_date(t)
            nxt = command(self.ctx, "stop", "--id", iid, region=region)
            if inst.get("market") == "spot":
                refusal = spot_stop_refusal({"InstanceId": iid, "Tags": inst.get("tags")}, spot_reqs.get(iid))
                if refusal:  # AWS cannot stop it ("Stop a Spot Instance", EC2 User Guide): terminate is the fix
                    why += f"; AWS cannot stop this spot instance ({refusal})"
                    nxt = self.remove("ec2:instance", inst)
            self.add("idle-gpu", inst, f"{inst['gpus']}x {inst.get('gpu_model') or 'GPU'} ({t}, "
                     f"{inst.get('market')}): {why}", nxt, charges(inst, self.eips()),  # its own address, billed too
                     usd=usd, basis=basis, date=date)

    def eips(self) -> set[str]:
        return eip_addresses(self.of("ec2:elastic-ip"))

    def idle_network(self, metrics: dict, doc: dict) -> None:
        """doc: list_prices' answers, for the price of the Elastic IP a NAT gateway holds (leftovers.held)."""
        for n in self.of("vpc:nat-gateway"):
            if n.get("state") == "available" and not sum(wm.traffic(metrics.get(("nat", n["id"], m)))
                                                         for m in wm.NAT_METRICS):
                # its own hours only: the Elastic IP it holds is priced as itself (money/leftovers.py)
                self.add("idle-nat-gateway", n, f"NAT gateway moved no bytes in the last {self.hours} h "
                         f"({', '.join(wm.NAT_METRICS)})" + leftovers.held(n, self.of("ec2:elastic-ip"), doc),
                         self.remove("vpc:nat-gateway", n), charges(n, self.eips()))
        for lb in self.of("elb:load-balancer"):
            kind = lb.get("lb_type") or "application"
            if lb.get("state") == "active" and kind in wm.LB_METRICS and not wm.traffic(metrics.get(("lb", lb["id"]))):
                ns, metric = wm.LB_METRICS[kind]
                lb_charges = charges(lb, self.eips())  # internet-facing: a public IPv4 address per AZ
                ips = sum(q for k, q, _ in lb_charges if k.startswith("ipv4"))
                held = f" and holds {ips} public IPv4 address(es)" if ips else ""
                self.add("idle-load-balancer", lb, f"{kind} load balancer with no traffic in the last {self.hours} h "
                         f"({ns} {metric}: no data points){held}", self.remove("elb:load-balancer", lb), lb_charges)


def _price_date(itype: str) -> str | None:
    from _awswiz.compute.pricing import load_cache

    return (load_cache().get(itype) or {}).get("date")


def _region_metrics(ctx, region: str, gpus: list[dict], nats: list[dict], lbs: list[dict], hours: int,
                    start, end) -> dict:
    """One region's CloudWatch answers: a ListMetrics for GPU series (if GPUs run), then GetMetricData."""
    cw = ctx.aws.client("cloudwatch", region)
    queries = [wm.cpu_query(i["id"]) for i in gpus]
    if gpus:
        queries += wm.gpu_queries(wm.gpu_series(cw, {i["id"] for i in gpus}))
    queries += [q for n in nats for q in wm.nat_queries(n["id"], hours)]
    queries += [q for lb in lbs if (q := wm.lb_query(lb["id"], lb.get("lb_type") or "application", hours))]
    return wm.fetch(cw, queries, start, end) if queries else {}


def list_price_queries(ctx, finder: Finder, fan) -> tuple[dict, list[str]]:
    """(the cached Pricing API answers, the queries submitted to fan): those the items (and the candidates
    judged on metrics) need and the cache does not hold fresh."""
    kinds = finder.kinds() | ({"snapshot"} if finder.snapshot_candidates() else set())
    if finder.of("vpc:nat-gateway"):
        kinds |= {"nat", "ipv4"}
    if finder.of("elb:load-balancer") or finder.gpus_running():  # their public IPv4 addresses
        kinds.add("ipv4")
    kinds |= {f"lb:{lb.get('lb_type')}" for lb in finder.of("elb:load-balancer")} & set(lp.QUERIES)
    return lp.submit(ctx, kinds, fan)


def evidence(ctx, finder: Finder, regions: list[str], start, end) -> tuple:
    """(metrics, instance prices, spot requests, live AMIs, regions whose CloudWatch failed, list prices,
    errors): every region's CloudWatch questions, spot requests, AMIs named by snapshot candidates, the list
    prices and the GPU instance prices, all at once."""
    from _awswiz.aws.client import paginate
    from _awswiz.aws.fanout import FanOut
    from _awswiz.compute.instance_rules import spot_requests
    from _awswiz.money.burn import instance_prices

    gpus = finder.gpus_running()
    fan = FanOut(ctx.aws.workers)
    asked = set()
    for region in regions:
        g = [i for i in gpus if i["region"] == region]
        n = [x for x in finder.of("vpc:nat-gateway") if x["region"] == region and x.get("state") == "available"]
        lbs = [x for x in finder.of("elb:load-balancer") if x["region"] == region and x.get("state") == "active"]
        if g or n or lbs:
            asked.add(("metrics", region))
            fan.submit(("metrics", region), lambda r=region, g=g, n=n, lbs=lbs: _region_metrics(
                ctx, r, g, n, lbs, finder.hours, start, end), region, "CloudWatch GetMetricData")
        named = sorted({a for s in finder.snapshot_candidates() if s["region"] == region
                        for a in AMI_ID.findall(s.get("description") or "")})
        if named:
            fan.submit(("amis", region), lambda r=region, a=named: {i["ImageId"] for i in paginate(
                ctx.aws.client("ec2", r), "describe_images", "Images", Filters=[{"Name": "image-id", "Values": a}])},
                region, "ec2:DescribeImages")
        if spots := [{"InstanceId": i["id"], "InstanceLifecycle": "spot"} for i in g if i.get("market") == "spot"]:
            asked.add(("spot", region))
            fan.submit(("spot", region), lambda r=region, s=spots: spot_requests(ctx.aws.client("ec2", r), s),
                       region, "ec2:DescribeSpotInstanceRequests")
    doc, kinds = list_price_queries(ctx, finder, fan)
    with ThreadPoolExecutor(1) as pool:
        prices = pool.submit(instance_prices, ctx, regions, gpus)
        results, errors = fan.wait()
        on_demand, spot, price_errors = prices.result()
    lp.finish(doc, kinds, results)
    metrics = {k: v for key, found in results.items() if key[0] == "metrics" for k, v in found.items()}
    reqs = {k: v for key, found in results.items() if key[0] == "spot" for k, v in found.items()}
    live_amis = {a for key, found in results.items() if key[0] == "amis" for a in found}
    # evidence that did not come back: no idle item is judged in that region (no data would look like no traffic)
    failed = {k[1] for k in asked if k not in results}
    finder.bad_regions |= {e["region"] for e in errors if e.get("region")}  # no orphan judged where a call failed
    return metrics, (on_demand, spot, price_errors), reqs, live_amis, failed, doc, errors + price_errors


def _oldest(items: list[dict]) -> str | None:
    dates = [i["price_date"] for i in items if i.get("price_date")]
    return min(dates) if dates else None


def totals(items: list[dict]) -> dict:
    by_region: dict[str, float] = {}
    by_kind: dict[str, dict] = {}
    for i in items:
        usd = i["monthly_usd"] or 0
        by_region[i["region"]] = round(by_region.get(i["region"], 0) + usd, 2)
        k = by_kind.setdefault(i["kind"], {"count": 0, "monthly_usd": 0.0})
        k["count"] += 1
        k["monthly_usd"] = round(k["monthly_usd"] + usd, 2)
    return {"count": len(items), "monthly_usd": round(sum(i["monthly_usd"] or 0 for i in items), 2),
            "by_region": dict(sorted(by_region.items(), key=lambda kv: -kv[1])),
            "by_kind": dict(sorted(by_kind.items(), key=lambda kv: -kv[1]["monthly_usd"]))}


def find(ctx, idle_hours: int, ami_days: int, min_usd: float) -> tuple[dict, list[dict]]:
    """(data, errors) for waste.py."""
    from _awswiz.inventory.collect import collect

    regions, skipped = ctx.regions()
    # with the load balancers' AZs, the snapshots' descriptions, the AMIs' snapshot sizes (their types' cost_fields)
    rows = [costed(BY_TYPE[t]) for t in (*TYPES, "ec2:snapshot", "ec2:image")]
    with ctx.progress("looking for waste", 0) as bar:
        records, errors, _ = collect(ctx.aws, regions, rows, bar, tags=True)
    finder = Finder(ctx, records, {e.get("region") for e in errors}, idle_hours, ami_days)
    finder.left_behind()
    finder.old_amis()
    start, end = wm.window(idle_hours)
    metrics, prices, reqs, live_amis, unknown, doc, more = evidence(ctx, finder, regions, start, end)
    finder.orphaned(live_amis)
    finder.idle_gpus(metrics, start, prices, reqs)
    finder.idle_network(metrics, doc)
    finder.price(doc)
    # no data means no traffic only where CloudWatch answered: a region whose metrics failed has no idle items
    items = [i for i in finder.items if not (i["kind"].startswith("idle-") and i["region"] in unknown)]
    items = [i for i in items if (i["monthly_usd"] or 0) >= min_usd]
    items.sort(key=lambda i: (-(i["monthly_usd"] or 0), i["kind"], i["region"], i["id"]))
    data = {"regions": regions, "skipped_regions": skipped, "idle_hours": idle_hours, "ami_days": ami_days,
            "min_usd": min_usd, "items": items, "totals": totals(items),
            "price_basis": "Pricing API (GetProducts, cached with its date) for each region; where it has no "
                           f"answer, the {lp.basis('ebs').split(' (')[0]} table (list_prices.py); spot "
                           "instances: the region's current spot price", "price_date": _oldest(items),
            "not_included": NOT_INCLUDED}
    return data, errors + more
