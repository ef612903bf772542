"""moto's server app, wrapped: a control API under /_awswiz/, and handlers for what moto lacks."""

from __future__ import annotations

import io
import json
import os
import re
import sys
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs

from . import handlers as H

CRED_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def request_region(environ: dict) -> str:
    m = CRED_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
    return m.group(1) if m else "us-east-1"


def _json(start_response, status: int, doc, content_type="application/x-amz-json-1.1"):
    body = json.dumps(doc, default=str).encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _query_error(start_response, err: H.ApiError):
    body = (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{err.code}</Code>'
            f"<Message>{err.message}</Message></Error></Errors><RequestID>sandbox</RequestID></Response>").encode()
    start_response(f"{err.status} Error", [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))])
    return [body]


class SandboxApp:
    def __init__(self, moto_app, reseed):
        self.moto = moto_app
        self.reseed = reseed  # callable: reset moto, our state, and seed the lab again
        self.seeded = threading.Event()
        self.lab: dict = {}  # what the seeding made, {kind: count}; {} for an empty sandbox
        self.started = time.time()
        self.last_used = time.time()  # any request but a health probe: the idle stop counts from here
        self.idle_stop = 0  # seconds without use after which the server stops itself (0: never)
        # Every AWS request this server saw, so tests can count at the server what a tool sent.
        self.calls: list[dict] = []
        self.calls_lock = threading.Lock()
        H.NOTES[:] = [self.note]

    def note(self, entry: dict) -> None:
        with self.calls_lock:
            self.calls.append(entry)

    def record(self, environ, action: str | None) -> None:
        entry = {"service": self._query_service(environ), "action": action,
                 "region": request_region(environ), "method": environ.get("REQUEST_METHOD"),
                 "path": environ.get("PATH_INFO", ""), "query": environ.get("QUERY_STRING", "")}
        self.note(entry)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path != "/_awswiz/health":
            self.last_used = time.time()
        if path.startswith("/_awswiz/"):
            return self.control(path, environ, start_response)
        # the request acts in the account of its signer: every handler (and moto, its own way) answers in that one
        H.answering({"authorization": environ.get("HTTP_AUTHORIZATION", ""),
                     **({"x-moto-account-id": environ["HTTP_X_MOTO_ACCOUNT_ID"]}
                        if "HTTP_X_MOTO_ACCOUNT_ID" in environ else {})})
        try:
            return self.answer(environ, start_response)
        finally:
            H.answering(None)

    def answer(self, environ, start_response):
        target = environ.get("HTTP_X_AMZ_TARGET")
        key = target
        body = b""
        if not target and environ.get("REQUEST_METHOD") == "POST" and \
                environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            body = self._read(environ)
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            action = form.get("Action")
            service = self._query_service(environ)
            key = f"{service}:{action}" if action else None
            params = form
        self.record(environ, (target or "").rpartition(".")[2] or (key or ":").partition(":")[2] or None)
        fn = H.HANDLERS.get(key) if key else None
        if fn is None:
            return self.moto(environ, start_response)
        if target:
            body = self._read(environ)
            try:
                params = json.loads(body or b"{}")
            except ValueError:
                params = {}
        region = request_region(environ)
        try:
            with H.LOCK:
                out = fn(params, region, H.STATE)
        except H.ApiError as err:
            if target:
                return _json(start_response, err.status, {"__type": err.code, "message": err.message})
            return _query_error(start_response, err)
        if out is H.PASS:
            return self.moto(environ, start_response)
        if target:
            return _json(start_response, 200, out)
        # query protocol answers are XML strings built by the handler
        data = out.encode() if isinstance(out, str) else out
        start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
        return [data]

    @staticmethod
    def _read(environ) -> bytes:
        n = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(n) if n else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again when we pass
        return body

    @staticmethod
    def _query_service(environ) -> str:
        m = re.search(r"/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        return m.group(1) if m else ""

    def control(self, path, environ, start_response):
        if path == "/_awswiz/health":
            now = time.time()  # the sandbox's account: the lab's (the Organization's management account)
            return _json(start_response, 200, {"ok": True, "seeded": self.seeded.is_set(), "lab": self.lab,
                                               "account": H.LAB, "pid": os.getpid(),
                                               "uptime_s": round(now - self.started, 1),
                                               "idle_s": round(now - self.last_used, 1),
                                               "idle_stop_s": self.idle_stop}, "application/json")
        if path == "/_awswiz/calls":
            since = int(parse_qs(environ.get("QUERY_STRING", "")).get("since", ["0"])[0])
            with self.calls_lock:
                calls = self.calls[since:]
                total = len(self.calls)
            return _json(start_response, 200, {"total": total, "calls": calls}, "application/json")
        if path == "/_awswiz/reset" and environ.get("REQUEST_METHOD") == "POST":
            self.seeded.clear()
            summary = self.reseed()
            self.lab = summary
            self.seeded.set()
            return _json(start_response, 200, {"ok": True, "seeded": summary}, "application/json")
        return _json(start_response, 404, {"ok": False}, "application/json")


def load_services() -> list[str]:
    """Import every module of the service folders (ec2/, pricing/, ...: each registers its handlers and seeders and
    teaches moto in place), found by walking the package, in name order; a module whose handler chains in front of
    another's imports that one first. The lab is no service: build() seeds it."""
    import importlib
    import pkgutil

    here = os.path.dirname(__file__)
    names = [f"{__package__}.{folder.name}.{m.name}" for folder in pkgutil.iter_modules([here])
             if folder.ispkg and folder.name != "lab"
             for m in pkgutil.iter_modules([os.path.join(here, folder.name)])]
    for name in names:
        importlib.import_module(name)
    return names


class _LoaderFiles(dict):
    """One loader's cache of parsed data files (botocore's instance_cache: `in`, get, set): S3's own models in the
    loader as botocore keeps them (a boto3 S3 client edits its operations' requestUri in place, botocore
    handlers.remove_bucket_from_url_paths_from_model, which moto's S3 router must not see), every other file in the
    cache all loaders share."""

    def __init__(self, shared: dict):
        super().__init__()
        self.shared = shared

    @staticmethod
    def own(key) -> bool:
        return any(isinstance(k, str) and k.startswith("s3") for k in key)

    def __contains__(self, key) -> bool:
        return super().__contains__(key) if self.own(key) else key in self.shared

    def __getitem__(self, key):
        return super().__getitem__(key) if self.own(key) else self.shared[key]

    def __setitem__(self, key, value) -> None:
        if self.own(key):
            super().__setitem__(key, value)
        else:
            self.shared[key] = value


def share_botocore_files() -> None:
    """Every botocore loader of this process shares one cache of parsed data files (S3's models apart:
    _LoaderFiles). moto makes boto3 Sessions as it imports (moto.ec2's region list alone makes three), the lab's
    seeding one more, and each Session's loader parsed EC2's service model (the largest) and the endpoint data
    again: a third of the CPU of a start (bench/bench_sandbox_start.py). The sandbox's loaders all read botocore's
    own data (no extra search paths), so one cache answers them all."""
    import botocore.loaders

    init = botocore.loaders.Loader.__init__
    if getattr(init, "shared", False):
        return
    files: dict = {}

    def shared_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self._cache = _LoaderFiles(files)  # botocore's instance_cache reads self._cache

    shared_init.shared = True
    botocore.loaders.Loader.__init__ = shared_init


def build(url_holder: dict, saved_seed: Path | None = None):
    """The wrapped WSGI app; seeding talks to the server itself over HTTP once it listens; a reset restores the
    saved seed too (or seeds, and saves)."""
    os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    share_botocore_files()
    from moto.moto_api._internal.models import moto_api_backend
    from moto.server import DomainDispatcherApplication, create_backend_app

    load_services()

    def reseed():
        moto_api_backend.reset()
        H.reset()
        return lab(url_holder["url"], saved_seed)

    return SandboxApp(DomainDispatcherApplication(create_backend_app), reseed)


def _stop_when_idle(app: SandboxApp, server) -> None:
    """Stop the server once nothing but health probes has reached it for app.idle_stop seconds."""
    while True:
        left = app.idle_stop - (time.time() - app.last_used)
        if left <= 0:
            server.shutdown()
            return
        time.sleep(min(left, 30.0) + 0.05)


def lab(url: str, saved: Path | None) -> dict:
    """The demo lab, {kind: count}: restored from the saved seed when there is a good one (snapshot.py), else seeded
    through the API and saved for the next start. One line in the log either way."""
    from . import snapshot
    from .lab import demo

    started = time.time()
    if saved is not None:
        made, why = snapshot.restore(saved)
        if made is not None:
            sys.stderr.write(f"sandbox: {why} in {time.time() - started:.1f} s ({saved.name})\n")
            return made
    made = demo.seed(url)
    took = time.time() - started
    if saved is None:
        sys.stderr.write(f"sandbox: seeded the demo lab in {took:.1f} s\n")
        return made
    try:
        snapshot.save(saved, made)
    except Exception as e:  # noqa: BLE001 - the lab is seeded; only the next start loses the shortcut
        sys.stderr.write(f"sandbox: seeded the demo lab in {took:.1f} s ({why}); not saved ({type(e).__name__}: "
                         f"{str(e)[:200]})\n")
        return made
    sys.stderr.write(f"sandbox: seeded the demo lab in {took:.1f} s ({why}); saved it as {saved.name} in "
                     f"{time.time() - started - took:.1f} s\n")
    return made


def serve(port: int, seed: bool, on_ready, idle_stop: int = 0, saved_seed: Path | None = None) -> None:
    """Listen on 127.0.0.1:port (0: a free port), seed (from saved_seed when it holds a good saved seed, saving one
    there otherwise), call on_ready(url), serve until killed or, with idle_stop > 0, until it has not been used for
    idle_stop seconds (then return)."""
    from werkzeug.serving import make_server

    holder: dict = {}
    app = build(holder, saved_seed)
    server = make_server("127.0.0.1", port, app, threaded=True)
    holder["url"] = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    H.reset()
    if seed:
        app.lab = lab(holder["url"], saved_seed)
    app.seeded.set()
    on_ready(holder["url"], server.server_port)
    if idle_stop > 0:
        app.idle_stop = idle_stop
        app.last_used = time.time()
        threading.Thread(target=_stop_when_idle, args=(app, server), daemon=True).start()
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()
