"""Benchmark: a cold `--sandbox` start (issue 25 item 8): how long the first answer of a tool takes when no sandbox
is running, with no saved seed (the sandbox seeds the demo lab through the API, then saves it) and with the seed
saved by an earlier start today (the sandbox restores it: sandbox/snapshot.py).

Each run takes a fresh state directory, then: (1) `scan.py --sandbox --region us-east-1 --service ec2:instance`
(the tool starts the sandbox, as an agent's first call does) and the time to its answer; (2) `sandbox.py stop`;
(3) the same scan again in the same state directory (the saved seed is there now); (4) stop. The sandbox's log
lines (seeded or restored, in how long) and any traceback in it are reported. The tools run with the interpreter
that runs this script (no `uv run` in the timing); bytecode is written as on a user's machine (a warm-up run
first). Never talks to real AWS: dummy credentials, every endpoint on 127.0.0.1.

    uv run --group dev python bench/bench_sandbox_start.py [--runs 3] [--tools DIR]

--tools points at another checkout's tools/ (to measure the code before a change). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import clean_env as test_env  # noqa: E402 - the tests' own: no real credentials or endpoints

SCAN = ("scan.py", "--sandbox", "--region", "us-east-1", "--service", "ec2:instance")


def env_for(state: Path) -> dict:
    env = test_env(AWSWIZ_STATE_DIR=str(state))
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: bytecode is cached after the first run
    env.pop("AWS_ENDPOINT_URL", None)  # --sandbox finds or starts its own
    return env


def first_answer(tools: Path, state: Path) -> float:
    started = time.perf_counter()
    p = subprocess.run([sys.executable, str(tools / SCAN[0]), *SCAN[1:]], env=env_for(state), capture_output=True,
                       text=True, timeout=600)
    took = time.perf_counter() - started
    if p.returncode != 0 or not json.loads(p.stdout).get("ok"):
        raise RuntimeError(f"scan failed ({p.returncode}): {p.stderr[-1500:]}")
    return took


def stop(tools: Path, state: Path) -> None:
    subprocess.run([sys.executable, str(tools / "sandbox.py"), "stop"], env=env_for(state), capture_output=True,
                   timeout=60)


def one_run(tools: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="awswiz-bench-start-") as tmp:
        state = Path(tmp) / "state"
        out = {"no_saved_seed_s": round(first_answer(tools, state), 2)}
        stop(tools, state)
        out["saved_seed_s"] = round(first_answer(tools, state), 2)
        stop(tools, state)
        log = (state / "sandbox.log").read_text(errors="replace")
        out["log"] = [ln for ln in log.splitlines() if ln.startswith("sandbox")]
        out["tracebacks"] = log.count("Traceback")
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--tools", type=Path, default=ROOT / "tools")
    args = ap.parse_args()
    tools = args.tools.resolve()
    with tempfile.TemporaryDirectory(prefix="awswiz-bench-warm-") as tmp:  # bytecode cached, as after a first use
        first_answer(tools, Path(tmp) / "state")
        stop(tools, Path(tmp) / "state")
    runs = [one_run(tools) for _ in range(args.runs)]
    summary = {k: statistics.median(r[k] for r in runs) for k in ("no_saved_seed_s", "saved_seed_s")}
    print(json.dumps({"tools": str(tools), "runs": runs, "median": summary, "load": os.getloadavg()[0],
                      "cpus": os.cpu_count()}, indent=2))


if __name__ == "__main__":
    main()
