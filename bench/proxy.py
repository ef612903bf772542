"""A latency and fault proxy in front of the sandbox (or any AWS-compatible endpoint), and a recorder of its answers.

Adds a fixed delay to every call, throttles a share of calls (HTTP 400 Throttling), and can refuse
credentials for chosen regions (AuthFailure), read from each request's SigV4 credential scope. Each
error comes in the shape of the caller's protocol (query XML, REST-XML, JSON), so that botocore reads its
code, and retries a throttled call, exactly as it does with AWS.
Used by the benchmarks (latency) and by the tests (throttling, a region that refuses credentials).
For the fault tests it can also hold a region's calls without ever answering (hang: a dead endpoint
that accepted the connection), answer a region with an HTML error page (something that is not AWS), and
fail chosen operations (fail={"StopInstances": ("UnauthorizedOperation", 403)}).

Record and replay (bench_accounts --replay): in mode "record" every answer the target gives is kept, keyed by the
request: the account of its credentials (for keys an AssumeRole answer gave: the account of that answer's
AssumedRoleUser; the caller's own keys stand for their account), its region and service, and what it asks (method,
path with its query, X-Amz-Target, body: the action and its parameters). In mode "replay" a request found in the
record is answered from it by the proxy alone (after the same latency; the target is not asked); one not found is
forwarded and counted (`missed`). Replayed credentials keep their recorded expiry: replay within the hour.

One thread runs an asyncio loop: every connection is a coroutine (no thread per connection), a request is read
with a minimal HTTP/1.1 parser (its head is split once; the credential scope, operation or key are read only when
a fault or the mode needs them), and upstream connections to the target are kept alive in a pool.

GET /_proxy/stats answers the proxy's own counters as JSON (calls, throttled, denied, forwarded, recorded,
replayed, missed, record_size, mode, cpu_s: the CPU seconds of the proxy's process); POST /_proxy/mode/NAME
(forward, record, replay) switches the mode; /_awswiz/ control calls pass to the target untouched (no delay, not
counted, never recorded).

    python bench/proxy.py --target http://127.0.0.1:PORT --latency-ms 100 --throttle 0.2 \
        --deny-region eu-west-1 --mode record --port 0      # prints the proxy URL on stdout, then serves
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import threading
import time
from urllib.parse import urlparse

SCOPE_RE = re.compile(rb"Credential=([^/]*)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")
ACTION_RE = re.compile(rb"(?:^|&)Action=([A-Za-z0-9]+)")
KEY_RE = re.compile(rb"<AccessKeyId>([^<]+)</AccessKeyId>")
ROLE_ACCOUNT_RE = re.compile(rb"<AssumedRoleUser>.*?<Arn>arn:[a-z-]+:sts::(\d{12}):", re.S)

REST_XML = {"s3", "s3-control", "route53", "cloudfront"}  # everything else without a form body is REST-JSON
THROTTLE = ("Throttling", "Rate exceeded (injected by bench/proxy.py)")
MODES = ("forward", "record", "replay")
HOP = {b"connection", b"keep-alive", b"transfer-encoding", b"content-length", b"proxy-connection",
       b"expect"}  # the proxy answers 100-continue itself and sends the target the whole body
REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           502: "Bad Gateway"}


def auth_error(region: str) -> tuple[str, str]:
    return "AuthFailure", f"AWS was not able to validate the provided access credentials (region {region})"


def error_body(headers: dict, service: str, code: str, message: str) -> tuple[bytes, str]:
    """The error in the shape the caller's protocol parses (botocore reads the code only from its own
    protocol's shape: an XML body to a JSON service is an unparseable bare HTTP 400, never retried).
    headers: the request's, names in lower case."""
    ctype = headers.get(b"content-type", b"")
    if headers.get(b"x-amz-target") or (service not in REST_XML and not ctype.startswith(
            b"application/x-www-form-urlencoded")):  # JSON 1.0/1.1 (ecs, sagemaker) and REST-JSON (lambda, eks)
        return json.dumps({"__type": code, "message": message}).encode(), "application/x-amz-json-1.1"
    if service in REST_XML:
        return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
                f"<RequestId>proxy</RequestId></Error>").encode(), "application/xml"
    return (f'<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error></Errors><RequestID>proxy</RequestID></Response>").encode(), \
        "text/xml"


class Stats:
    """The proxy's counters (only the loop's thread writes them)."""

    def __init__(self):
        self.calls = self.throttled = self.denied = 0
        self.forwarded = self.recorded = self.replayed = self.missed = 0
        self.mode = "forward"
        self.record_size = 0

    def as_dict(self) -> dict:
        return {"calls": self.calls, "throttled": self.throttled, "denied": self.denied,
                "forwarded": self.forwarded, "recorded": self.recorded, "replayed": self.replayed,
                "missed": self.missed, "record_size": self.record_size, "mode": self.mode,
                "cpu_s": round(time.process_time(), 3)}


HTML_PAGE = (b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><p>The proxy could "
             b"not reach the upstream server.</p>" + b"<!-- padding -->" * 200 + b"</body></html>")


def operation(headers: dict, body: bytes) -> str:
    if target := headers.get(b"x-amz-target"):
        return target.rpartition(b".")[2].decode()
    m = ACTION_RE.search(body)
    return m.group(1).decode() if m else ""


def response(status: int, body: bytes, ctype: str) -> bytes:
    return (f"HTTP/1.1 {status} {REASONS.get(status, 'Error')}\r\nContent-Type: {ctype}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


class UpstreamError(Exception):
    pass


async def read_head(reader: asyncio.StreamReader) -> tuple[bytes, list[bytes], dict]:
    """(first line, raw header lines, {lower-case name: value}) of one HTTP/1.1 message."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].split(b"\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip()
    return lines[0], lines[1:], headers


async def read_body(reader: asyncio.StreamReader, headers: dict) -> bytes | None:
    """The body by Content-Length or chunked; None when neither (the caller decides: empty or until close)."""
    if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
    if (n := headers.get(b"content-length")) is not None:
        return await reader.readexactly(int(n))
    return None


class Proxy:
    def __init__(self, target: str, latency: float, throttle: float, deny: set[str], seed: int,
                 hang: set[str] = frozenset(), html: set[str] = frozenset(), fail: dict | None = None,
                 deny_code: str = "AuthFailure", mode: str = "forward"):
        t = urlparse(target)
        self.host, self.port = t.hostname, t.port or 80
        self.latency, self.throttle, self.deny, self.hang, self.html = latency, throttle, deny, hang, html
        self.fail, self.deny_code = fail or {}, deny_code
        self.by_region = bool(deny or hang or html)
        self.rng = random.Random(seed)
        self.stats = Stats()
        self.stats.mode = mode
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.record: dict[tuple, bytes] = {}
        self.accounts: dict[bytes, bytes] = {}  # access key id from an AssumeRole answer -> its account
        self.clients: set[asyncio.StreamWriter] = set()
        self.closing = asyncio.Event()

    # --- the client side ---------------------------------------------------------------------------------

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        try:
            while True:
                try:
                    first, lines, headers = await read_head(reader)
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                method, path, _ = first.split(b" ", 2)
                if headers.get(b"expect", b"").lower() == b"100-continue":
                    writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                body = await read_body(reader, headers) or b""
                answer = await self.handle(method, path, lines, headers, body)
                if answer is None:  # hang: never answered (the connection stays open until shutdown)
                    await self.closing.wait()
                    return
                writer.write(answer)
                await writer.drain()
                if headers.get(b"connection", b"").lower() == b"close":
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            self.clients.discard(writer)
            writer.close()

    async def handle(self, method: bytes, path: bytes, lines: list[bytes], headers: dict, body: bytes) -> bytes | None:
        if path.startswith(b"/_proxy/"):
            return self.control(method, path)
        if path.startswith(b"/_awswiz/"):  # control calls pass untouched
            return (await self.forward(method, path, lines, body))[0]
        if self.latency:
            await asyncio.sleep(self.latency)
        st = self.stats
        st.calls += 1
        region = service = ""
        akid = b""
        if self.by_region or self.throttle or self.fail or st.mode != "forward":
            if m := SCOPE_RE.search(headers.get(b"authorization", b"")):
                akid, region, service = m.group(1), m.group(2).decode(), m.group(3).decode()
        if self.by_region:
            if region in self.hang:  # accepted, never answered (until the proxy goes away)
                return None
            if region in self.html:
                return response(502, HTML_PAGE, "text/html")
            if region in self.deny:
                st.denied += 1
                _, message = auth_error(region)
                return response(401 if self.deny_code == "AuthFailure" else 400,
                                *error_body(headers, service, self.deny_code, message))
        if self.fail and (op := operation(headers, body)) in self.fail:
            code, status = self.fail[op]
            return response(status, *error_body(headers, service, code, f"{op} refused (injected)"))
        if self.throttle and self.rng.random() < self.throttle:
            st.throttled += 1
            return response(400, *error_body(headers, service, *THROTTLE))
        if st.mode == "forward":
            st.forwarded += 1
            return (await self.forward(method, path, lines, body))[0]
        key = (self.accounts.get(akid, akid), region, service, method, path, headers.get(b"x-amz-target"), body)
        if st.mode == "replay" and (answer := self.record.get(key)) is not None:
            st.replayed += 1
            return answer
        answer, status, rbody = await self.forward(method, path, lines, body)
        st.forwarded += 1
        if st.mode == "replay":
            st.missed += 1
            return answer
        if status < 500:  # a 5xx is the target's trouble, not an answer worth replaying
            self.record[key] = answer
            st.recorded += 1
            st.record_size = len(self.record)
            if status == 200 and service == "sts" and (k := KEY_RE.search(rbody)) and (
                    a := ROLE_ACCOUNT_RE.search(rbody)):
                self.accounts[k.group(1)] = a.group(1)
        return answer

    def control(self, method: bytes, path: bytes) -> bytes:
        if path.startswith(b"/_proxy/mode/") and method == b"POST":
            mode = path[len(b"/_proxy/mode/"):].decode()
            if mode not in MODES:
                return response(400, f"mode must be one of {', '.join(MODES)}".encode(), "text/plain")
            self.stats.mode = mode
        elif not path.startswith(b"/_proxy/stats"):
            return response(404, b"GET /_proxy/stats, POST /_proxy/mode/{forward,record,replay}", "text/plain")
        return response(200, json.dumps(self.stats.as_dict()).encode(), "application/json")

    # --- the target side ---------------------------------------------------------------------------------

    async def forward(self, method: bytes, path: bytes, lines: list[bytes], body: bytes) -> tuple[bytes, int, bytes]:
        """(the answer as sent to the client, its status, its body), over a kept-alive connection to the target."""
        out = [method + b" " + path + b" HTTP/1.1"]
        out += [line for line in lines if line.partition(b":")[0].strip().lower() not in HOP]
        out.append(b"Content-Length: " + str(len(body)).encode())
        request = b"\r\n".join(out) + b"\r\n\r\n" + body
        for attempt in range(2):
            fresh = not self.idle
            try:
                reader, writer = self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
            except OSError:
                return response(502, b"proxy: upstream failed", "text/plain"), 502, b""
            try:
                writer.write(request)
                first, rlines, rheaders = await read_head(reader)
                status = int(first.split(b" ", 2)[1])
                rbody = b"" if method == b"HEAD" or status in (204, 304) or 100 <= status < 200 else \
                    await read_body(reader, rheaders)
                close = rbody is None or rheaders.get(b"connection", b"").lower() == b"close"
                if rbody is None:
                    rbody = await reader.read()
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError, IndexError):
                writer.close()
                if attempt or fresh:
                    return response(502, b"proxy: upstream failed", "text/plain"), 502, b""
                continue  # a kept-alive connection the target had closed: once more on a new one
            if close:
                writer.close()
            else:
                self.idle.append((reader, writer))
            head = [first] + [line for line in rlines if line.partition(b":")[0].strip().lower() not in HOP]
            head.append(b"Content-Length: " + str(len(rbody)).encode())
            return b"\r\n".join(head) + b"\r\n\r\n" + rbody, status, rbody
        raise UpstreamError  # not reached


class Server:
    """The proxy's loop in a thread of its own: server_port, shutdown() (as the ThreadingHTTPServer it replaces)."""

    def __init__(self, proxy: Proxy, port: int):
        self.proxy = proxy
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(port, ready), daemon=True)
        self.thread.start()
        ready.wait(30)
        if not hasattr(self, "server_port"):
            raise RuntimeError("proxy did not start")

    def _run(self, port: int, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        # A scan opens dozens of connections at once: a short listen backlog can drop SYNs and add 1 s
        # connect retransmits that have nothing to do with the latency being simulated.
        self.server = self.loop.run_until_complete(asyncio.start_server(
            self.proxy.serve, "127.0.0.1", port, backlog=256, limit=1 << 20))
        self.server_port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def shutdown(self) -> None:
        async def stop() -> None:
            self.server.close()
            self.proxy.closing.set()
            for w in list(self.proxy.clients) + [w for _, w in self.proxy.idle]:
                w.close()
            await asyncio.sleep(0.05)  # the connections' coroutines see their end and return

        if self.loop.is_running():
            asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)

    server_close = shutdown


def start(target: str, latency_ms: float = 0, throttle: float = 0.0, deny: set[str] | None = None,
          port: int = 0, seed: int = 7, **faults) -> tuple[Server, Stats]:
    """faults: hang={regions}, html={regions}, fail={operation: (code, status)}, deny_code="ExpiredToken";
    mode="record" (or "replay", "forward": the default)."""
    proxy = Proxy(target, latency_ms / 1000, throttle, set(deny or ()), seed, **faults)
    return Server(proxy, port), proxy.stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True, help="upstream endpoint, e.g. the sandbox URL")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0)
    ap.add_argument("--throttle", type=float, default=0.0, help="share of calls answered Throttling (0..1)")
    ap.add_argument("--deny-region", action="append", default=[], help="answer AuthFailure for this region")
    ap.add_argument("--mode", choices=MODES, default="forward",
                    help="record: keep every answer; replay: answer from the record (POST /_proxy/mode/NAME)")
    a = ap.parse_args()
    server, _ = start(a.target, a.latency_ms, a.throttle, set(a.deny_region), a.port, mode=a.mode)
    print(f"http://127.0.0.1:{server.server_port}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
