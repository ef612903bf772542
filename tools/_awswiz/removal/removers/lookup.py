"""What the service removers share: matching the user's ids (an ARN or a name) against one list call's items,
and the shape of an id that may be either."""

from __future__ import annotations

import re


def either(arn: str, name: str) -> re.Pattern:
    """An id pattern that accepts an ARN or a name."""
    return re.compile(f"^(?:{arn.strip('^$')}|{name.strip('^$')})$")


def match(items: list[dict], ids: list[str], *keys: str, fold: bool = False) -> dict[str, dict]:
    """{given id: item} for the ids equal to one of the item's keys (ARN, name, ...); fold: case-insensitive."""
    norm = (lambda s: str(s).casefold()) if fold else str
    index: dict[str, dict] = {}
    for item in items:
        for k in keys:
            if item.get(k) is not None:
                index.setdefault(norm(item[k]), item)
    return {i: index[norm(i)] for i in ids if norm(i) in index}


def unique(found: dict[str, dict], key: str) -> list[dict]:
    """The matched items once each (an ARN and a name may name the same one), in the order asked."""
    out: dict[str, dict] = {}
    for item in found.values():
        out.setdefault(item[key], item)
    return list(out.values())


def code(exc: Exception) -> str:
    return getattr(exc, "response", {}).get("Error", {}).get("Code", "")
