"""What an agent should notice in a snapshot: money burning, things left behind, doors left open.

The doors left open are security checks of the one check table (checks.py): the security-group checks and
ec2-public-open-sg run here on the snapshot's records with the same tests security.py uses
(security_checks/network.py), and their findings carry the check id as `kind`, its severity and Prowler id,
and the security.py --fix command."""

from __future__ import annotations

import datetime as dt

from .checks import BY_ID, fix_command
from .security_checks.network import exposed, prowler_id, sg_open


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


def _finding(kind: str, rec: dict, message: str, next_cmd: str | None = None) -> dict:
    f = {"kind": kind, "type": rec["type"], "id": rec["id"], "region": rec["region"], "message": message}
    if next_cmd:
        f["next"] = next_cmd
    return f


def _check(check_id: str, rec: dict, detail: str, scope: str, ports: list[str] | None = None) -> dict:
    c = BY_ID[check_id]
    f = _finding(check_id, rec, f"{c.title}: {rec.get('name') or rec['id']} ({detail})",
                 fix_command(check_id, rec["id"], rec["region"], scope))
    f.update(check=c.id, severity=c.severity, prowler=prowler_id(check_id, ports) if ports else c.prowler)
    return f


def security(records: list[dict], scope: str = "") -> list[dict]:
    """The findings of the security checks a snapshot holds the evidence for."""
    out = []
    open_by_group = {r["id"]: r.get("open_to_world", []) for r in records if r["type"] == "vpc:security-group"}
    for r in records:
        if r["type"] == "vpc:security-group":
            for check, ports in sg_open(r.get("open_to_world", [])).items():
                out.append(_check(check, r, f"ports {', '.join(ports)} open to 0.0.0.0/0 or ::/0", scope, ports))
        elif r["type"] == "ec2:instance":
            ev = exposed(r.get("public_ip"), r.get("state"), r.get("security_groups") or [], open_by_group)
            if ev:
                out.append(_check("ec2-public-open-sg", r, f"public IP {ev['public_ip']} behind "
                                  f"{', '.join(ev['open_groups'])}", scope,
                                  [p for ps in ev["open_groups"].values() for p in ps]))
    return out


def findings(records: list[dict], scope: str = "") -> list[dict]:
    """scope: the run's --sandbox/--profile (hints.scope), repeated in every next command."""
    out: list[dict] = []
    by_id = {r["id"]: r for r in records}
    for r in records:
        t, state, name = r["type"], r.get("state"), r.get("name") or r["id"]
        where = f"--region {r['region']}{scope}"
        if t == "ec2:instance" and state in ("running", "pending") and r.get("gpus"):
            out.append(_finding("gpu-running", r, f"{r['gpus']}x {r.get('gpu_model', 'GPU')} ({r['instance_type']}, "
                                f"{r.get('market')}) {name} running{_age(r.get('launch_time'))}",
                                f"uv run tools/stop.py --id {r['id']} {where}"))
        elif t == "ec2:instance" and state == "stopped" and r.get("volumes"):
            sizes = [by_id[v].get("size_gib", 0) for v in r["volumes"] if v in by_id]
            gib = f", {sum(sizes)} GiB" if sizes else ""
            out.append(_finding("stopped-with-volumes", r, f"{name} is stopped but still holds "
                                f"{len(r['volumes'])} volume(s){gib}, billed while stopped",
                                f"uv run tools/terminate.py --type ec2 --id {r['id']} {where}"))
        elif t == "ec2:volume" and state == "available":
            out.append(_finding("unattached-volume", r, f"{r.get('size_gib')} GiB {r.get('volume_type', '')} volume "
                                f"{name} is attached to nothing"))
        elif t == "ec2:elastic-ip" and not r.get("association"):
            out.append(_finding("unassociated-eip", r, f"Elastic IP {r.get('public_ip')} ({name}) is not associated"
                                " and is billed by the hour"))
        elif t == "vpc:vpc" and not r.get("default"):
            out.append(_finding("non-default-vpc", r, f"non-default VPC {name} ({r.get('cidr')})",
                                f"uv run tools/cleanup_vpc.py --id {r['id']} {where}"))
        elif t == "vpc:nat-gateway" and state == "available":
            out.append(_finding("nat-gateway", r, f"NAT gateway {name} is billed by the hour and per GB"))
    return out + security(records, scope)
