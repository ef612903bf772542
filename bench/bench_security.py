"""Benchmark: security.py --region all against the seeded sandbox with a fixed latency per call (issue 12).

Starts a seeded sandbox and bench/proxy.py in front of it (bench_scan.py's helpers), then runs
`security.py --region all` as the agent does (a subprocess, a warm-up run first, bytecode cached) and reports
its wall time, the calls it made (counted by the sandbox), the sum of their latencies (what a sequential
loop would pay for latency alone), the findings per check, and a run with one region refusing credentials
(exit 3, that region's errors, the other regions' findings intact). Never talks to real AWS.

    uv run --group dev python bench/bench_security.py [--latency-ms 100] [--repeat 3]

Prints a table and writes the JSON results to bench/results/security-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import RESULTS, Proxy, Sandbox, run_all_regions  # noqa: E402 - the scan benchmark's helpers


def run(endpoint: str, state: Path, *args: str) -> tuple[float, int, dict]:
    return run_all_regions("security", endpoint, state, *args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sandbox = Sandbox(tmp / "sandbox")
        try:
            with Proxy(sandbox.url, a.latency_ms) as proxy:
                run(proxy.url, tmp / "st")  # warm-up: bytecode, uv's environment
                times, calls = [], 0
                for _ in range(a.repeat):
                    mark = sandbox.mark()
                    wall, code, doc = run(proxy.url, tmp / "st")
                    assert code == 0, doc["errors"]
                    times.append(wall)
                    calls = len(sandbox.calls(mark))
            with Proxy(sandbox.url, a.latency_ms, deny=("eu-west-1",)) as proxy:
                dwall, dcode, ddoc = run(proxy.url, tmp / "st")
        finally:
            sandbox.stop()
    found = Counter(f["check"] for f in doc["data"]["findings"])
    r = {"latency_ms": a.latency_ms, "regions": len(doc["data"]["regions"]), "checks": len(doc["data"]["checks_run"]),
         "wall_s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2), "calls": calls,
         "latency_sum_s": round(calls * a.latency_ms / 1000, 1), "findings": dict(found),
         "denied_region": {"exit": dcode, "wall_s": round(dwall, 2),
                           "error_regions": sorted({e.get("region") or "" for e in ddoc["errors"]}),
                           "findings": len(ddoc["data"]["findings"])}}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"security-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(r, indent=2))
    print(f"security.py --region all: {r['regions']} regions, {r['checks']} checks, {sum(found.values())} findings")
    print(f"  wall median {r['median_s']} s of {r['wall_s']}; {calls} calls; "
          f"their latency summed {r['latency_sum_s']} s")
    print(f"  eu-west-1 refusing credentials: exit {dcode}, errors in {r['denied_region']['error_regions']}, "
          f"{r['denied_region']['findings']} findings elsewhere, {r['denied_region']['wall_s']} s")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
