"""--pretty for scan: a per-region, per-service summary, then one table per type, then findings."""

from __future__ import annotations

from _awswiz.shell.fit import Col
from _awswiz.shell.output import plural, table

# the few columns each type shows besides id, region, name and state
COLUMNS = {
    "ec2:instance": ["instance_type", "market", "gpus", "gpu_model", "public_ip", "key"],
    "ec2:volume": ["size_gib", "volume_type", "attached_to"],
    "ec2:snapshot": ["volume", "size_gib"],
    "ec2:image": ["created", "snapshots"],
    "ec2:elastic-ip": ["public_ip", "instance"],
    "vpc:vpc": ["cidr", "default"],
    "vpc:subnet": ["vpc", "cidr", "az"],
    "vpc:route-table": ["vpc", "main", "subnets"],
    "vpc:internet-gateway": ["vpcs"],
    "vpc:nat-gateway": ["vpc", "public_ip"],
    "vpc:endpoint": ["vpc", "service_name"],
    "vpc:network-interface": ["vpc", "attached_to", "interface_type"],
    "vpc:security-group": ["vpc", "default", "open_to_world", "references"],
    "s3:bucket": ["created"],
    "iam:user": ["created"],
    "iam:role": ["path"],
    "elb:load-balancer": ["lb_type", "scheme", "vpc"],
    "rds:db-instance": ["db_class", "engine"],
    "lambda:function": ["runtime", "memory_mb"],
    "sagemaker:notebook": ["instance_type"],
}


# what stays longest when a terminal is narrow (fit.py): higher stays; tags always go first
IMPORTANCE = {"id": 100, "instance_type": 95, "region": 90, "state": 85, "name": 80, "gpus": 70, "market": 60,
              "size_gib": 60, "public_ip": 55, "vpc": 55, "gpu_model": 50, "open_to_world": 50, "tags": 0}


def _cols(names: list[str]) -> list[Col]:
    return [Col(n, IMPORTANCE.get(n, 40 - i)) for i, n in enumerate(names)]


def _cell(v) -> str:
    if isinstance(v, list):
        return ", ".join(map(str, v))
    if isinstance(v, bool):
        return "yes" if v else ""
    return "" if v is None else str(v)[:19] if "T" in str(v)[:11] and ":" in str(v) else str(v)


def render(console, data: dict) -> None:
    """What AWS made by itself (inventory/defaults.py; data.defaults counts it, --include-defaults lists it too) is
    counted in the summary and in each table's caption; the tables list what someone made."""
    resources = data["resources"]
    made = [r for r in resources if not r.get("default")]
    folded = data.get("defaults", {})
    groups = sorted({r["type"].split(":")[0] for r in made})
    counts: dict[tuple[str, str], int] = {}
    for r in made:
        k = (r["region"], r["type"].split(":")[0])
        counts[k] = counts.get(k, 0) + 1
    regions = sorted({r["region"] for r in made})
    rows = [[reg, *[counts.get((reg, g), "") for g in groups], sum(counts.get((reg, g), 0) for g in groups)]
            for reg in regions]
    # narrow terminals keep the region, the total and the groups holding most
    per_group = {g: sum(n for (_, gg), n in counts.items() if gg == g) for g in groups}
    summary_cols = [Col("region", 1000), *[Col(g, per_group[g]) for g in groups], Col("total", 999)]
    only_defaults = sorted(set(data["regions"]) - set(regions))
    notes = []
    if only_defaults:
        verb = "holds" if len(only_defaults) == 1 else "hold"
        notes.append(f"{plural(len(only_defaults), 'region')} {verb} only defaults: {', '.join(only_defaults)}")
    if skipped := data.get("skipped_regions"):
        notes.append(f"skipped (not enabled): {', '.join(skipped)}")
    console.print(table(f"Snapshot: {plural(len(made), 'resource')} (+{sum(folded.values())} default) "
                        f"in {plural(len(data['regions']), 'region')}", summary_cols, rows,
                        caption="\n".join(notes) or None))
    by_type: dict[str, list[dict]] = {t: [] for t in folded}
    for r in resources:
        by_type.setdefault(r["type"], []).append(r)
    for t, recs in sorted(by_type.items()):
        cols = [c for c in COLUMNS.get(t, []) if c != "default"]
        if "since" in data and "created" not in cols:  # --since: when each was made
            cols = ["created", *cols]
        made = [r for r in recs if not r.get("default")]
        defaults = folded.get(t, 0)
        caption = f"+ {defaults} default (data.defaults; listed with --include-defaults)" if defaults else None
        if not made:
            console.print(f"[dim]{t}: {defaults} default only[/]")
            continue
        rows = [[r["id"], r["region"], r.get("name"), r.get("state"), *[_cell(r.get(c)) for c in cols],
                 ", ".join(f"{k}={v}" for k, v in r.get("tags", {}).items() if k != "Name")] for r in made]
        console.print(table(f"{t} ({len(made)})", _cols(["id", "region", "name", "state", *cols, "tags"]), rows,
                            caption=caption))
    _notes(console, data)
    if data["findings"]:  # lines, wrapped and never cut: a file keeps each explanation and cost whole
        from rich.markup import escape

        console.print(f"[bold]Findings ({len(data['findings'])})[/]")
        for f in data["findings"]:
            cost = f"; ${f['per_month']:,.2f} a month" if f.get("per_month") else ""
            console.print(f"[bold]{escape(f['kind'])}[/] {escape(f['region'])} {escape(str(f['id']))}: "
                          f"{escape(f['message'])}{escape(cost)}")
    else:
        console.print("[green]No findings.[/]")


def _notes(console, data: dict) -> None:
    """What --since left out for want of a creation time, and why a --tag matched nothing."""
    if since := data.get("since"):
        left = ", ".join(f"{t} {n}" for t, n in since["undated_types"].items())
        console.print(f"[dim]since {since['from']}; without a creation time, left out: {left or 'none'}[/]")
    for u in data.get("unmatched_tags", []):
        known = u.get("keys") or [f"{v} ({n})" for v, n in u.get("values", {}).items()]
        console.print(f"[yellow]{u['tag']}: {u['why']}[/]" + (f"; in use: {', '.join(known)}" if known else ""))


def render_tags(console, data: dict) -> None:
    """--tags --pretty: one row per tag key and value, with how many resources carry it."""
    rows = [[k, v, n] for k, values in data["tags"].items() for v, n in values.items()]
    console.print(table(f"Tags in use ({plural(len(data['tags']), 'key')}) in "
                        f"{plural(len(data['regions']), 'region')}", _cols(["key", "value", "resources"]), rows))
    _notes(console, data)
