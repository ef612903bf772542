"""Shard a scan's regions over worker processes: one GIL per core.

A scan is CPU-bound (botocore's per-call work: events, signing, parsing); threads of one process share
one GIL. When a scan spans enough regions to pay for it, the regions are split over forked children
(as many as cores, bounded), each with its own clients and fan-out pool, and the results are merged:
records, error entries (one per region and code, their calls added), the count of calls that
succeeded, fan-out STATS, the deadline's hit mark, and progress (each child reports the tasks it adds
and finishes, as they happen). The parent keeps the global rows and the first share of regions.

A child stops at the run's deadline like the parent (same monotonic clock, inherited), reporting its
unfinished tasks as Timeout errors; a child that does not answer within a grace period after the
deadline, or dies, becomes one error entry per region it held. Fork is used, not spawn: the child
inherits the imported modules and the cached client classes and models (aws/client.py), so it starts in
milliseconds; where fork does not exist (Windows), the scan stays in one process.
"""

from __future__ import annotations

import os
import pickle
import signal
import struct
import threading
from collections.abc import Callable

from _awswiz.aws import fanout
from _awswiz.shell import deadline, settings
from _awswiz.shell.errors import classify, error_entry

MIN_REGIONS = 6  # fewer regions: one process (a fork and a second set of clients would not pay)
REGIONS_PER_SHARD = 3
MAX_SHARDS = 8
GRACE_S = 5.0  # a child answers this long after the deadline at the latest (it stops at the deadline)


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def count(n_regions: int) -> int:
    """How many processes for a scan of n regions: AWSWIZ_SHARDS when set (1: never shard), else as
    many as cores, at most MAX_SHARDS and one per REGIONS_PER_SHARD regions, and 1 below MIN_REGIONS."""
    if not hasattr(os, "fork") or n_regions < 2:
        return 1
    forced = settings.get("AWSWIZ_SHARDS")
    if forced:
        return min(forced, n_regions)
    if n_regions < MIN_REGIONS:
        return 1
    return max(1, min(cores(), MAX_SHARDS, n_regions // REGIONS_PER_SHARD))


def split(regions: list[str], n: int) -> list[list[str]]:
    return [regions[i::n] for i in range(n)]


class _PipeProgress:
    """The child's progress: each task added or finished is one small message to the parent."""

    def __init__(self, send):
        self._send = send

    def add_total(self, n: int) -> None:
        self._send(("add", n))

    def advance(self, n: int = 1) -> None:
        self._send(("adv", n))


def _writer(fd: int):
    lock = threading.Lock()

    def send(msg) -> None:
        data = pickle.dumps(msg, protocol=pickle.HIGHEST_PROTOCOL)
        with lock:
            os.write(fd, struct.pack("!Q", len(data)))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]

    return send


def _read_exact(f, n: int) -> bytes | None:
    data = f.read(n)
    return data if data and len(data) == n else None


class Child:
    """One forked shard. work(progress) -> (records, errors, succeeded) runs in the child."""

    def __init__(self, regions: list[str], work: Callable, progress, accounts: list[str] | None = None):
        self.regions = regions
        self.accounts = accounts or []  # a run of several accounts: the accounts this shard held
        self.result: tuple | None = None
        self.failure: dict | None = None
        self._done = threading.Event()
        r, w = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            os.close(r)
            _child_main(w, work)
        os.close(w)
        self._progress = progress
        self._reader = threading.Thread(target=self._read, args=(os.fdopen(r, "rb"),), daemon=True,
                                        name="awswiz-shard")
        self._reader.start()

    def _read(self, f) -> None:
        with f:
            while (head := _read_exact(f, 8)) is not None:
                body = _read_exact(f, struct.unpack("!Q", head)[0])
                if body is None:
                    break
                kind, value = pickle.loads(body)
                if kind == "add":
                    self._progress.add_total(value)
                elif kind == "adv":
                    self._progress.advance(value)
                elif kind == "done":
                    self.result = value
                elif kind == "failed":
                    self.failure = value
        self._done.set()

    def join(self) -> tuple[list[dict], list[dict], int]:
        """The child's (records, errors, succeeded); a child that died or never answered becomes one
        error entry per region it held, counted as failed calls."""
        left = deadline.remaining()
        answered = self._done.wait(None if left is None else left + GRACE_S)
        if not answered:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        if self.result is not None:
            records, errors, succeeded, stats, hit = self.result
            fanout.STATS["ok"] += stats["ok"]
            fanout.STATS["failed"] += stats["failed"]
            if hit:
                deadline.mark_hit()
            return records, errors, succeeded
        fanout.STATS["failed"] += len(self.regions)
        held = {"accounts": self.accounts} if self.accounts else {}
        if not answered or (deadline.remaining() == 0):
            deadline.mark_hit()
            return [], [error_entry("Timeout", deadline.message("scan") + f" in {r}",
                                    "raise --timeout, or narrow --region", r, **held) for r in self.regions], 0
        base = self.failure or error_entry("InternalError", "a scan worker process ended without an answer",
                                           "run again with AWSWIZ_SHARDS=1")
        return [], [dict(base, region=r, **held) for r in self.regions], 0


def _child_main(fd: int, work: Callable) -> None:
    send = _writer(fd)
    code = 0
    try:
        before = dict(fanout.STATS)
        records, errors, succeeded = work(_PipeProgress(send))
        stats = {k: fanout.STATS[k] - before[k] for k in before}
        send(("done", (records, errors, succeeded, stats, deadline.was_hit())))
    except BaseException as exc:  # noqa: BLE001 - whatever happens, the parent gets an answer
        code = 1
        try:
            send(("failed", classify(exc)))
        except BaseException:  # noqa: BLE001
            pass
    finally:
        os._exit(code)  # no atexit handlers, no buffered output of the parent's written twice


def merge_errors(groups: list[list[dict]]) -> list[dict]:
    """Error entries of several fan-outs, one per (account, region, code), their calls added up (as
    fanout.collapse does within one fan-out)."""
    out: dict[tuple, dict] = {}
    for group in groups:
        for e in group:
            k = (e.get("account"), e.get("region"), e["code"])
            if k in out:
                out[k]["calls"] = out[k].get("calls", 1) + e.get("calls", 1)
            else:
                out[k] = dict(e)
    return list(out.values())
