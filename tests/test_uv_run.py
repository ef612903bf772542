"""Each tool runs once through real `uv run`, so its PEP 723 block is what resolves its imports."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from conftest import ROOT, TOOLS, clean_env

UV = shutil.which("uv")
TOOLS_LIST = sorted(p.name for p in TOOLS.glob("*.py") if not p.name.startswith("_"))
pytestmark = pytest.mark.skipif(UV is None, reason="uv is not installed")


def uv_run(*args: str, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    e = clean_env(**(env or {}))
    e.pop("VIRTUAL_ENV", None)  # the script's own environment, not the test venv
    return subprocess.run([UV, "run", "--quiet", "--no-project", *args], cwd=ROOT, env=e, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("tool", TOOLS_LIST)
def test_help_through_uv_run(tool):
    p = uv_run(f"tools/{tool}", "--help")
    assert p.returncode == 0, p.stderr[-2000:]
    assert "--pretty" in p.stdout


def test_scan_through_uv_run(sandbox, state_dir):
    p = uv_run("tools/scan.py", "--region", "us-east-1", "--service", "ec2",
               env={"AWS_ENDPOINT_URL": sandbox.url, "AWSWIZ_STATE_DIR": str(state_dir)})
    assert p.returncode == 0, p.stderr[-2000:]
    assert "train-a" in {r.get("name") for r in json.loads(p.stdout)["data"]["resources"]}
