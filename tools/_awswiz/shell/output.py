"""The JSON envelope on stdout, Rich rendering for --pretty, messages on stderr."""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from _awswiz.shell.errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL


@dataclass
class Result:
    """What a tool returns: its data, the errors it met, suggested next commands, and a renderer."""

    data: Any = None
    errors: list[dict] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    render: Callable[[Any, Any], None] | None = None  # render(console, data) for --pretty
    exit_code: int | None = None  # None: derived from data and errors
    account: str | None = None  # the account, when the tool knows it without ctx.aws (sandbox.py)
    sandbox: bool | None = None  # True when the tool is about the sandbox whatever its flags (sandbox.py)
    # the keys of data holding lists of records: printed without their empty fields (compact())
    records: tuple[str, ...] = ()

    def code(self) -> int:
        if self.exit_code is not None:
            return self.exit_code
        if not self.errors:
            return EXIT_OK
        return EXIT_PARTIAL if self.data else EXIT_FAILED


def envelope(tool: str, account: str | None, sandbox: bool, result: Result) -> dict:
    env = {
        "ok": result.code() == EXIT_OK,
        "tool": tool,
        "account": result.account or account,
        "sandbox": sandbox if result.sandbox is None else result.sandbox,
        "data": compact(result.data, result.records),
        "errors": result.errors,
        "next": result.next,  # always present: an empty list when there is nothing to suggest
    }
    return env


def lean(record: Any) -> Any:
    """A record without its empty fields (None, "", [], {}): an agent pays per token, and an absent field reads
    as null (`.name // .id` in jq, .get in Python). False and 0 say something and stay; so does what a field holds
    (evidence {"trails": []} is the evidence)."""
    if not isinstance(record, dict):
        return record
    return {k: v for k, v in record.items() if v is not None and not (isinstance(v, (str, list, dict)) and not v)}


def compact(data: Any, keys: tuple[str, ...]) -> Any:
    """data with the record lists under `keys` made lean (a copy: the tool's own data stays whole, and
    --pretty renders from the whole records)."""
    if not keys or not isinstance(data, dict):
        return data
    return {k: [lean(r) for r in v] if k in keys and isinstance(v, list) else v for k, v in data.items()}


def _default(o: Any) -> Any:
    if isinstance(o, (_dt.datetime, _dt.date)):
        return o.isoformat()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    return str(o)


def _finite(o: Any) -> Any:
    """A copy with NaN and infinities as strings: strict JSON has no such numbers."""
    if isinstance(o, float) and not math.isfinite(o):
        return repr(o)
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    return o


def dumps(doc: Any) -> str:
    """Strict JSON (allow_nan=False): a non-finite number never reaches a reader as bare Infinity."""
    try:
        return json.dumps(doc, default=_default, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(json.loads(json.dumps(doc, default=_default))), separators=(",", ":"),
                          allow_nan=False)


def emit_json(env: dict) -> None:
    sys.stdout.write(dumps(env) + "\n")
    sys.stdout.flush()


def stdout_console():
    from rich.console import Console

    return Console(highlight=False)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def emit_pretty(env: dict, result: Result) -> None:
    from rich.markup import escape

    console = stdout_console()
    if result.render and env["data"] is not None:
        result.render(console, result.data)  # the whole records (the JSON's are lean)
    elif env["data"] is not None and not result.render:
        console.print_json(dumps(env["data"]))
    header = f"[bold]{env['tool']}[/] account {env['account'] or '?'}"
    if env["sandbox"]:
        header += " [magenta](sandbox)[/]"
    for err in env["errors"]:
        where = f" [{err['region']}]" if err.get("region") else ""
        console.print(f"[red]✗ {escape(err['code'])}{escape(where)}[/] {escape(err['message'])}")
        if err.get("hint"):  # commands stay on one line (soft_wrap): the terminal may fold them, copying works
            console.print(f"  [dim]{escape(err['hint'])}[/]", soft_wrap=True)
    for cmd in env.get("next", []):
        console.print(f"[cyan]next:[/] {escape(cmd)}", soft_wrap=True)
    console.print(f"[dim]{header}[/]")


def warn(message: str) -> None:
    """A one-line message on stderr (never stdout, which carries the document)."""
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()


def plural(n: int, word: str) -> str:
    """ "1 region", "2 regions" """
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def table(title: str, columns: list, rows: list[list[Any]], caption: str | None = None, width: int | None = None):
    """A Rich table with plain string cells (None shown as a dash), fitted to the terminal (fit.py): one
    line per row, ids and names whole, free text shortened, what does not fit left out and said so.
    columns: names, or fit.Col(name, importance, flex) where a view ranks its columns."""
    from rich.table import Table

    from _awswiz.shell.fit import as_col, layout, left_out_note

    cells = [["-" if v is None or v == "" else str(v) for v in r] for r in rows]
    width = width or stdout_console().width
    kept, flex, left_out = layout(columns, cells, width)
    if left_out:
        caption = "\n".join(filter(None, [caption, left_out_note(left_out, width)]))
    t = Table(title=title, caption=caption, title_justify="left", caption_justify="left", header_style="bold")
    for i in kept:
        col = as_col(columns[i], i)
        name = col.name
        if col.wrap:
            t.add_column(name, overflow="fold", width=flex[i])
        elif i in flex:
            t.add_column(name, no_wrap=True, overflow="ellipsis", width=flex[i])
        else:
            t.add_column(name, no_wrap=True, overflow="ellipsis")
    for r in cells:
        t.add_row(*[r[i] for i in kept])
    return t
