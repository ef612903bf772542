"""Benchmark: network.py create's plan and confirm on the sandbox behind bench/proxy.py (a fixed latency per call),
with the calls each makes, counted by the sandbox. Runs the tool as the agent does (a subprocess, bytecode cached,
a warm-up plan first); each repeat creates a network of its own (its own name and block) from an empty state
directory, so its plan is an agent's first (no list price cached). Never talks to real AWS.

    uv run --group dev python bench/bench_network.py [--latency-ms 100] [--repeat 3] [--region eu-central-1]
        [--azs 2] [--nat per-az]

Prints a table and writes JSON to bench/results/network-<time>.json.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import Proxy, Sandbox  # noqa: E402 - the scan benchmark's processes
from plan_confirm import measure, report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--region", default="eu-central-1")
    ap.add_argument("--azs", default="2")
    ap.add_argument("--nat", default="per-az")
    opts = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="awswiz-bench-network-"))
    sandbox = Sandbox(tmp / "sandbox")
    proxy = Proxy(sandbox.url, opts.latency_ms)

    def create(n: int) -> tuple[str, ...]:  # each repeat a network of its own (name and block)
        return ("create", "--name", f"bench-net-{n + 1}", "--cidr", f"10.{200 + n}.0.0/16", "--azs", opts.azs,
                "--nat", opts.nat, "--s3-endpoint", "--region", opts.region)

    out = {"latency_ms": opts.latency_ms, "region": opts.region, "repeat": opts.repeat, "azs": opts.azs,
           "nat": opts.nat, **measure("network", sandbox, proxy, tmp, opts.repeat, create)}
    report("network", out)


if __name__ == "__main__":
    main()
