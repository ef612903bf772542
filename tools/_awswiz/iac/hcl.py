"""A small HCL writer whose output `terraform fmt` leaves as it is: two-space indents, the `=` of consecutive
one-line attributes aligned (a multi-line value stands alone), lists and objects of more than scalars on lines
of their own, strings escaped (quotes, backslashes, and the template markers `${` and `%{`)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Expr:
    """An expression written as it is: a reference (aws_vpc.lab.id) or a call."""
    text: str


@dataclass(frozen=True)
class Json:
    """jsonencode() of a value, written as an HCL object so that references could sit inside."""
    value: object


def string(s: str) -> str:
    body = json.dumps(s, ensure_ascii=False)[1:-1]
    return '"' + body.replace("${", "$${").replace("%{", "%%{") + '"'


def _key(k: str) -> str:
    return k if IDENT.match(k) else string(k)


def _scalar(v) -> str | None:
    if isinstance(v, Expr):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return string(v)
    if v is None:
        return "null"
    return None


def value_lines(v, indent: int) -> list[str]:
    """A value as lines; the first line goes after `key = `, the others are indented already."""
    s = _scalar(v)
    if s is not None:
        return [s]
    pad = "  " * indent
    if isinstance(v, Json):
        inner = value_lines(v.value, indent)
        return [f"jsonencode({inner[0]}", *inner[1:-1], inner[-1] + ")"] if len(inner) > 1 else \
            [f"jsonencode({inner[0]})"]
    if isinstance(v, list):
        parts = [_scalar(x) for x in v]
        if all(p is not None for p in parts):
            return ["[" + ", ".join(parts) + "]"]
        lines = ["["]
        for x in v:
            inner = value_lines(x, indent + 1)
            lines += [f"{pad}  {inner[0]}", *inner[1:-1], *([inner[-1] + ","] if len(inner) > 1 else [])]
            if len(inner) == 1:
                lines[-1] += ","
        return lines + [f"{pad}]"]
    if isinstance(v, dict):
        if not v:
            return ["{}"]
        return ["{", *_attrs([(k, x) for k, x in v.items()], indent + 1), f"{pad}}}"]
    raise TypeError(f"no HCL for {type(v).__name__}")


def _attrs(pairs: list[tuple[str, object]], indent: int) -> list[str]:
    """key = value lines, the `=` of each run of one-line values aligned."""
    pad = "  " * indent
    rendered = [(_key(k), value_lines(v, indent)) for k, v in pairs]
    out: list[str] = []
    i = 0
    while i < len(rendered):
        j = i
        while j < len(rendered) and len(rendered[j][1]) == 1:
            j += 1
        if j == i:  # a multi-line value: alone
            k, lines = rendered[i]
            out += [f"{pad}{k} = {lines[0]}", *lines[1:]]
            i += 1
            continue
        width = max(len(k) for k, _ in rendered[i:j])
        out += [f"{pad}{k.ljust(width)} = {lines[0]}" for k, lines in rendered[i:j]]
        i = j
    return out


def block(kind: str, labels: list[str], body: list, indent: int = 0) -> list[str]:
    """body: ("a", key, value) attributes, ("b", kind, labels, body) blocks, ("c", text) comments, in order."""
    pad = "  " * indent
    head = " ".join([kind, *(string(x) for x in labels)])
    lines = [f"{pad}{head} {{"]
    run: list[tuple[str, object]] = []

    def flush():
        lines.extend(_attrs(run, indent + 1))
        run.clear()

    prev = None
    for item in body:
        if item[0] == "a":
            if item[2] is None:
                continue
            if prev == "b":
                lines.append("")
            run.append((item[1], item[2]))
        else:
            flush()
            if item[0] == "b":
                if prev in ("a", "b"):
                    lines.append("")
                lines.extend(block(item[1], item[2], item[3], indent + 1))
            else:
                lines.append(f"{pad}  # {item[1]}")
        prev = item[0] if item[0] != "c" else prev
    flush()
    return lines + [f"{pad}}}"]
