"""A latency and fault proxy in front of the sandbox (or any AWS-compatible endpoint).

Adds a fixed delay to every call, throttles a share of calls (HTTP 400 Throttling), and can refuse
credentials for chosen regions (AuthFailure), read from each request's SigV4 credential scope. Each
error comes in the shape of the caller's protocol (query XML, REST-XML, JSON), so that botocore reads its
code, and retries a throttled call, exactly as it does with AWS.
Used by the benchmarks (latency) and by the tests (throttling, a region that refuses credentials).
For the fault tests it can also hold a region's calls without ever answering (hang: a dead endpoint
that accepted the connection), answer a region with an HTML error page (something that is not AWS), and
fail chosen operations (fail={"StopInstances": ("UnauthorizedOperation", 403)}).
GET /_proxy/stats answers the proxy's own counters as JSON (calls, throttled, denied); /_awswiz/ control
calls pass to the target untouched (no delay, not counted).

    python bench/proxy.py --target http://127.0.0.1:PORT --latency-ms 100 --throttle 0.2 \
        --deny-region eu-west-1 --port 0      # prints the proxy URL on stdout, then serves
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

REGION_RE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")

REST_XML = {"s3", "s3-control", "route53", "cloudfront"}  # everything else without a form body is REST-JSON

THROTTLE = ("Throttling", "Rate exceeded (injected by bench/proxy.py)")


def auth_error(region: str) -> tuple[str, str]:
    return "AuthFailure", f"AWS was not able to validate the provided access credentials (region {region})"


def error_body(headers, service: str, code: str, message: str) -> tuple[bytes, str]:
    """The error in the shape the caller's protocol parses (botocore reads the code only from its own
    protocol's shape: an XML body to a JSON service is an unparseable bare HTTP 400, never retried)."""
    ctype = headers.get("Content-Type", "")
    if headers.get("X-Amz-Target") or (service not in REST_XML and not ctype.startswith(
            "application/x-www-form-urlencoded")):  # JSON 1.0/1.1 (ecs, sagemaker) and REST-JSON (lambda, eks)
        return json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"
    if service in REST_XML:
        return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
                f"<RequestId>proxy</RequestId></Error>").encode(), "application/xml"
    return (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>").encode(), \
        "text/xml"


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = self.throttled = self.denied = 0

    def as_dict(self) -> dict:
        with self.lock:
            return {"calls": self.calls, "throttled": self.throttled, "denied": self.denied}


HTML_PAGE = (b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy could "
             b"not reach the upstream server.</p>" + b"<!-- padding -->" * 200 + b"</body></html>")


def operation(headers, body: bytes | None) -> str:
    if target := headers.get("X-Amz-Target"):
        return target.rpartition(".")[2]
    m = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body or b"")
    return m.group(1).decode() if m else ""


def make_handler(target: str, latency: float, throttle: float, deny: set[str], stats: Stats, seed: int,
                 hang: set[str] = frozenset(), html: set[str] = frozenset(), fail: dict | None = None,
                 deny_code: str = "AuthFailure"):
    t = urlparse(target)
    local = threading.local()
    rng = random.Random(seed)
    rng_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):  # quiet
            pass

        def _conn(self):
            if getattr(local, "conn", None) is None:
                local.conn = http.client.HTTPConnection(t.hostname, t.port, timeout=60)
            return local.conn

        def _reply(self, status: int, body: bytes, ctype: str = "text/xml") -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self):
            n = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(n) if n else None
            if self.path.startswith("/_proxy/stats"):
                return self._reply(200, json.dumps(stats.as_dict()).encode(), "application/json")
            if self.path.startswith("/_awswiz/"):  # control calls pass untouched
                return self._forward(body)
            time.sleep(latency)
            m = REGION_RE.search(self.headers.get("Authorization", ""))
            region, service = (m.group(1), m.group(2)) if m else ("", "")
            with stats.lock:
                stats.calls += 1
            if region in hang:  # accepted, never answered (until the proxy goes away)
                threading.Event().wait(3600)
                return None
            if region in html:
                return self._reply(502, HTML_PAGE, "text/html")
            if region in deny:
                with stats.lock:
                    stats.denied += 1
                code, message = auth_error(region)
                return self._reply(401 if deny_code == "AuthFailure" else 400,
                                   *error_body(self.headers, service, deny_code, message))
            if fail and (op := operation(self.headers, body)) in fail:
                code, status = fail[op]
                return self._reply(status, *error_body(self.headers, service, code, f"{op} refused (injected)"))
            with rng_lock:
                hit = rng.random() < throttle
            if hit:
                with stats.lock:
                    stats.throttled += 1
                return self._reply(400, *error_body(self.headers, service, *THROTTLE))
            return self._forward(body)

        def _forward(self, body):
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "keep-alive")}
            for attempt in range(2):
                conn = self._conn()
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    local.conn = None
                    if attempt:
                        return self._reply(502, b"proxy: upstream failed")
            self.send_response(resp.status)
            for k, v in resp.getheaders():
                if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    return Handler


class _Server(ThreadingHTTPServer):
    # A scan opens dozens of connections at once: the default listen backlog (5) can drop SYNs and add
    # 1 s connect retransmits that have nothing to do with the latency being simulated.
    request_queue_size = 256
    daemon_threads = True


def start(target: str, latency_ms: float = 0, throttle: float = 0.0, deny: set[str] | None = None,
          port: int = 0, seed: int = 7, **faults) -> tuple[ThreadingHTTPServer, Stats]:
    """faults: hang={regions}, html={regions}, fail={operation: (code, status)}, deny_code="ExpiredToken"."""
    stats = Stats()
    handler = make_handler(target, latency_ms / 1000, throttle, deny or set(), stats, seed, **faults)
    server = _Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="upstream endpoint, e.g. the sandbox URL")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--throttle", type=float, default=0.0, help="share of calls answered Throttling (0..1)")
    ap.add_argument("--deny-region", action="append", default=[], help="answer AuthFailure for this region")
    a = ap.parse_args()
    server, _ = start(a.target, a.latency_ms, a.throttle, set(a.deny_region), a.port)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
