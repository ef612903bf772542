"""Issue 11 item 7: the sandbox stops itself once it has not been used for AWSWIZ_SANDBOX_IDLE seconds
(default 4 hours); while tools use it, it stays up. A bad value is exit 2 naming the valid range."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request

from conftest import TOOLS, clean_env


def _health(url: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"{url}/_awswiz/health", timeout=1) as r:
            return json.loads(r.read())
    except OSError:
        return None


def _start(state, idle: str) -> tuple[subprocess.Popen, str]:
    state.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, str(TOOLS / "sandbox.py"), "serve", "--empty"],
                            env=clean_env(AWSWIZ_STATE_DIR=str(state), AWSWIZ_SANDBOX_IDLE=idle),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            url = json.loads((state / "sandbox.json").read_text())["url"]
            if (h := _health(url)) and h.get("seeded"):
                return proc, url
        except (OSError, ValueError, KeyError):
            pass
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("the sandbox did not start")


def test_sandbox_stops_itself_when_idle_and_not_while_used(tmp_path):
    state = tmp_path / "state"
    proc, url = _start(state, "4")
    try:
        assert _health(url)["idle_stop_s"] == 4
        # used every second for 7 s (longer than the idle period): it stays up
        until = time.time() + 7
        while time.time() < until:
            urllib.request.urlopen(f"{url}/_awswiz/calls?since=0", timeout=2).read()
            assert proc.poll() is None
            time.sleep(1)
        # health probes (sandbox.py status) do not count as use: left alone, it stops by itself
        started = time.time()
        while proc.poll() is None and time.time() - started < 30:
            _health(url)
            time.sleep(0.5)
        assert proc.poll() == 0, proc.stderr.read()
        assert 3 <= time.time() - started <= 15
        assert _health(url) is None and not (state / "sandbox.json").exists()
        status = subprocess.run([sys.executable, str(TOOLS / "sandbox.py"), "status"], capture_output=True, text=True,
                                env=clean_env(AWSWIZ_STATE_DIR=str(state)), timeout=60)
        assert json.loads(status.stdout)["data"]["running"] is False
    finally:
        if proc.poll() is None:
            proc.kill()


def test_bad_idle_value_is_exit_2_naming_the_range(tmp_path):
    p = subprocess.run([sys.executable, str(TOOLS / "sandbox.py"), "status"], capture_output=True, text=True,
                       env=clean_env(AWSWIZ_STATE_DIR=str(tmp_path), AWSWIZ_SANDBOX_IDLE="soon"), timeout=60)
    doc = json.loads(p.stdout)
    assert p.returncode == 2 and "AWSWIZ_SANDBOX_IDLE" in doc["errors"][0]["message"]
    assert "0 to 604800" in doc["errors"][0]["message"]
    assert not (tmp_path / "sandbox.json").exists()
