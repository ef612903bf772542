"""Find the local sandbox, or start it through `uv run tools/sandbox.py serve --detach`.

moto stays out of every other tool's dependencies: only tools/sandbox.py declares it. The tools
never special-case the sandbox: they only see AWS_ENDPOINT_URL and dummy credentials.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from _awswiz.shell import hints, state
from _awswiz.shell.errors import AwsWizError
from _awswiz.shell.output import warn
from _awswiz.shell.state import TOOLS_DIR, state_dir


def info_path() -> Path:
    return state_dir() / "sandbox.json"


def read_info() -> dict | None:
    try:
        return json.loads(state.read_text(info_path()))
    except (OSError, ValueError):
        return None


def health(url: str, timeout: float = 5.0) -> dict | None:
    """The sandbox's health, or None. A dead one refuses at once; a live one busy with other tools' calls may
    take seconds (the moto server is one process): 1 s made a busy sandbox look dead, and the tool then tried
    to start a second one (SandboxUnavailable) when four tools ran at once (tests/test_next_runs.py)."""
    try:
        with urllib.request.urlopen(f"{url}/_awswiz/health", timeout=timeout) as r:
            return json.loads(r.read())
    except (OSError, ValueError):
        return None


def running() -> dict | None:
    """The sandbox info if a sandbox answers at the recorded address, else None."""
    info = read_info()
    if info and (h := health(info["url"])) and h.get("ok"):
        return {**info, **h}
    return None


def start_command() -> list[str]:
    script = str(TOOLS_DIR / "sandbox.py")
    uv = shutil.which("uv")
    if uv:
        return [uv, "run", "--quiet", script, "serve", "--detach"]
    return [sys.executable, script, "serve", "--detach"]


def ensure_sandbox(while_starting=None) -> str:
    """The sandbox's URL, starting and seeding it first if it is not running (while_starting() is called as it
    starts: the run's own preparations meanwhile)."""
    if info := running():
        return info["url"]
    import fcntl

    with state.open_private(state_dir() / "sandbox.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two tools started at once start one sandbox
        if info := running():
            return info["url"]
        warn("starting the local sandbox (the first start installs moto, then seeds the demo lab)...")
        if while_starting is not None:
            while_starting()
        proc = subprocess.run(start_command(), stdout=subprocess.PIPE, stderr=sys.stderr, timeout=600)
        if proc.returncode != 0 or not (info := running()):
            raise AwsWizError("the local sandbox did not start",
                              "see why (its log is .state/sandbox.log): " + hints.command(None, "sandbox", "serve"),
                              code="SandboxUnavailable")
        return info["url"]
