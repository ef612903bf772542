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
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import RESULTS, TOOLS, Proxy, Sandbox, clean_env  # noqa: E402 - the scan benchmark's processes


def run(endpoint: str, state: Path, *args: str) -> tuple[float, dict]:
    start = time.perf_counter()
    p = subprocess.run([sys.executable, str(TOOLS / "launch.py"), *args], capture_output=True, text=True,
                       env=clean_env(AWS_ENDPOINT_URL=endpoint, AWSWIZ_STATE_DIR=str(state)), timeout=600)
    took = time.perf_counter() - start
    if p.returncode != 0:
        raise RuntimeError(f"launch.py {' '.join(args)} exited {p.returncode}: {p.stdout[-800:]} {p.stderr[-800:]}")
    return took, json.loads(p.stdout)


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
    rows = {"plan": [], "confirm": []}
    calls: dict[str, Counter] = {"plan": Counter(), "confirm": Counter()}
    try:
        for n in range(-1, opts.repeat):
            state = tmp / f"state{n}"
            state.mkdir(mode=0o700)
            if n < 0:  # warm-up: the sandbox and the OS, not our caches
                run(proxy.url, state, "--type", "g5.xlarge", "--region", opts.region, "--name", "bench-warm")
                continue
            args = ("--type", "g5.xlarge", "--region", opts.region, "--name", f"bench-{n}", "--no-wait", *extras)
            mark = sandbox.mark()
            took, plan = run(proxy.url, state, *args)
            rows["plan"].append(took)
            if n == 0:
                calls["plan"] = Counter(c["action"] for c in sandbox.calls(mark))
            mark = sandbox.mark()
            took, _ = run(proxy.url, state, *args, "--confirm", plan["data"]["confirm"])
            rows["confirm"].append(took)
            if n == 0:
                calls["confirm"] = Counter(c["action"] for c in sandbox.calls(mark))
    finally:
        proxy.stop()
        sandbox.stop()
    rows["plan+confirm"] = [p + c for p, c in zip(rows["plan"], rows["confirm"], strict=True)]
    calls["plan+confirm"] = calls["plan"] + calls["confirm"]
    out = {"latency_ms": opts.latency_ms, "region": opts.region, "repeat": opts.repeat, "extras": list(extras),
           "median_s": {k: round(statistics.median(v), 2) for k, v in rows.items()},
           "runs_s": {k: [round(x, 2) for x in v] for k, v in rows.items()},
           "calls": {k: sum(v.values()) for k, v in calls.items()},
           "calls_by_operation": {k: dict(v.most_common()) for k, v in calls.items()}}
    print(f"{'step':<12} {'median s':>9} {'calls':>6}  runs")
    for k in rows:
        print(f"{k:<12} {out['median_s'][k]:>9} {out['calls'][k]:>6}  {out['runs_s'][k]}")
    for k, v in out["calls_by_operation"].items():
        print(f"{k}: {v}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"launch-{time.strftime('%Y%m%dT%H%M%S')}.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
