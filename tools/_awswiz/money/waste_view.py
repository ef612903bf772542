"""--pretty for waste: the items by money (most first), then totals per kind and per region."""

from __future__ import annotations

from _awswiz.shell.output import table


def _usd(v) -> str:
    return "?" if v is None else f"${v:,.2f}"


def render(console, data: dict) -> None:
    items = data["items"]
    t = data["totals"]
    if not items:
        console.print(f"No waste found in {len(data['regions'])} region(s) (--min-usd {data['min_usd']}).")
        return
    rows = [[i["kind"], i["id"], i["region"], i.get("name"), _usd(i["monthly_usd"]), i["why"]] for i in items]
    console.print(table(f"Waste: {t['count']} item(s), {_usd(t['monthly_usd'])}/month",
                        ["kind", "id", "region", "name", "$/month", "why"], rows,
                        caption=f"prices: {data['price_basis']}; not counted: {data['not_included']}"))
    console.print(table("Per kind", ["kind", "items", "$/month"],
                        [[k, v["count"], _usd(v["monthly_usd"])] for k, v in t["by_kind"].items()]))
    console.print(table("Per region", ["region", "$/month"], [[r, _usd(v)] for r, v in t["by_region"].items()]))
    console.print("[dim]each item's `next` (in JSON) is the command that removes or stops it[/]")
