"""Answers for the APIs moto lacks, given in front of moto from seeded state.

A handler is registered for a JSON-protocol target (X-Amz-Target, e.g.
"ServiceQuotasV20190624.GetServiceQuota") or a query-protocol action ("ec2:RunInstances"). It gets
(params, region, state) and returns a dict (the response), raises ApiError, or returns PASS to let
moto answer. `state` is the sandbox's own mutable store; `reset()` rebuilds it from the seeders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

PASS = object()
HANDLERS: dict[str, Callable[[dict, str, dict], Any]] = {}
SEEDERS: list[Callable[[dict], None]] = []  # each fills its part of the fresh state
STATE: dict[str, Any] = {}
SERIALS: dict[str, int] = {}  # the next number of each id sequence (a reset keeps them: ids are never reused)
LOCK = threading.RLock()
NOTES: list[Callable[[dict], None]] = []  # the server's call log: what the sandbox saw besides API calls (note)


def note(entry: dict) -> None:
    """Put an event that is no API call (an SSH forward by a stand-in) in the server's calls, for tests to see."""
    for fn in NOTES:
        fn(entry)


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def handles(*keys: str, chained: bool = False):
    """Register fn for keys. A second module registering the same key must say it chains in front of the
    first (chained=True, calling it); a silent replacement would drop the first module's rules."""
    def deco(fn):
        for k in keys:
            if k in HANDLERS and not chained:
                raise RuntimeError(f"sandbox handler for {k} registered twice; chain it (handles(..., chained=True))")
            HANDLERS[k] = fn
        return fn

    return deco


def next_serial(name: str, start: int) -> int:
    """The next number of the id sequence `name` (the first is start)."""
    with LOCK:
        n = SERIALS.get(name, start)
        SERIALS[name] = n + 1
        return n


def seeder(fn: Callable[[dict], None]):
    SEEDERS.append(fn)
    return fn


def reset() -> None:
    with LOCK:
        STATE.clear()
        for fn in SEEDERS:
            fn(STATE)

