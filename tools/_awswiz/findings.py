"""What an agent should notice in a snapshot: money burning, things left behind, doors left open."""

from __future__ import annotations

import datetime as dt

from .snapshot import covers


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


def findings(records: list[dict]) -> list[dict]:
    out: list[dict] = []
    by_id = {r["id"]: r for r in records}
    for r in records:
        t, state, name = r["type"], r.get("state"), r.get("name") or r["id"]
        where = f"--region {r['region']}"
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
        elif t == "vpc:security-group" and covers(r.get("open_to_world", []), 22):
            out.append(_finding("ssh-open-world", r, f"security group {name} allows SSH from anywhere "
                                f"(ports {', '.join(r['open_to_world'])} open to 0.0.0.0/0)"))
        elif t == "vpc:vpc" and not r.get("default"):
            out.append(_finding("non-default-vpc", r, f"non-default VPC {name} ({r.get('cidr')})",
                                f"uv run tools/cleanup_vpc.py --id {r['id']} {where}"))
        elif t == "vpc:nat-gateway" and state == "available":
            out.append(_finding("nat-gateway", r, f"NAT gateway {name} is billed by the hour and per GB"))
    return out
