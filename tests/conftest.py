"""Shared fixtures: one sandbox server (moto in server mode, seeded with the demo lab) per test worker,
on a free loopback port, and a runner that executes tools as subprocesses exactly as an agent does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
sys.path.insert(0, str(TOOLS))  # in-process tests of pure logic import _awswiz

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
    "NO_COLOR": "1",
    "COLUMNS": "200",
    # No test depends on the day it runs: the cost tools and the sandbox's cost ledger take this as today
    # (mid-month; tests of a month's first or last day set their own).
    "AWSWIZ_TODAY": "2026-11-16",
}


def clean_env(**extra: str) -> dict:
    """The environment a tool sees in tests: no real credentials, no real endpoints."""
    # PYTHONDONTWRITEBYTECODE is left out as on a user's machine (DESIGN.md, Performance): with it, every tool and
    # every sandbox start compiled boto3, botocore, typer, rich and the core from source again (instance_status on
    # one region: 0.8 s of CPU per start with it, 0.45 s without, the .pyc files written by the first run)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "AWSWIZ_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(DUMMY_ENV)
    env.update(extra)
    return env


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


class Sandbox:
    """A running sandbox server: its URL, and what it saw (every AWS call, counted at the server)."""

    def __init__(self, url: str, proc: subprocess.Popen, state: Path):
        self.url, self.proc, self.state = url, proc, state

    def calls(self, since: int = 0) -> list[dict]:
        with urllib.request.urlopen(f"{self.url}/_awswiz/calls?since={since}") as r:
            return json.loads(r.read())["calls"]

    def mark(self) -> int:
        with urllib.request.urlopen(f"{self.url}/_awswiz/calls?since=0") as r:
            return json.loads(r.read())["total"]

    def control(self, op: str, **body) -> dict:
        """One of the sandbox's control calls (JSON protocol, X-Amz-Target AwsWizSandbox.OP), unsigned: its answer.
        An error answer raises urllib.error.HTTPError."""
        req = urllib.request.Request(self.url, data=json.dumps(body).encode(), method="POST", headers={
            "X-Amz-Target": f"AwsWizSandbox.{op}", "Content-Type": "application/x-amz-json-1.1"})
        with urllib.request.urlopen(req) as r:
            return json.loads(r.read())

    def reset(self) -> dict:
        req = urllib.request.Request(f"{self.url}/_awswiz/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=300) as r:
            return json.loads(r.read())

    def client(self, service: str, region: str = "us-east-1"):
        import boto3
        from botocore.config import Config

        return boto3.client(service, region_name=region, endpoint_url=self.url, aws_access_key_id="testing",
                            aws_secret_access_key="testing",
                            config=Config(s3={"addressing_style": "path"}))


def start_sandbox(state: Path, seed: bool = True) -> Sandbox:
    state.mkdir(parents=True, exist_ok=True)
    log = open(state / "sandbox.log", "wb")
    args = [sys.executable, str(TOOLS / "sandbox.py"), "serve", "--port", "0"] + ([] if seed else ["--empty"])
    proc = subprocess.Popen(args, env=clean_env(AWSWIZ_STATE_DIR=str(state)), stdout=log, stderr=log)
    deadline = time.time() + 120
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox exited: {(state / 'sandbox.log').read_text()[-2000:]}")
        try:
            info = json.loads((state / "sandbox.json").read_text())
            with urllib.request.urlopen(f"{info['url']}/_awswiz/health", timeout=1) as r:
                if json.loads(r.read()).get("seeded"):
                    return Sandbox(info["url"], proc, state)
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("sandbox did not start in 120 s")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Sandbox:
    """The seeded demo lab, shared by the tests of one worker. Tests that change things create their own
    resources (or use names of their own) rather than alter the lab."""
    sb = start_sandbox(tmp_path_factory.mktemp("sandbox-state"))
    # the sandbox builds its price catalogue on its first GetProducts (seconds, holding its GIL); scan asks the
    # Pricing API on a cold cache: built here, so that no test's --timeout pays for it
    sb.client("pricing", "us-east-1").get_products(ServiceCode="AmazonVPC", MaxResults=1)
    yield sb
    sb.proc.terminate()
    sb.proc.wait(10)


@pytest.fixture(scope="module")
def members(sandbox) -> dict[str, str]:
    """{name: id} of the lab Organization's member accounts (sandbox/lab/org.py), as the lab's ListAccounts says."""
    found = sandbox.client("organizations").list_accounts()["Accounts"]
    return {a["Name"]: a["Id"] for a in found if a["Id"] != "123456789012"}


@pytest.fixture
def state_dir(tmp_path) -> Path:
    d = tmp_path / "state"
    d.mkdir(mode=0o700)
    return d


@pytest.fixture
def run_tool(sandbox, state_dir):
    """run_tool("scan", "--region", "us-east-1", endpoint=None, env={...}) -> Run."""
    return runner(sandbox, state_dir)


@pytest.fixture(scope="module")
def read_tool(sandbox, tmp_path_factory):
    """run_tool with one state dir for the whole module (per worker): for read-only tests that assert on the answer,
    not on the cache, so that the module builds its caches (instance types, prices) once. A test of the cache
    itself keeps run_tool and its fresh state_dir."""
    d = tmp_path_factory.mktemp("module") / "state"
    d.mkdir(mode=0o700)
    return runner(sandbox, d)


def runner(sandbox, state_dir: Path):
    def _run(tool: str, *args: str, endpoint: str | None = None, env: dict | None = None,
             timeout: float = 180, input: str | None = None) -> Run:
        e = clean_env(AWS_ENDPOINT_URL=endpoint or sandbox.url, AWSWIZ_STATE_DIR=str(state_dir))
        e.update(env or {})
        p = subprocess.run([sys.executable, str(TOOLS / f"{tool}.py"), *args], env=e, capture_output=True,
                           text=True, timeout=timeout, input=input)
        return Run(p.returncode, p.stdout, p.stderr)

    return _run


@pytest.fixture
def guarded(sandbox, run_tool, state_dir):
    """guarded("stop", "--id", i, ...) -> guard_flow.Flow: plan, nothing changed, confirm, the audit log equals what
    the server saw."""
    from guard_flow import Flow

    return lambda tool, *args, env=None: Flow(sandbox, run_tool, state_dir, tool, *args, env=env)


@pytest.fixture
def faulty(sandbox):
    """faulty(**faults) -> (url, stats): bench/proxy.py in front of the sandbox (latency, throttling, a
    region refusing credentials, hanging or answering HTML, operations that fail)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import proxy

    servers = []

    def make(**kw):
        server, stats = proxy.start(sandbox.url, **kw)
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}", stats

    yield make
    for s in servers:
        s.shutdown()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Offline:
    """AWS at an endpoint nothing answers: a loopback listener that counts the connections a tool opens and closes
    each unanswered (any AWS call fails). Bad input is refused before anything is sent, so its tests need no
    emulator: they run the tool here and assert `connections == 0`."""

    def __init__(self):
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0

        def serve():
            while True:
                try:
                    conn, _ = self.sock.accept()
                except OSError:
                    return
                self.connections += 1
                conn.close()

        threading.Thread(target=serve, daemon=True).start()

    def close(self):
        self.sock.close()


@pytest.fixture
def offline(state_dir):
    """offline.run("stop", "--id", "x") -> Run: the tool as run_tool runs it, with AWS_ENDPOINT_URL at an Offline
    listener (no sandbox started); offline.connections counts what it tried to send."""
    server = Offline()

    def _run(tool: str, *args: str, env: dict | None = None, timeout: float = 60) -> Run:
        e = clean_env(AWS_ENDPOINT_URL=server.url, AWSWIZ_STATE_DIR=str(state_dir))
        e.update(env or {})
        p = subprocess.run([sys.executable, str(TOOLS / f"{tool}.py"), *args], env=e, capture_output=True,
                           text=True, timeout=timeout)
        return Run(p.returncode, p.stdout, p.stderr)

    server.run = _run
    yield server
    server.close()
