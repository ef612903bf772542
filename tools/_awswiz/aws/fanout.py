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

from _awswiz.shell import deadline
from _awswiz.shell.errors import classify, error_entry

STATS = {"ok": 0, "failed": 0}  # every fan-out of this run: cli.run exits 1 when nothing succeeded


class FanOut:
    def __init__(self, workers: int, progress=None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="awswiz")
        self._progress = progress
        self._pending = 0
        self._running: dict[int, tuple[str | None, str, str | None]] = {}  # task number -> (region, what, account)
        self._n = 0
        self._cond = threading.Condition()
        self.results: dict[Hashable, Any] = {}
        self.errors: list[dict] = []

    def submit(self, key: Hashable, fn: Callable[[], Any], region: str | None = None, what: str = "",
               account: str | None = None) -> None:
        """account: in a run of several accounts, the account the call is made in (its error names it)."""
        with self._cond:
            self._pending += 1
            self._n += 1
            n = self._n
            self._running[n] = (region, what or str(key), account)
        if self._progress is not None:
            self._progress.add_total(1)
        self._pool.submit(self._call, n, key, fn, region, what, account)

    def _call(self, n, key, fn, region, what, account=None) -> None:
        try:
            value = fn()
            with self._cond:
                self.results[key] = value
                STATS["ok"] += 1
        except BaseException as exc:  # noqa: BLE001 - every failure becomes an error entry
            # a task that learns its region late (a bucket's) may say so on the exception
            entry = classify(exc, getattr(exc, "awswiz_region", None) or region, what)
            if account:
                entry["account"] = account
                entry["message"] = f"account {account}: {entry['message']}"
            with self._cond:
                self.errors.append(entry)
                STATS["failed"] += 1
        finally:
            if self._progress is not None:
                self._progress.advance()
            with self._cond:
                self._running.pop(n, None)
                self._pending -= 1
                self._cond.notify_all()

    def wait(self) -> tuple[dict, list[dict]]:
        """Wait for every task, follow-ups included, or until the run's deadline; return (results,
        collapsed errors). Tasks unfinished at the deadline become Timeout errors, one per region."""
        with self._cond:
            while self._pending:
                left = deadline.remaining()
                if left is not None and left <= 0:
                    break
                self._cond.wait(timeout=left)
            late = list(self._running.values())
            results, errors = dict(self.results), list(self.errors)
            STATS["failed"] += len(late)
        for region, what, account in late:
            errors.append(error_entry("Timeout", (f"account {account}: " if account else "") + deadline.message(what)
                                      + (f" in {region}" if region else ""), "raise --timeout, or narrow --region",
                                      region, account=account))
        if late:
            deadline.mark_hit()  # threads still blocked on the network are abandoned, not joined
            self._pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool.shutdown(wait=True)
        return results, collapse(errors)


def collapse(errors: list[dict]) -> list[dict]:
    """One entry per (account, region, code): a region that refuses credentials is one error, not forty."""
    out: dict[tuple, dict] = {}
    for e in errors:
        k = (e.get("account"), e.get("region"), e["code"])
        if k in out:
            out[k]["calls"] = out[k].get("calls", 1) + 1
        else:
            out[k] = dict(e)
    return list(out.values())
