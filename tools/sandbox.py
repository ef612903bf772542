#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "moto[server]>=5.1,<6", "paramiko>=3.4", "cryptography>=42",
# ]
# ///
"""The local AWS sandbox: moto on 127.0.0.1, seeded with the demo lab. serve | status | reset | stop."""

from __future__ import annotations

import enum
import json
import os
import signal
import sys
import time
import urllib.request
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints, state
from _awswiz.shell.errors import AwsWizError
from _awswiz.shell.output import Result
from _awswiz.shell.sandbox_client import health, info_path, read_info, running
from _awswiz.shell.state import state_dir

app = cli.make_app(__doc__)
START = hints.command(None, "sandbox", "serve", "--detach")  # the sandbox tool has no scope to repeat


class Action(enum.StrEnum):
    serve = "serve"
    status = "status"
    reset = "reset"
    stop = "stop"


SAVED_SEED = "sandbox-seed.pickle"  # the lab as seeded today, restored by the next cold start (sandbox/snapshot.py)
FIELDS = ("url", "port", "pid", "started", "uptime_s", "idle_s", "idle_stop_s", "started_now")


def _view(info: dict, seeded: dict | None = None) -> dict:
    """One shape for serve, status and reset: running, where, since when, and `seeded` as {kind: count}."""
    out = {"running": True, **{k: info[k] for k in FIELDS if k in info}}
    out["seeded"] = seeded if seeded is not None else info.get("lab") or {}
    return out


def _serve_foreground(port: int, seed: bool) -> None:
    import logging

    from _awswiz.sandbox.server import serve
    from _awswiz.shell import settings

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    def ready(url: str, real_port: int) -> None:
        info = {"url": url, "port": real_port, "pid": os.getpid(), "started": time.time()}
        state.replace_text(info_path(), json.dumps(info))
        sys.stderr.write(f"sandbox ready at {url} (pid {os.getpid()})\n")

    serve(port, seed, ready, idle_stop=settings.get("AWSWIZ_SANDBOX_IDLE"), saved_seed=state_dir() / SAVED_SEED)
    # stopped for being idle: forget the address, unless another sandbox has taken the file since
    if (info := read_info()) and info.get("pid") == os.getpid():
        info_path().unlink(missing_ok=True)
    sys.stderr.write("sandbox stopped: unused for AWSWIZ_SANDBOX_IDLE seconds\n")


def _fork_server(port: int, seed: bool, log) -> int:
    """The server as a forked child in a session of its own (this process's imports are done: a fresh interpreter
    took half a second more, bench/bench_sandbox_start.py), its output in the log; returns its pid."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log.fileno(), 1)  # never the caller's pipe: the tool that started us reads it to its end
        os.dup2(log.fileno(), 2)
        _serve_foreground(port, seed)
        code = 0
    except BaseException:  # noqa: BLE001 - the log says why; the parent sees the exit
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


def _exited(pid: int) -> int | None:
    done, status = os.waitpid(pid, os.WNOHANG)
    return os.waitstatus_to_exitcode(status) if done else None


def _detach(port: int, seed: bool) -> dict:
    if info := running():
        return {**info, "started_now": False}
    log = state.open_private(state_dir() / "sandbox.log")
    pid = _fork_server(port, seed, log)
    deadline = time.time() + 180
    while time.time() < deadline:
        if (code := _exited(pid)) is not None:
            raise AwsWizError(f"the sandbox exited with code {code}", "see .state/sandbox.log",
                              code="SandboxUnavailable")
        info = read_info()
        if info and info.get("pid") == pid and (h := health(info["url"])) and h.get("seeded"):
            return {**info, **h, "started_now": True}
        time.sleep(0.1)
    raise AwsWizError("the sandbox did not become ready in 180 s", "see .state/sandbox.log",
                      code="SandboxUnavailable")


def _render(console, data) -> None:
    if not data.get("running"):
        console.print(f"[yellow]sandbox not running[/]  start it: {START}")
        return
    console.print(f"[green]sandbox running[/] at {data['url']} (pid {data['pid']})")
    if data.get("seeded"):
        console.print("seeded: " + ", ".join(f"{k} {v}" for k, v in data["seeded"].items()))


@cli.command(app, "sandbox")
def main(
    ctx: cli.Ctx,
    action: Annotated[Action, typer.Argument(help="serve | status | reset | stop")] = Action.status,
    port: Annotated[int, typer.Option("--port", help="Port for serve (0: any free port).")] = 0,
    detach: Annotated[bool, typer.Option("--detach", help="serve: start in the background and return.")] = False,
    empty: Annotated[bool, typer.Option("--empty", help="serve: do not seed the demo lab.")] = False,
) -> Result:
    """The local AWS sandbox (moto in server mode on 127.0.0.1), seeded with the demo lab."""
    def done(data: dict, info: dict | None = None, **kw) -> Result:  # the envelope says sandbox, and its account
        return Result(data=data, render=_render, sandbox=True, account=(info or {}).get("account"), **kw)

    if action is Action.serve:
        if not detach:
            _serve_foreground(port, not empty)
            return done({"running": False})
        info = _detach(port, not empty)
        return done(_view(info), info)
    info = running()
    if action is Action.status:
        return done(_view(info) if info else {"running": False}, info,
                    next=[] if info else [START])
    if not info:
        if action is Action.stop:
            return done({"running": False, "stopped": False})
        info = _detach(port, True)  # reset of a stopped sandbox: start a fresh one
        return done(_view(info), info)
    if action is Action.reset:
        req = urllib.request.Request(f"{info['url']}/_awswiz/reset", method="POST", data=b"")
        with urllib.request.urlopen(req, timeout=300) as r:
            out = json.loads(r.read())
        return done(_view(info, out["seeded"]), info)
    os.kill(info["pid"], signal.SIGTERM)
    for _ in range(50):
        if not health(info["url"], timeout=0.2):
            break
        time.sleep(0.1)
    info_path().unlink(missing_ok=True)
    return done({"running": False, "stopped": True, "pid": info["pid"]}, info)


if __name__ == "__main__":
    cli.main(app, "sandbox")
