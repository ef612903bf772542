"""Instance-type specs by name, each asked of AWS once and kept a week in .state/cache: a type's vCPUs, memory,
accelerators and architecture are the same in every region and do not change (EC2 API Reference,
DescribeInstanceTypes). launch's plan and its confirm, and the quota usage of every region, share them; the
specs list_instances cached (every type) answer too."""

from __future__ import annotations

import threading

from _awswiz.inventory import instance_types
from _awswiz.shell import cache

CACHE = "type_specs"
_lock = threading.Lock()
_saving = threading.Lock()
_known: dict[str, dict] = {}
_asking: dict[str, threading.Event] = {}  # names a thread is asking AWS about now
_loaded = [False]


def _load() -> None:
    if _loaded[0]:
        return
    with _lock:
        if _loaded[0]:
            return
        every = cache.load(instance_types.CACHE)
        if cache.fresh(every):
            _known.update(every.get("types") or {})
        for name, entry in (cache.load(CACHE).get("types") or {}).items():
            if cache.fresh(entry) and entry.get("spec"):
                _known.setdefault(name, entry["spec"])
        _loaded[0] = True


def get(ec2, names: list[str]) -> dict[str, dict]:
    """{type: spec} for these names: the known ones from memory or the cache, the rest in one DescribeInstanceTypes
    (asked with the given client); a name another thread is asking about is waited for, not asked again. Raises as
    DescribeInstanceTypes does (InvalidInstanceType); a waiter then finds no spec."""
    _load()
    wanted = set(names)
    with _lock:
        mine = sorted(n for n in wanted if n not in _known and n not in _asking)
        _asking.update({n: threading.Event() for n in mine})
        others = [_asking[n] for n in wanted if n not in _known and n not in mine]
    try:
        if mine:
            fetched = instance_types.describe(ec2, mine)
            with _lock:
                _known.update(fetched)
            if fetched:
                today = cache.today()
                with _saving:  # one writer at a time in this process (cache.save's temporary file is per process)
                    cache.save(CACHE, {"types": {**(cache.load(CACHE).get("types") or {}),
                                                 **{n: {"date": today, "spec": s} for n, s in fetched.items()}}})
    finally:
        with _lock:
            for n in mine:
                _asking.pop(n).set()
    for asked in others:
        asked.wait()
    return {n: _known[n] for n in names if n in _known}


def lookup(aws, name: str) -> dict | None:
    """One type's spec, from the cache or asked once (instance_types.lookup through get); None if AWS does not
    know it."""
    return instance_types.lookup(aws, name, get)
