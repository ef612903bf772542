"""security.py's answer, grouped by check: what a check says (title, severity, Prowler id, remedy) once, then
the resources it found, each once. A check whose resources are regions (CloudTrail, GuardDuty, EBS encryption by
default: one finding per region) names its regions in one list, with the evidence they share and one fix command
for all of them; resources of several regions keep their `region` (the regions are mixed within a check).
SARIF keeps one result per resource (it is read by code-scanning tools, not paid for per token)."""

from __future__ import annotations

from _awswiz.shell import hints

SAID_ONCE = ("check", "severity", "title", "type", "prowler", "remedy")  # the same for every finding of a check
PER_RESOURCE = ("resource", "region", "name", "evidence", "fix")


def fixes(groups: list[dict]) -> list[str]:
    """Every fix command of the groups, in order (a check about regions has one for all of them)."""
    return [c for g in groups for c in ([g["fix"]] if "fix" in g else [r["fix"] for r in g.get("resources", [])
                                                                      if r.get("fix")])]


def group(found: list[dict], scope) -> list[dict]:
    """Findings (public(), in order) grouped by check, in the order each check first appears. scope: the run's
    hints.Scope, for the one fix command of a check about regions."""
    groups: dict[str, dict] = {}
    for f in found:
        g = groups.setdefault(f["check"], {**{k: f[k] for k in SAID_ONCE if f.get(k) is not None}, "items": []})
        g["items"].append({k: f[k] for k in PER_RESOURCE if f.get(k) is not None})
    return [_shape(g, scope) for g in groups.values()]


def _shape(g: dict, scope) -> dict:
    items = g.pop("items")
    out = {**g, "count": len(items)}
    if all(i["resource"] == i["region"] for i in items):  # the region itself is what the check found
        out["regions"] = [i["region"] for i in items]
        evidence = [i.get("evidence") for i in items]
        if all(e == evidence[0] for e in evidence):
            out["evidence"] = evidence[0]
        else:
            out["evidence_by_region"] = {i["region"]: i.get("evidence") for i in items}
        if any(i.get("fix") for i in items):  # one command for every region (over --max 10 without --max)
            out["fix"] = hints.command(scope, "security", "--fix", g["check"], "--region", ",".join(out["regions"]),
                                       *(["--max", str(len(items))] if len(items) > 10 else []))
        return out
    out["resources"] = [{"id": i["resource"], **{k: i[k] for k in ("region", "name", "evidence", "fix") if k in i}}
                        for i in items]
    return out

