"""Benchmark: launch.py's plan and confirm on the sandbox behind bench/proxy.py (a fixed latency per call), with
the calls each makes, counted by the sandbox. Runs the tool as the agent does (a subprocess, bytecode cached,
a warm-up plan first in a state directory of its own); each repeat starts from an empty state directory, so its
plan is an agent's first (nothing cached: prices, instance-type specs). Never talks to real AWS.

    uv run --group dev python bench/bench_launch.py [--latency-ms 100] [--repeat 3] [--region us-east-1] [--extras]

--extras adds issue 24's flags: --role s3-read:bench-data --secret bench/token=HF_TOKEN --idle-stop 1h (the secret
is stored in the sandbox first).

Prints a table and writes JSON to bench/results/launch-<time>.json.
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
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--extras", action="store_true", help="with --role, --secret and --idle-stop")
    opts = ap.parse_args()
    extras = ("--role", "s3-read:bench-data", "--secret", "bench/token=HF_TOKEN", "--idle-stop", "1h") \
        if opts.extras else ()
    tmp = Path(tempfile.mkdtemp(prefix="awswiz-bench-launch-"))
    sandbox = Sandbox(tmp / "sandbox")
    proxy = Proxy(sandbox.url, opts.latency_ms)
    if extras:
        import boto3

        boto3.client("secretsmanager", region_name=opts.region, endpoint_url=sandbox.url, aws_access_key_id="x",
                     aws_secret_access_key="x").create_secret(Name="bench/token", SecretString="not-a-secret")

    def launch(n: int) -> tuple[str, ...]:  # n = -1: the warm-up plan
        if n < 0:
            return ("--type", "g5.xlarge", "--region", opts.region, "--name", "bench-warm")
        return ("--type", "g5.xlarge", "--region", opts.region, "--name", f"bench-{n}", "--no-wait", *extras)

    out = {"latency_ms": opts.latency_ms, "region": opts.region, "repeat": opts.repeat, "extras": list(extras),
           **measure("launch", sandbox, proxy, tmp, opts.repeat, launch)}
    report("launch", out)


if __name__ == "__main__":
    main()
