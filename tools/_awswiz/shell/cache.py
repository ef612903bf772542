"""Small JSON caches under .state/cache/, each entry stamped with the UTC date it was fetched.

A cache belongs to the endpoint it came from: runs against an emulator (AWS_ENDPOINT_URL) never share
a file with runs against AWS itself.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os

from _awswiz.shell import state
from _awswiz.shell.state import state_dir

MAX_AGE_DAYS = 7


def today() -> str:
    return _dt.datetime.now(_dt.UTC).date().isoformat()


def fresh(entry: dict | None, max_age_days: int = MAX_AGE_DAYS) -> bool:
    """True if the entry carries a "date" younger than max_age_days."""
    if not entry or "date" not in entry:
        return False
    try:
        age = _dt.date.fromisoformat(today()) - _dt.date.fromisoformat(entry["date"])
    except ValueError:
        return False
    return 0 <= age.days < max_age_days


def _path(name: str):
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    suffix = f"-{hashlib.sha1(endpoint.encode()).hexdigest()[:8]}" if endpoint else ""
    return state_dir("cache") / f"{name}{suffix}.json"


def load(name: str) -> dict:
    try:
        return json.loads(state.read_text(_path(name)))
    except (OSError, ValueError):
        return {}


def save(name: str, doc: dict, merge: bool = False) -> None:
    """Write atomically (a concurrent run reads the old file or the new one, never half of one);
    merge: keep the entries another run saved meanwhile."""
    path = _path(name)
    if merge:
        doc = {**load(name), **doc}
    state.replace_text(path, json.dumps(doc, separators=(",", ":"), allow_nan=False))
