"""The JSON envelope on stdout, Rich rendering for --pretty, messages on stderr."""

from __future__ import annotations

import datetime as _dt
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import EXIT_FAILED, EXIT_OK, EXIT_PARTIAL


@dataclass
class Result:
    """What a tool returns: its data, the errors it met, suggested next commands, and a renderer."""

    data: Any = None
    errors: list[dict] = field(default_factory=list)
    next: list[str] = field(default_factory=list)
    render: Callable[[Any, Any], None] | None = None  # render(console, data) for --pretty
    exit_code: int | None = None  # None: derived from data and errors

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
        "account": account,
        "sandbox": sandbox,
        "data": result.data,
        "errors": result.errors,
        "next": result.next,  # always present: an empty list when there is nothing to suggest
    }
    return env


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
        result.render(console, env["data"])
    elif env["data"] is not None and not result.render:
        console.print_json(dumps(env["data"]))
    header = f"[bold]{env['tool']}[/] account {env['account'] or '?'}"
    if env["sandbox"]:
        header += " [magenta](sandbox)[/]"
    for err in env["errors"]:
        where = f" [{err['region']}]" if err.get("region") else ""
        console.print(f"[red]✗ {escape(err['code'])}{escape(where)}[/] {escape(err['message'])}")
        if err.get("hint"):
            console.print(f"  [dim]{escape(err['hint'])}[/]")
    for cmd in env.get("next", []):
        console.print(f"[cyan]next:[/] {escape(cmd)}")
    console.print(f"[dim]{header}[/]")


def warn(message: str) -> None:
    """A one-line message on stderr (never stdout, which carries the document)."""
    sys.stderr.write(message.rstrip() + "\n")
    sys.stderr.flush()


def table(title: str, columns: list[str], rows: list[list[Any]], caption: str | None = None):
    """A Rich table with plain string cells (None shown as a dash)."""
    from rich.table import Table

    t = Table(title=title, caption=caption, title_justify="left", header_style="bold")
    for c in columns:
        t.add_column(c, overflow="fold")
    for r in rows:
        t.add_row(*["-" if v is None or v == "" else str(v) for v in r])
    return t
