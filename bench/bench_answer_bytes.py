"""Benchmark: bytes of JSON an agent reads (issue 25 item 2 and its Benchmark), per tool, on the sandbox lab (all
20 sandbox regions, as `uv run tools/X.py --sandbox` answers): scan, scan --include-defaults, security,
quota_check and waste. No latency is injected: only sizes are measured, and how many records each answer lists.

Each --tools DIR (default: this checkout's tools/) gets its own state directory, so its own sandbox (the one that
tree's sandbox.py seeds), started by the first tool and stopped at the end. Never talks to real AWS: dummy
credentials, every endpoint on 127.0.0.1.

    uv run --group dev python bench/bench_answer_bytes.py [--tools DIR ...]

To measure the code before a change: `git archive COMMIT tools | tar -x -C /tmp/before` and pass
--tools /tmp/before/tools --tools tools. Prints JSON: per tools dir, per command, bytes and records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import clean_env as test_env  # noqa: E402 - the tests' own: no real credentials or endpoints

COMMANDS = {  # name -> the tool and its flags (each also gets --sandbox)
    "scan": ("scan.py",),
    "scan --include-defaults": ("scan.py", "--include-defaults"),
    "security": ("security.py",),
    "quota_check": ("quota_check.py",),
    "waste": ("waste.py",),
}


def records(name: str, data: dict) -> int:
    """How many things the answer lists (resources and findings; a grouped finding counts its resources)."""
    if name.startswith("scan"):
        return len(data["resources"]) + len(data["findings"])
    if name == "security":
        return sum(f.get("count", 1) for f in data["findings"])
    return len(data.get("quotas") or data.get("items") or [])


def measure(tools: Path) -> dict:
    out = {}
    with tempfile.TemporaryDirectory(prefix="awswiz-bench-bytes-") as tmp:
        env = test_env(AWSWIZ_STATE_DIR=str(Path(tmp) / "state"))
        env.pop("AWS_ENDPOINT_URL", None)  # --sandbox starts this tree's own
        try:
            for name, (tool, *flags) in COMMANDS.items():
                p = subprocess.run([sys.executable, str(tools / tool), "--sandbox", *flags], env=env,
                                   capture_output=True, timeout=900)
                if p.returncode == 2:  # a tree from before the flag
                    continue
                doc = json.loads(p.stdout)
                out[name] = {"bytes": len(p.stdout), "exit": p.returncode, "records": records(name, doc["data"])}
        finally:
            subprocess.run([sys.executable, str(tools / "sandbox.py"), "stop"], env=env, capture_output=True,
                           timeout=120)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", action="append", type=Path, help="a tools/ folder (repeatable; default: ours)")
    args = ap.parse_args()
    print(json.dumps({str(t): measure(t.resolve()) for t in args.tools or [ROOT / "tools"]}, indent=1))


if __name__ == "__main__":
    main()
