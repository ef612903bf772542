"""Every AWSWIZ_* environment variable, listed once: its meaning, default and bounds.

A value that is not a whole number within its bounds is bad input (exit 2, naming the variable and the
valid range), never a traceback and never a silently absurd setting (a token valid for decades).
README.md and AGENTS.md document this same table; tests/test_settings.py keeps them in step.
"""

from __future__ import annotations

import datetime as _dt
import os
from dataclasses import dataclass

from _awswiz.shell.errors import BadInput


@dataclass(frozen=True)
class Setting:
    name: str
    default: int
    low: int
    high: int
    meaning: str


SETTINGS = {s.name: s for s in [
    Setting("AWSWIZ_CONFIRM_TTL", 900, 60, 3600, "seconds a plan's confirmation token stays valid"),
    Setting("AWSWIZ_TIMEOUT", 60, 1, 86400, "default of --timeout: the overall deadline of a run's "
            "discovery, in seconds"),
    Setting("AWSWIZ_READ_TIMEOUT", 20, 1, 300, "seconds to wait for an AWS answer on one attempt"),
    Setting("AWSWIZ_CONNECT_TIMEOUT", 5, 1, 60, "seconds to wait for a connection on one attempt"),
    Setting("AWSWIZ_MAX_ATTEMPTS", 10, 1, 20, "attempts per AWS call (standard retries with backoff)"),
    Setting("AWSWIZ_WORKERS", 32, 1, 256, "threads of the fan-out pool"),
    Setting("AWSWIZ_SANDBOX_IDLE", 14400, 0, 604800, "seconds without use after which the local sandbox stops "
            "itself (0: never)"),
    Setting("AWSWIZ_SHARDS", 0, 0, 64, "processes of a multi-region scan (0: by cores and regions; 1: never "
            "shard)"),
    Setting("AWSWIZ_LEAN", 1, 0, 1, "parse list answers for the members the scan reads only, and skip botocore's "
            "repeated per-request and per-client work (0: botocore as it is)"),
]}
# AWSWIZ_STATE_DIR (a path, not a number) is handled by state.py.
TODAY = "AWSWIZ_TODAY"  # a date, not a number: the calendar day Cost Explorer questions are asked on


def today() -> _dt.date:
    """The UTC calendar day the cost tools ask about (month to date, forecast, the day's cache):
    AWSWIZ_TODAY=YYYY-MM-DD when set (tests freeze it, so no test depends on the day it runs), else today."""
    raw = os.environ.get(TODAY, "").strip()
    if not raw:
        return _dt.datetime.now(_dt.UTC).date()
    try:
        return _dt.date.fromisoformat(raw)
    except ValueError:
        raise BadInput(f"{TODAY}={raw!r} is not valid: it must be a date YYYY-MM-DD (the day the cost tools take "
                       "as today; default: the real UTC date)", f"unset {TODAY} or set it like 2026-11-16") from None


def get(name: str) -> int:
    s = SETTINGS[name]
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return s.default
    try:
        value = int(raw.strip())
    except ValueError:
        value = None
    if value is None or not s.low <= value <= s.high:
        raise BadInput(f"{name}={raw!r} is not valid: it must be a whole number from {s.low} to {s.high} "
                       f"({s.meaning}; default {s.default})", f"unset {name} or set it within {s.low}..{s.high}")
    return value


def check_all() -> None:
    """Validate every AWSWIZ_* variable at start-up, so a bad one fails before anything is sent."""
    for name in SETTINGS:
        get(name)
    today()
