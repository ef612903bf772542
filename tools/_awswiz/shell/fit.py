"""Fitting a table to a terminal of 80..120 columns: ids, names, types, prices and regions never wrap.

Every column is one line per row. Free-text columns (FLEX: messages, details, tags) take what width is
left and are shortened with an ellipsis; every other column is shown whole or not at all. Columns that
do not fit are left out by importance (tags first, then the least important: by default the rightmost; a column too
wide for what is left gives way to narrower, less important ones), and the caption says which, and that
the JSON has everything.
"""

from __future__ import annotations

from dataclasses import dataclass

# free text: shortened with an ellipsis rather than wrapped
FLEX = {"tags", "finding", "message", "detail", "reason", "description", "title", "what", "blocked",
        "evidence", "note", "notes", "error", "result detail", "fix", "source", "sources", "why"}
# key/value tables: the value wraps at spaces rather than being cut (it may hold an id among words)
WRAP = {"value"}
FLEX_MIN = 12  # a free-text column narrower than this is not worth showing
LEAST = {"tags": 0}  # importance of columns every view has (lower goes first)


@dataclass(frozen=True)
class Col:
    name: str
    importance: int | None = None  # higher stays longer; None: by position (leftmost highest)
    flex: bool | None = None  # None: by name (FLEX)
    wrap: bool | None = None  # None: by name (WRAP); a wrapping column takes what width is left, like flex


def as_col(c, index: int) -> Col:
    c = c if isinstance(c, Col) else Col(str(c))
    importance = c.importance if c.importance is not None else LEAST.get(c.name, 1000 - index)
    wrap = c.wrap if c.wrap is not None else c.name in WRAP
    return Col(c.name, importance, wrap or (c.flex if c.flex is not None else c.name in FLEX), wrap)


def _len(s: str) -> int:
    from rich.cells import cell_len

    return max((cell_len(line) for line in s.splitlines()), default=0)


def layout(columns: list, rows: list[list[str]], width: int) -> tuple[list[int], dict[int, int], list[str]]:
    """(indexes of the columns kept, {index: width} of the kept free-text columns, names left out)."""
    cols = [as_col(c, i) for i, c in enumerate(columns)]
    natural = [max([_len(c.name)] + [_len(r[i]) for r in rows]) for i, c in enumerate(cols)]
    need = [min(n, max(FLEX_MIN * (2 if c.wrap else 1), _len(c.name))) if c.flex else n
            for c, n in zip(cols, natural, strict=True)]

    def total(idx: list[int]) -> int:  # Rich's default box: a border, then "│ cell " per column
        return sum(need[i] for i in idx) + 3 * len(idx) + 1

    # most important first; a column that does not fit in what is left is left out, and the next (narrower,
    # less important) ones still get their chance: one ARN too wide for 80 columns costs only its column
    order = sorted(range(len(cols)), key=lambda i: (-cols[i].importance, i))
    kept: list[int] = []
    for i in order:
        if total(sorted(kept + [i])) <= width:
            kept = sorted(kept + [i])
    kept = kept or order[:1]  # nothing fits whole: the most important column, cut by the terminal
    spare = max(0, width - total(kept))
    flex = {}
    for i in kept:
        if cols[i].flex:
            extra = min(spare, natural[i] - need[i])
            flex[i] = need[i] + extra
            spare -= extra
    return kept, flex, [cols[i].name for i in range(len(cols)) if i not in kept]


def left_out_note(names: list[str], width: int) -> str:
    return f"left out at {width} columns: {', '.join(names)} (the JSON has everything)"
