"""A gate proxy between a tool and the sandbox, to kill a confirm at an exact step (SIGKILL), and the kill itself.

The gate lets calls through until the chosen step's call has been answered, then holds the tool's next call
(of any kind), which never reaches the sandbox; the test kills the tool while that call is held. Used by
test_cleanup_resume (cleanup_vpc), test_remover_resume (terminate, reap, schedule) and test_regions_changing.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from _awswiz.guard.audit import is_mutating
from conftest import TOOLS, clean_env


class Gate:
    """Forwards to the sandbox; after the n-th call of `op` (None: of any changing operation) has been
    answered, holds the next call. unanswered: the n-th call itself reaches the sandbox (AWS made the change) but
    its answer is held, never given: a tool killed while it waits (audit `sent`, no `done`); the only kill point
    of a tool whose change is one call (secret.py put)."""

    def __init__(self, target: str, op: str | None, nth: int, unanswered: bool = False):
        self.op, self.nth, self.seen, self.unanswered = op, nth, 0, unanswered
        self.held, self.release = threading.Event(), threading.Event()
        t = urlparse(target)
        gate = self

        class Handler(Quiet):
            def _handle(self):
                body = self.body()
                action = parse_qs(body.decode(errors="replace")).get("Action", [""])[0] or \
                    self.headers.get("X-Amz-Target", "").rpartition(".")[2]  # JSON protocols (ECS, ...)
                if gate.seen >= gate.nth:  # the step is done: hold whatever comes next, never forward it
                    gate.held.set()
                    gate.release.wait(60)
                    self.send_error(503)
                    return
                resp = forward(self, t, body)
                changing = is_mutating(action) if action else self.command not in ("GET", "HEAD")  # REST: EKS
                if action == gate.op or (gate.op is None and changing):
                    gate.seen += 1
                    if gate.unanswered and gate.seen >= gate.nth:  # done at the sandbox; the tool never hears
                        gate.held.set()
                        gate.release.wait(60)
                        self.send_error(503)
                        return
                answer(self, resp)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server, self.url = serve(Handler)

    def close(self):
        self.release.set()
        self.server.shutdown()


class Quiet(BaseHTTPRequestHandler):
    """A proxy's request handler: HTTP/1.1, no log lines; body() reads the request's body."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))


def forward(handler: BaseHTTPRequestHandler, target, body: bytes) -> tuple[int, list, bytes]:
    """Send the request a handler got to the target (a parsed URL): its answer's status, headers and body."""
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
    conn.request(handler.command, handler.path, body=body, headers=dict(handler.headers))
    resp = conn.getresponse()
    return resp.status, resp.getheaders(), resp.read()


def answer(handler: BaseHTTPRequestHandler, resp: tuple[int, list, bytes]) -> None:
    """Give the tool the answer forward() got."""
    status, headers, data = resp
    handler.send_response(status)
    for k, v in headers:
        if k.lower() not in ("transfer-encoding", "connection", "content-length"):
            handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def serve(handler_class) -> tuple[ThreadingHTTPServer, str]:
    """A threaded server on a free loopback port, in the background: the server and its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def kill_through(url: str, state_dir, tool: str, args, op: str | None = None, nth: int = 1,
                 unanswered: bool = False) -> int | None:
    """Run `tool args` (a confirm) through a gate in front of the sandbox at url; SIGKILL it once the nth call
    of op (None: of any changing operation) is answered (unanswered: once it reached the sandbox, before the tool
    hears the answer). None when killed; else the exit code of a run that finished before reaching the step."""
    gate = Gate(url, op, nth, unanswered)
    env = clean_env(AWS_ENDPOINT_URL=gate.url, AWSWIZ_STATE_DIR=str(state_dir))
    proc = subprocess.Popen([sys.executable, str(TOOLS / f"{tool}.py"), *args], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        while not gate.held.wait(0.2):
            if proc.poll() is not None:
                return proc.returncode
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        gate.close()
        if proc.poll() is None:
            proc.kill()
    return None
