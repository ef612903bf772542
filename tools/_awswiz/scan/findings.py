"""What an agent should notice in a snapshot: money burning, things left behind, doors left open.

What is left behind is money/leftovers.py's rule set, the one waste.py uses: the same kinds, the same words, and
each priced as waste.py and costs --now price the same resource (list_prices on the Pricing API's answers, cached,
else the dated table: `prices`, which scan.py asks for while it collects).

The doors left open are security checks of the one check table (security/table.py): the security-group checks and
ec2-public-open-sg run here on the snapshot's records with the same tests security.py uses
(security/network.py), and their findings carry the check id as `kind`, its severity and Prowler id,
and the security.py --fix command."""

from __future__ import annotations

import datetime as dt

from _awswiz.compute import list_prices as lp
from _awswiz.money import leftovers
from _awswiz.money.burn import charges
from _awswiz.security.network import exposed, prowler_id, sg_open
from _awswiz.security.table import BY_ID, SEVERITIES, fix_command
from _awswiz.shell import hints

RUNNING = ("running", "pending")


def _age(launched) -> str:
    if not launched:
        return ""
    if isinstance(launched, str):
        launched = dt.datetime.fromisoformat(launched.replace("Z", "+00:00"))
    secs = (dt.datetime.now(dt.UTC) - launched).total_seconds()
    if secs < 3600:
        return f" for {int(secs // 60)} min"
    if secs < 86400:
        return f" for {secs / 3600:.0f} h"
    return f" for {secs / 86400:.0f} d"


def _finding(kind: str, rec: dict, message: str, next_cmd: str | None = None, why_no_next: str | None = None,
             per_month: float | None = None) -> dict:
    """Every finding names the command that fixes it (`next`), or says why there is none (`why_no_next`)."""
    f = {"kind": kind, "type": rec["type"], "id": rec["id"], "region": rec["region"], "message": message}
    if next_cmd:
        f["next"] = next_cmd
    else:
        f["why_no_next"] = why_no_next or "no AwsWiz tool changes this"
    if per_month is not None:
        f["per_month"] = round(per_month, 2)
    return f


def _check(check_id: str, rec: dict, detail: str, scope: hints.Scope, ports: list[str] | None = None) -> dict:
    c = BY_ID[check_id]
    f = _finding(check_id, rec, f"{c.title}: {rec.get('name') or rec['id']} ({detail})",
                 fix_command(check_id, rec["id"], rec["region"], scope),
                 f"security.py cannot fix {check_id}: {c.remedy or c.title}")
    f.update(check=c.id, severity=c.severity, prowler=prowler_id(check_id, ports) if ports else c.prowler)
    return f


def security(records: list[dict], scope: hints.Scope = hints.Scope()) -> list[dict]:
    """The findings of the security checks a snapshot holds the evidence for."""
    out = []
    open_by_group = {r["id"]: r.get("open_to_world", []) for r in records if r["type"] == "vpc:security-group"}
    for r in records:
        if r["type"] == "vpc:security-group":
            for check, ports in sg_open(r.get("open_to_world", [])).items():
                out.append(_check(check, r, f"{', '.join(ports)} open to the internet", scope, ports))
        elif r["type"] == "ec2:instance":
            ev = exposed(r.get("public_ip"), r.get("state"), r.get("security_groups") or [], open_by_group)
            if ev:
                out.append(_check("ec2-public-open-sg", r, f"public IP {ev['public_ip']} behind "
                                  f"{', '.join(ev['open_groups'])}", scope,
                                  [p for ps in ev["open_groups"].values() for p in ps]))
    return out


def stop_refusals(aws, records: list[dict]) -> dict[str, str]:
    """{instance id: why AWS would refuse to stop it} for the running spot GPU instances (one
    DescribeSpotInstanceRequests per region that has any). AWS stops a spot instance only if its request is
    persistent and in no fleet, launch group or AZ group (EC2 User Guide, "Stop a Spot Instance"): a one-time
    spot instance can only be terminated. A region whose requests cannot be read is left out (stop.py itself
    checks again and refuses)."""
    from _awswiz.compute.instance_rules import spot_requests, spot_stop_refusal

    spots = [r for r in records if r["type"] == "ec2:instance" and r.get("market") == "spot"
             and r.get("state") in RUNNING and r.get("gpus")]
    out: dict[str, str] = {}
    for region in sorted({r["region"] for r in spots}):
        insts = [{"InstanceId": r["id"], "InstanceLifecycle": "spot", "Tags": r.get("tags")}
                 for r in spots if r["region"] == region]
        try:
            reqs = spot_requests(aws.client("ec2", region), insts)
        except Exception:  # noqa: BLE001 - unknown: keep the stop hint, stop.py refuses with the reason
            continue
        for inst in insts:
            if why := spot_stop_refusal(inst, reqs.get(inst["InstanceId"])):
                out[inst["InstanceId"]] = why
    return out


def _gpu_running(r: dict, name: str, scope: hints.Scope, refusal: str | None) -> dict:
    message = (f"{r['gpus']}x {r.get('gpu_model', 'GPU')} ({r['instance_type']}, {r.get('market')}) {name} "
               f"running{_age(r.get('created'))}")
    if refusal:  # AWS cannot stop it: the only way to end the bill is to terminate it
        return _finding("gpu-running", r, f"{message}; AWS cannot stop it ({refusal}): terminate it",
                        hints.command(scope, "terminate", "--type", "ec2", "--id", r["id"], region=r["region"]))
    return _finding("gpu-running", r, message, hints.command(scope, "stop", "--id", r["id"], region=r["region"]))


def findings(records: list[dict], scope: hints.Scope = hints.Scope(), refusals: dict[str, str] | None = None,
             prices: dict | None = None) -> list[dict]:
    """scope: the run's (hints.Scope), repeated in every next command (each names its own --region); refusals: from
    stop_refusals(); prices: list_prices' Pricing API answers (list_prices.answers; without them, the dated
    table). Ordered by money and risk (order())."""
    prices = prices or {}
    out: list[dict] = []
    by_id = {r["id"]: r for r in records}
    for item in leftovers.find(records):
        r = item.rec
        rtype = "ec2" if r["type"] == "ec2:instance" else r["type"]
        out.append(_finding(item.kind, r, item.why,
                            hints.command(scope, "terminate", "--type", rtype, "--id", r["id"], region=r["region"]),
                            per_month=leftovers.price(prices, item)[0]))
    for r in records:
        t, state, name = r["type"], r.get("state"), r.get("name") or r["id"]
        if t == "ec2:instance" and state in RUNNING and r.get("gpus"):
            out.append(_gpu_running(r, name, scope, (refusals or {}).get(r["id"])))
        elif t == "vpc:vpc" and not r.get("default"):
            out.append(_finding("non-default-vpc", r, f"non-default VPC {name} ({r.get('cidr')})",
                                hints.command(scope, "cleanup_vpc", "--id", r["id"], region=r["region"])))
        elif t == "vpc:nat-gateway" and state == "available":  # running money, priced as waste and costs --now do
            out.append(_finding("nat-gateway", r, f"NAT gateway {name} is billed by the hour and per GB"
                                + leftovers.held(r, records, prices),
                                hints.command(scope, "terminate", "--type", "vpc:nat-gateway", "--id", r["id"],
                                              region=r["region"]),
                                per_month=lp.price(prices, charges(r, set()), r["region"])[0]))
    return order(out + security(records, scope), by_id)


def order(found: list[dict], by_id: dict[str, dict]) -> list[dict]:
    """Money and risk first, deterministically: running GPU instances (most GPUs first), then other running
    money (NAT gateways), then doors open to the world (by severity), then what is left behind by its
    monthly cost; ties by kind, region and id."""

    def key(f: dict):
        if f["kind"] == "gpu-running":
            tier, rank = 0, -(by_id.get(f["id"], {}).get("gpus") or 0)
        elif f["kind"] == "nat-gateway":
            tier, rank = 1, -f.get("per_month", 0)
        elif f.get("check"):
            tier, rank = 2, SEVERITIES.index(f["severity"]) if f.get("severity") in SEVERITIES else len(SEVERITIES)
        else:
            tier, rank = 3, -f.get("per_month", 0)
        return tier, rank, f["kind"], f["region"], str(f["id"])

    return sorted(found, key=key)
