"""Fan-out: many independent AWS calls on one bounded thread pool.

A call that fails becomes an error entry {code, message, hint, region} and never ends the run. A task
may submit follow-up tasks (say, one per bucket after ListBuckets): they join the same pool at once,
so the run takes as long as its slowest chain of dependent calls, not the sum of its calls.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .errors import classify


class FanOut:
    def __init__(self, workers: int, progress=None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="awswiz")
        self._progress = progress
        self._pending = 0
        self._cond = threading.Condition()
        self.results: dict[Hashable, Any] = {}
        self.errors: list[dict] = []

    def submit(self, key: Hashable, fn: Callable[[], Any], region: str | None = None, what: str = "") -> None:
        with self._cond:
            self._pending += 1
        if self._progress is not None:
            self._progress.add_total(1)
        self._pool.submit(self._call, key, fn, region, what)

    def _call(self, key, fn, region, what) -> None:
        try:
            value = fn()
            with self._cond:
                self.results[key] = value
        except BaseException as exc:  # noqa: BLE001 - every failure becomes an error entry
            # a task that learns its region late (a bucket's) may say so on the exception
            entry = classify(exc, getattr(exc, "awswiz_region", None) or region, what)
            with self._cond:
                self.errors.append(entry)
        finally:
            if self._progress is not None:
                self._progress.advance()
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    def wait(self) -> tuple[dict, list[dict]]:
        """Wait for every task, follow-ups included; return (results, collapsed errors)."""
        with self._cond:
            while self._pending:
                self._cond.wait()
        self._pool.shutdown(wait=True)
        return self.results, collapse(self.errors)


def collapse(errors: list[dict]) -> list[dict]:
    """One entry per (region, code): a region that refuses credentials is one error, not forty."""
    out: dict[tuple, dict] = {}
    for e in errors:
        k = (e.get("region"), e["code"])
        if k in out:
            out[k]["calls"] = out[k].get("calls", 1) + 1
        else:
            out[k] = dict(e)
    return list(out.values())
