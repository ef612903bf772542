"""The loop bench_launch and bench_network share: a changing tool's plan, then its confirm, timed as the agent runs
them (a subprocess each, from an empty state directory, behind bench/proxy.py's latency), with the calls each made
as the sandbox counted them, after one warm-up plan (the sandbox and the OS, not our caches)."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import RESULTS, TOOLS, clean_env  # noqa: E402 - the scan benchmark's processes


def run(tool: str, endpoint: str, state: Path, *args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    p = subprocess.run([sys.executable, str(TOOLS / f"{tool}.py"), *args], capture_output=True, text=True,
                       env=clean_env(AWS_ENDPOINT_URL=endpoint, AWSWIZ_STATE_DIR=str(state)), timeout=600)
    took = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"{tool}.py {' '.join(args)} exited {p.returncode}: {p.stdout[-800:]} {p.stderr[-800:]}")
    return took, json.loads(p.stdout)


def measure(tool: str, sandbox, proxy, tmp: Path, repeat: int, args: Callable[[int], tuple[str, ...]]) -> dict:
    """args(n): the tool's arguments for repeat n (n = -1: the warm-up plan). Stops proxy and sandbox at the end."""
    rows: dict[str, list[float]] = {"plan": [], "confirm": []}
    calls: dict[str, Counter] = {"plan": Counter(), "confirm": Counter()}
    try:
        for n in range(-1, repeat):
            state = tmp / f"state{n}"
            state.mkdir(mode=0o700)
            if n < 0:
                run(tool, proxy.url, state, *args(n))
                continue
            mark = sandbox.mark()
            took, plan = run(tool, proxy.url, state, *args(n))
            rows["plan"].append(took)
            if n == 0:
                calls["plan"] = Counter(c["action"] for c in sandbox.calls(mark))
            mark = sandbox.mark()
            took, _ = run(tool, proxy.url, state, *args(n), "--confirm", plan["data"]["confirm"])
            rows["confirm"].append(took)
            if n == 0:
                calls["confirm"] = Counter(c["action"] for c in sandbox.calls(mark))
    finally:
        proxy.stop()
        sandbox.stop()
    rows["plan+confirm"] = [p + c for p, c in zip(rows["plan"], rows["confirm"], strict=True)]
    calls["plan+confirm"] = calls["plan"] + calls["confirm"]
    return {"median_s": {k: round(statistics.median(v), 2) for k, v in rows.items()},
            "runs_s": {k: [round(x, 2) for x in v] for k, v in rows.items()},
            "calls": {k: sum(v.values()) for k, v in calls.items()},
            "calls_by_operation": {k: dict(v.most_common()) for k, v in calls.items()}}


def report(name: str, out: dict) -> None:
    """The table on stdout, the JSON in bench/results/<name>-<time>.json."""
    print(f"{'step':<12} {'median s':>9} {'calls':>6}  runs")
    for k in out["median_s"]:
        print(f"{k:<12} {out['median_s'][k]:>9} {out['calls'][k]:>6}  {out['runs_s'][k]}")
    for k, v in out["calls_by_operation"].items():
        print(f"{k}: {v}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(out, indent=1))
