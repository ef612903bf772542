"""Make the fellow cost report against the sandbox's two fellow accounts and screenshot its HTML page with
headless Chromium (Debian package `chromium`), offline, into bench/fellow_costs.png (shown in README).

    uv run --group dev python bench/report_screenshot.py [--out bench/fellow_costs.png]

A throw-away state directory holds the sandbox and the report; the sandbox is stopped at the end. Chromium
runs with networking features off and a fresh profile, so the page is proven to draw its chart without a CDN.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FELLOWS = """[[fellow]]
name = "ada"
account = "210987654321"
role_arn = "arn:aws:iam::210987654321:role/awswiz-auditor"
monthly_budget = 2500.0
credits = 20000.0

[[fellow]]
name = "grace"
account = "345678901234"
role_arn = "arn:aws:iam::345678901234:role/awswiz-auditor"
credits = 2000.0
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=str(ROOT / "bench" / "fellow_costs.png"))
    args = ap.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        sys.exit("chromium not found: apt-get install -y chromium")
    state = Path(tempfile.mkdtemp(prefix="awswiz-report-"))
    os.chmod(state, 0o700)
    (state / "fellows.toml").write_text(FELLOWS)
    os.chmod(state / "fellows.toml", 0o600)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AWSWIZ_"))}
    env["AWSWIZ_STATE_DIR"] = str(state)
    tool = [sys.executable, str(ROOT / "tools" / "fellow_costs.py"), "--sandbox", "--months", "6"]
    try:
        p = subprocess.run(tool, env=env, capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            sys.exit(f"fellow_costs.py exited {p.returncode}: {p.stderr[-2000:]}")
        page = Path(json.loads(p.stdout)["data"]["files"]["html"])
        profile = tempfile.mkdtemp(prefix="awswiz-chromium-")
        shot = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               f"--user-data-dir={profile}", f"--screenshot={args.out}", "--window-size=1200,900",
                               "--virtual-time-budget=5000", page.as_uri()],
                              capture_output=True, text=True, timeout=120)
        shutil.rmtree(profile, ignore_errors=True)
        if shot.returncode != 0 or not Path(args.out).exists():
            sys.exit(f"chromium failed: {shot.stderr[-2000:]}")
        print(f"{args.out} ({Path(args.out).stat().st_size} bytes) from {page}")
        return 0
    finally:
        subprocess.run([sys.executable, str(ROOT / "tools" / "sandbox.py"), "stop"], env=env, capture_output=True,
                       timeout=60)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
