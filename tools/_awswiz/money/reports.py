"""fellow_costs.py's report files in .state/reports/DATE/: statements.json (everything), statements.csv (one
row per fellow, month and service), statements.md (a statement per fellow) and statements.html (one
self-contained page: the chart of monthly spend per fellow drawn by plotly, its JavaScript inlined, so it
opens offline). Every file is written through state (0600). All four are made from the same document."""

from __future__ import annotations

import csv
import html
import io
import json

from _awswiz.shell import state

CSV_COLUMNS = ["fellow", "account", "month", "service", "net", "gross"]


# OWASP, CSV Injection: a cell starting with = + - @ tab or carriage return is read as a formula by spreadsheets;
# prefix it with a single quote so it stays text. Applied to the text cells (names, ids, months, services), never
# to the amounts, whose minus sign is a number's.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(text) -> str:
    text = str(text)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(doc: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)  # RFC 4180 CRLF rows: a cell holding a CR or LF is quoted
    w.writerow(CSV_COLUMNS)
    for f in doc["fellows"]:
        for g in f["groups"]:
            for month in g["net"]:
                w.writerow([cell(f["name"]), cell(f["account"]), cell(month), cell(g["key"]), f"{g['net'][month]:.2f}",
                            f"{g['gross'][month]:.2f}"])
    return buf.getvalue()


def _usd(v) -> str:
    return "-" if v is None else f"${v:,.2f}"


def markdown(doc: dict) -> str:
    out = [f"# Fellow cost statements, {doc['date']}", "",
           f"Months: {', '.join(doc['months'])} (the last is the month to date). Net is after credits and refunds; "
           "gross is the spend before them.", ""]
    out += ["| fellow | account | net | gross | credits used | credits left | runs out | budget used |",
            "|---|---|---|---|---|---|---|---|"]
    for f in doc["fellows"]:
        budget = f"{f['budget_used_pct']}%" if f.get("budget_used_pct") is not None else "-"
        out.append(f"| {f['name']} | {f['account']} | {_usd(f['totals']['net'])} | {_usd(f['totals']['gross'])} | "
                   f"{_usd(f.get('credits_used'))} | {_usd(f.get('credits_left'))} | "
                   f"{f.get('credits_run_out') or '-'} | {budget} |")
    for f in doc["fellows"]:
        out += ["", f"## {f['name']} ({f['account']})", ""]
        out += [f"Credits used and left: unknown. {f['credits_unknown']}.", ""] if f.get("credits_unknown") else []
        out += ["| month | net | gross | credits | refunds | change |", "|---|---|---|---|---|---|"]
        for m in f["months"]:
            change = f"{_usd(m['change'])} ({m['change_pct']}%)" if m.get("change") is not None else "-"
            out.append(f"| {m['month']}{' (to date)' if m['partial'] else ''} | {_usd(m['net'])} | {_usd(m['gross'])} "
                       f"| {_usd(m['credits'])} | {_usd(m['refunds'])} | {change} |")
        out += ["", "| service | net | gross |", "|---|---|---|"]
        out += [f"| {g['key']} | {_usd(g['total_net'])} | {_usd(g['total_gross'])} |" for g in f["groups"]]
    if doc["failed"]:
        out += ["", "## Not reported", ""] + [f"- {e['name']} ({e['account']}): {e['code']}: {e['message']}"
                                              for e in doc["failed"]]
    return "\n".join(out) + "\n"


def chart(doc: dict) -> str:
    """A grouped bar chart (gross per month, one series per fellow) as an HTML fragment with plotly.js inline."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for f in doc["fellows"]:
        x = [m["month"] + (" (to date)" if m["partial"] else "") for m in f["months"]]
        fig.add_bar(name=f"{f['name']} (gross)", x=x, y=[m["gross"] for m in f["months"]])
        fig.add_scatter(name=f"{f['name']} (net)", x=x, y=[m["net"] for m in f["months"]], mode="lines+markers")
    fig.update_layout(barmode="group", title="Monthly spend per fellow (USD): bars gross, lines net after credits",
                      yaxis_title="USD", xaxis_type="category", template="plotly_white", height=520)
    return fig.to_html(full_html=False, include_plotlyjs=True, config={"displaylogo": False})


def html_page(doc: dict, md: str) -> str:
    rows = "".join(f"<tr><td>{html.escape(f['name'])}</td><td>{f['account']}</td><td>{_usd(f['totals']['net'])}</td>"
                   f"<td>{_usd(f['totals']['gross'])}</td><td>{_usd(f.get('credits_left'))}</td>"
                   f"<td>{html.escape(str(f.get('credits_run_out') or '-'))}</td></tr>" for f in doc["fellows"])
    failed = "".join(f"<li>{html.escape(e['name'])}: {html.escape(e['code'])}: {html.escape(e['message'])}</li>"
                     for e in doc["failed"])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Fellow costs {doc['date']}</title>"
            "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>"
            f"<h1>Fellow costs, {doc['date']}</h1>{chart(doc)}"
            "<table><tr><th>fellow</th><th>account</th><th>net</th><th>gross</th><th>credits left</th>"
            f"<th>credits run out</th></tr>{rows}</table>"
            + (f"<h2>Not reported</h2><ul>{failed}</ul>" if failed else "")
            + f"<details><summary>Statements</summary><pre>{html.escape(md)}</pre></details></body></html>")


def write(doc: dict) -> dict[str, str]:
    """Write the four files; returns {format: path}."""
    folder = state.state_dir("reports", doc["date"])
    md = markdown(doc)
    files = {"json": json.dumps(doc, indent=1, allow_nan=False), "csv": csv_text(doc), "md": md,
             "html": html_page(doc, md)}
    out = {}
    for ext, text in files.items():
        path = folder / f"statements.{ext}"
        state.replace_text(path, text)
        out[ext] = str(path)
    return out
