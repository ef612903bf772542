"""The guard's rendering: a plan and its results as data (plan_data) and as tables (--pretty)."""

from __future__ import annotations

import datetime as _dt
import json

from _awswiz.guard.actions import Plan
from _awswiz.shell.fit import Col
from _awswiz.shell.output import table


def iso(ts: float) -> str:
    return _dt.datetime.fromtimestamp(ts, _dt.UTC).isoformat(timespec="seconds")


SKIPPED_KEYS = ("id", "type", "region", "name", "reason")


def skipped_view(plan: Plan) -> list[dict]:
    """Every skipped entry in one shape, {id, type, region, name, reason} (None where a tool did not say)."""
    return [{k: s.get(k) for k in SKIPPED_KEYS} | ({"account": s["account"]} if s.get("account") else {})
            for s in plan.skipped]


def plan_data(plan: Plan, record: dict | None = None, limit: int | None = None, **extra) -> dict:
    shown = plan.actions if limit is None else plan.actions[:limit]
    data = {"applied": False, "plan": [a.view() for a in shown], "skipped": skipped_view(plan),
            "confirm": record["token"] if record else None,
            "expires_at": iso(record["expires_at"]) if record else None}
    if len(shown) < len(plan.actions):
        counts: dict[str, int] = {}
        for a in plan.actions:
            counts[f"{a.op} {a.type}"] = counts.get(f"{a.op} {a.type}", 0) + 1
        data.update(plan_total=len(plan.actions), plan_shown=len(shown), plan_counts=counts)
    data.update(extra)
    return data


# --- rendering (--pretty) ------------------------------------------------------------------------

def _detail(d: dict | None) -> str:
    if not d:
        return ""
    return "; ".join(f"{k}={json.dumps(v, default=str) if isinstance(v, (list, dict)) else v}"
                     for k, v in d.items())


def render_plan(console, data: dict) -> None:
    plan = data.get("plan", [])
    blocked = any(a.get("blocked") for a in plan)
    several = any(a.get("account") for a in plan)  # a plan across accounts (issue 22) names each action's
    rows = [[i + 1, a["action"], a["type"], a["id"], a.get("name"), a["region"], _detail(a.get("detail"))]
            + ([a.get("account")] if several else []) + ([a.get("blocked")] if blocked else [])
            for i, a in enumerate(plan)]
    cols = [Col("#", 70), Col("action", 95), Col("type", 90), Col("id", 100), Col("name", 80), Col("region", 85),
            Col("detail", 20)] + ([Col("account", 88)] if several else []) \
        + ([Col("blocked", 60)] if blocked else [])  # narrow terminals keep id and action
    console.print(table("Plan (nothing has changed yet)", cols, rows))
    if data.get("skipped"):
        console.print(table("Skipped", ["id", "type", "region", "name", "reason"],
                            [[s.get("id"), s.get("type"), s.get("region"), s.get("name"), s.get("reason")]
                             for s in data["skipped"]]))
    if data.get("confirm"):
        console.print(f"confirm with [bold]--confirm {data['confirm']}[/] before {data['expires_at']}")


def render_results(console, data: dict) -> None:
    rows = [[r["action"], r["type"], r["id"], r["region"], "ok" if r["ok"] else "FAILED",
             (r.get("error") or {}).get("message") or r.get("outcome")] for r in data.get("results", [])]
    console.print(table("Applied", [Col("action", 90), Col("type", 85), Col("id", 100), Col("region", 80),
                                    Col("result", 95), Col("detail", 20)], rows))
