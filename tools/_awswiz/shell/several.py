"""One result out of several accounts' (issue 22): the data of each account merged, every record and error naming
its account, every command keeping to the account it is about, and --pretty grouped by account with a total line.

Merging, key by key of each account's data: a list of records is concatenated, each record naming its `account`; a
list of names (regions, checks) is their union; a table of counts is summed; anything else that is the same in
every account is kept once, and what differs goes to data.per_account {account: {key: value}}.
"""

from __future__ import annotations

import shlex
from numbers import Number

from _awswiz.shell import hints
from _awswiz.shell.errors import EXIT_OK, EXIT_PARTIAL


def _numeric(v) -> bool:
    if isinstance(v, dict):
        return all(_numeric(x) for x in v.values())
    return isinstance(v, Number) and not isinstance(v, bool)


def _add(a, b):
    if isinstance(a, dict):
        out = dict(a)
        for k, v in b.items():
            out[k] = _add(out[k], v) if k in out else v
        return out
    total = a + b
    return round(total, 2) if isinstance(total, float) else total


def merge(parts: list[tuple[str, dict]]) -> dict:
    """parts: [(account, its data)] in the accounts' order; see the module's doc."""
    keys = list(dict.fromkeys(k for _, d in parts for k in d))
    out: dict = {}
    differ: dict[str, dict] = {}
    for k in keys:
        have = [(a, d[k]) for a, d in parts if k in d]
        values = [v for _, v in have]
        if all(isinstance(v, list) for v in values):
            if any(isinstance(x, dict) for v in values for x in v):
                out[k] = [dict(x, account=x.get("account", a)) if isinstance(x, dict) else x
                          for a, v in have for x in v]
            else:
                out[k] = list(dict.fromkeys(x for v in values for x in v if not isinstance(x, (list, dict))))
        elif values and all(isinstance(v, dict) and _numeric(v) for v in values):
            total: dict = {}
            for v in values:
                total = _add(total, v)
            out[k] = total
        elif all(v == values[0] for v in values):
            out[k] = values[0]
        else:
            for a, v in have:
                differ.setdefault(a, {})[k] = v
    if differ:
        out["per_account"] = differ
    return out


def rescope(obj, scope: hints.Scope, keep: bool):
    """obj with every AwsWiz command in it about this account alone (scope: hints.Scope.in_account). keep=False (an
    account the tools of one account cannot reach with the run's credentials): such a command is dropped (None in
    a record, left out of a list), since it would act in the caller's account instead."""
    if isinstance(obj, str) and obj.startswith(hints.PREFIX):
        words = shlex.split(obj)
        tool = words[2].removeprefix("tools/").removesuffix(".py")
        if tool not in hints.ACCOUNT_TOOLS and not keep:
            return None
        end = words.index("--") if "--" in words else len(words)
        return hints.command(scope, tool, *words[3:end], after=tuple(words[end + 1:]))
    if isinstance(obj, dict):
        return {k: rescope(v, scope, keep) for k, v in obj.items()}
    if isinstance(obj, list):
        out = [rescope(v, scope, keep) for v in obj]
        return [v for v, was in zip(out, obj, strict=True) if not (v is None and isinstance(was, str))]
    return obj


def exit_code(codes: list[int], entry_errors: list[dict], has_data: bool) -> int | None:
    """The run's code: 0 when every account answered in full; bad input or a refusal as itself; otherwise partial
    (3) while some account gave data, else the first failure."""
    bad = [c for c in codes if c not in (EXIT_OK, EXIT_PARTIAL, 1)]
    if bad:
        return bad[0]
    if not entry_errors and all(c == EXIT_OK for c in codes):
        return None
    return EXIT_PARTIAL if has_data else 1


def render_each(render, parts: list[tuple[str, str | None, dict]]):
    """--pretty of several accounts: each account's view under its heading, then a total line."""
    def view(console, _data) -> None:
        from rich.markup import escape

        totals: dict[str, int] = {}
        for account, name, data in parts:
            console.rule(escape(f"account {account}" + (f" ({name})" if name else "")))
            if render is not None and data is not None:
                render(console, data)
            for k, v in (data or {}).items():
                if k != "accounts" and isinstance(v, list) and any(isinstance(x, dict) for x in v):
                    totals[k] = totals.get(k, 0) + len(v)
        counted = ", ".join(f"{k} {n}" for k, n in totals.items())
        console.print(escape(f"total: {len(parts)} accounts" + (f", {counted}" if counted else "")))

    return view
