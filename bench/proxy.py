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

Its CPU per call is kept small (it shares the machine with the client it times): one thread runs an asyncio loop,
each client connection is a Protocol (no thread, no stream objects) whose requests are parsed from the bytes with a
minimal HTTP/1.1 parser (the head split once; the credential scope, operation or record key read only when a fault
or the mode needs them); an answer from the record or a fault is one timer (loop.call_later), a forwarded call one
coroutine over a plain non-blocking socket to the target (kept for the next call when the target allows it; the
sandbox's werkzeug closes each connection after its answer).

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
import socket
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
        self.idle: list[socket.socket] = []  # kept-alive connections to the target
        self.record: dict[tuple, bytes] = {}
        self.accounts: dict[bytes, bytes] = {}  # access key id from an AssumeRole answer -> its account
        self.clients: set[asyncio.Transport] = set()
        self.tasks: set[asyncio.Task] = set()

    # --- the client side ---------------------------------------------------------------------------------

    def answer(self, conn: Connection, method: bytes, path: bytes, lines: list[bytes], headers: dict,
               body: bytes) -> None:
        """Answer one request on conn: at once (control), after the latency (a fault, a replayed answer: one timer,
        no coroutine), or after the latency and the target's answer (a coroutine); never (hang)."""
        loop = asyncio.get_running_loop()
        if path.startswith(b"/_proxy/"):
            return conn.send(self.control(method, path))
        if path.startswith(b"/_awswiz/"):  # control calls pass untouched
            return self.passing(conn, method, path, lines, body)
        st = self.stats
        st.calls += 1
        region = service = ""
        akid = b""
        if self.by_region or self.throttle or self.fail or st.mode != "forward":
            if m := SCOPE_RE.search(headers.get(b"authorization", b"")):
                akid, region, service = m.group(1), m.group(2).decode(), m.group(3).decode()
        answer = None
        if self.by_region:
            if region in self.hang:  # accepted, never answered (until the proxy goes away)
                return None
            if region in self.html:
                answer = response(502, HTML_PAGE, "text/html")
            elif region in self.deny:
                st.denied += 1
                _, message = auth_error(region)
                answer = response(401 if self.deny_code == "AuthFailure" else 400,
                                  *error_body(headers, service, self.deny_code, message))
        if answer is None and self.fail and (op := operation(headers, body)) in self.fail:
            code, status = self.fail[op]
            answer = response(status, *error_body(headers, service, code, f"{op} refused (injected)"))
        if answer is None and self.throttle and self.rng.random() < self.throttle:
            st.throttled += 1
            answer = response(400, *error_body(headers, service, *THROTTLE))
        key = None
        if answer is None and st.mode != "forward":
            key = (self.accounts.get(akid, akid), region, service, method, path, headers.get(b"x-amz-target"), body)
            if st.mode == "replay" and (answer := self.record.get(key)) is not None:
                st.replayed += 1
        if answer is None:
            return self.passing(conn, method, path, lines, body, (key, service))
        if self.latency:
            loop.call_later(self.latency, conn.send, answer)
        else:
            conn.send(answer)
        return None

    def passing(self, conn: Connection, method: bytes, path: bytes, lines: list[bytes], body: bytes,
                call: tuple[tuple | None, str] | None = None) -> None:
        """Forward to the target in a coroutine; call: (record key, service) of an AWS call (None: a control call,
        passed at once, not counted)."""
        async def run() -> None:
            if call and self.latency:
                await asyncio.sleep(self.latency)
            answer, status, rbody = await self.forward(method, path, lines, body)
            conn.send(answer)
            if call:
                self.keep(*call, answer, status, rbody)

        task = asyncio.get_running_loop().create_task(run())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def keep(self, key: tuple | None, service: str, answer: bytes, status: int, rbody: bytes) -> None:
        """Count a forwarded call; in mode record, keep its answer under key (and learn the account of the keys an
        AssumeRole answer gives)."""
        st = self.stats
        st.forwarded += 1
        if st.mode == "replay":
            st.missed += 1
        elif st.mode == "record" and key is not None and status < 500:  # a 5xx is the target's trouble
            self.record[key] = answer
            st.recorded += 1
            st.record_size = len(self.record)
            if status == 200 and service == "sts" and (k := KEY_RE.search(rbody)) and (
                    a := ROLE_ACCOUNT_RE.search(rbody)):
                self.accounts[k.group(1)] = a.group(1)

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
        """(the answer as sent to the client, its status, its body): the target's, over a plain non-blocking socket
        (no stream objects per connection), kept for the next call when the target keeps it open (werkzeug, the
        sandbox's server, closes every connection after its answer)."""
        out = [method + b" " + path + b" HTTP/1.1"]
        out += [line for line in lines if line.partition(b":")[0].strip().lower() not in HOP]
        out.append(b"Content-Length: " + str(len(body)).encode())
        request = b"\r\n".join(out) + b"\r\n\r\n" + body
        loop = asyncio.get_running_loop()
        for attempt in range(2):
            sock = self.idle.pop() if self.idle else None
            fresh = sock is None
            try:
                if sock is None:
                    sock = socket.socket()
                    sock.setblocking(False)
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    await loop.sock_connect(sock, (self.host, self.port))
                await loop.sock_sendall(sock, request)
                head, status, rbody, close = await read_answer(loop, sock, method)
            except (OSError, ValueError, IndexError):
                sock.close()
                if attempt or fresh:
                    return response(502, b"proxy: upstream failed", "text/plain"), 502, b""
                continue  # a kept-alive connection the target had closed: once more on a new one
            if close:
                sock.close()
            else:
                self.idle.append(sock)
            return head + b"\r\nContent-Length: " + str(len(rbody)).encode() + b"\r\n\r\n" + rbody, status, rbody
        raise UpstreamError  # not reached


async def read_answer(loop, sock: socket.socket, method: bytes) -> tuple[bytes, int, bytes, bool]:
    """(its status line and headers but the framing ones, status, body, whether the target closes the connection)."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        if not (chunk := await loop.sock_recv(sock, 1 << 18)):
            raise ConnectionError("the target closed the connection")
        buf += chunk
    lines = bytes(buf[:end]).split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers, kept = {}, [lines[0]]
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers[name := name.strip().lower()] = value.strip()
        if name not in HOP:
            kept.append(line)
    rest = buf[end + 4:]
    close = headers.get(b"connection", b"").lower() == b"close"
    if method == b"HEAD" or status in (204, 304) or status < 200:
        rbody = b""
    elif b"chunked" in headers.get(b"transfer-encoding", b"").lower():
        while (got := dechunk(rest)) is None:
            if not (chunk := await loop.sock_recv(sock, 1 << 18)):
                raise ConnectionError("the target closed the connection mid-answer")
            rest += chunk
        rbody = got[0]
    elif (n := headers.get(b"content-length")) is not None:
        while len(rest) < int(n):
            if not (chunk := await loop.sock_recv(sock, 1 << 18)):
                raise ConnectionError("the target closed the connection mid-answer")
            rest += chunk
        rbody = bytes(rest[:int(n)])
    else:  # the body runs until the target closes
        while chunk := await loop.sock_recv(sock, 1 << 18):
            rest += chunk
        rbody, close = bytes(rest), True
    return b"\r\n".join(kept), status, rbody, close


def dechunk(data: bytearray, i: int = 0) -> tuple[bytes, int] | None:
    """A whole chunked body that starts at data[i:], decoded, and where it ends; None while it is incomplete."""
    parts = []
    while (j := data.find(b"\r\n", i)) >= 0:
        size = int(bytes(data[i:j]).split(b";", 1)[0], 16)
        if size == 0:
            end = data.find(b"\r\n\r\n", j)  # after any trailers
            return (b"".join(parts), end + 4) if end >= 0 else None
        if len(data) < j + 2 + size + 2:
            return None
        parts.append(bytes(data[j + 2:j + 2 + size]))
        i = j + 2 + size + 2
    return None


class Connection(asyncio.Protocol):
    """One client connection: its requests parsed from the bytes as they come (HTTP/1.1, one at a time: botocore
    never pipelines), each handed to Proxy.answer, whose answer comes back through send()."""

    def __init__(self, proxy: Proxy):
        self.proxy = proxy
        self.buf = bytearray()
        self.busy = self.continued = self.closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.proxy.clients.add(transport)

    def connection_lost(self, exc) -> None:
        self.proxy.clients.discard(self.transport)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.busy:
            self.next()

    def next(self) -> None:
        """Take one whole request off the buffer, if there is one, and have it answered."""
        buf = self.buf
        if (end := buf.find(b"\r\n\r\n")) < 0:
            return
        lines = bytes(buf[:end]).split(b"\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        start = end + 4
        if b"chunked" in headers.get(b"transfer-encoding", b"").lower():
            got = dechunk(buf, start)
            body, stop = got if got else (None, 0)
        elif (n := int(headers.get(b"content-length", 0))) and len(buf) < start + n:
            body = None
        else:
            body, stop = bytes(buf[start:start + n]), start + n
        if body is None:  # the rest of the body is on its way
            if not self.continued and headers.get(b"expect", b"").lower() == b"100-continue":
                self.continued = True
                self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            return
        del buf[:stop]
        self.busy, self.continued = True, False
        self.closing = headers.get(b"connection", b"").lower() == b"close"
        method, path, _ = lines[0].split(b" ", 2)
        self.proxy.answer(self, method, path, lines[1:], headers, body)

    def send(self, answer: bytes) -> None:
        if self.transport.is_closing():
            return
        self.transport.write(answer)
        self.busy = False
        if self.closing:
            self.transport.close()
        elif self.buf:
            self.next()


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
        self.server = self.loop.run_until_complete(self.loop.create_server(
            lambda: Connection(self.proxy), "127.0.0.1", port, backlog=256))
        self.server_port = self.server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    def shutdown(self) -> None:
        async def stop() -> None:
            self.server.close()
            for t in list(self.proxy.clients):
                t.close()
            for sock in self.proxy.idle:
                sock.close()
            for task in list(self.proxy.tasks):
                task.cancel()
            await asyncio.sleep(0.05)  # the closed transports and cancelled forwards see their end

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
