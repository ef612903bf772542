"""Benchmark: waste.py --region all against the seeded sandbox with a fixed latency per call (issue 11).

Starts a seeded sandbox and bench/proxy.py in front of it (bench_scan.py's helpers), then runs
`waste.py --region all` as the agent does (a subprocess, a warm-up run first, bytecode cached) and reports its
wall time (and, alternating run by run, scan.py --region all's, for scale), the calls it made (counted by the
sandbox, by operation), the sum of their latencies (what a sequential loop would pay for latency alone), the
items per kind and the total, and a run with one region refusing credentials (exit 3, that region's errors, the
other regions' items intact). Never talks to real AWS.

    uv run --group dev python bench/bench_waste.py [--latency-ms 100] [--repeat 3]

Prints a summary and writes the JSON results to bench/results/waste-<time>.json.
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


def run(endpoint: str, state: Path, *args: str, tool: str = "waste") -> tuple[float, int, dict]:
    return run_all_regions(tool, endpoint, state, *args)


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
                run(proxy.url, tmp / "st")  # warm-up: bytecode, uv's environment, the price cache
                run(proxy.url, tmp / "st", tool="scan")
                times, scans, ops = [], [], Counter()
                for _ in range(a.repeat):  # alternating with scan.py --region all, the same conditions
                    mark = sandbox.mark()
                    wall, code, doc = run(proxy.url, tmp / "st")
                    assert code == 0, doc["errors"]
                    times.append(wall)
                    ops = Counter(c["action"] or c["service"] for c in sandbox.calls(mark))
                    scans.append(run(proxy.url, tmp / "st", tool="scan")[0])
            with Proxy(sandbox.url, a.latency_ms, deny=("eu-west-1",)) as proxy:
                dwall, dcode, ddoc = run(proxy.url, tmp / "st")
        finally:
            sandbox.stop()
    calls = sum(ops.values())
    kinds = Counter(i["kind"] for i in doc["data"]["items"])
    r = {"latency_ms": a.latency_ms, "regions": len(doc["data"]["regions"]),
         "wall_s": [round(t, 2) for t in times], "median_s": round(statistics.median(times), 2), "calls": calls,
         "scan_wall_s": [round(t, 2) for t in scans], "scan_median_s": round(statistics.median(scans), 2),
         "latency_sum_s": round(calls * a.latency_ms / 1000, 1), "operations": dict(ops.most_common()),
         "items": dict(kinds), "monthly_usd": doc["data"]["totals"]["monthly_usd"],
         "denied_region": {"exit": dcode, "wall_s": round(dwall, 2),
                           "error_regions": sorted({e.get("region") or "" for e in ddoc["errors"]}),
                           "items": len(ddoc["data"]["items"])}}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"waste-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(r, indent=2))
    print(f"waste.py --region all: {r['regions']} regions, {sum(kinds.values())} items, ${r['monthly_usd']}/month")
    print(f"  wall median {r['median_s']} s of {r['wall_s']}; {calls} calls; their latency summed "
          f"{r['latency_sum_s']} s; GetMetricData {ops.get('GetMetricData', 0)}, ListMetrics "
          f"{ops.get('ListMetrics', 0)}")
    print(f"  scan.py --region all in the same conditions: median {r['scan_median_s']} s of {r['scan_wall_s']}")
    print(f"  eu-west-1 refusing credentials: exit {dcode}, errors in {r['denied_region']['error_regions']}, "
          f"{r['denied_region']['items']} items elsewhere, {r['denied_region']['wall_s']} s")
    print(f"written to {out}")


if __name__ == "__main__":
    main()
