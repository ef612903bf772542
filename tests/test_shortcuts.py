"""aws/shortcuts.py: the User-Agent text kept per client and the handler table copied on write leave every request
the same. End to end, a scan of every account of the lab's Organization in two regions (all its services: query,
JSON, REST-JSON and REST-XML protocols; the caller's clients and those of the accounts entered with AssumeRole)
goes through a recorder in front of the sandbox, once with AWSWIZ_LEAN=0 (botocore as it is) and once by default;
the requests must be the same: method, URL, body, every header, and the signature's scope and signed headers.

What is left out of the comparison differs between any two runs, shortcuts or not: the time (X-Amz-Date, the
scope's date), the per-request id (amz-sdk-invocation-id), the keys AssumeRole hands out (the access key id in the
Credential, the session token's value) and so the signature itself, and the order in which the User-Agent's
feature ids are listed (a Python set's order, which changes with each process's hash seed). The signature is
botocore's own, unchanged, computed over what is compared (AWS General Reference, "Signature Version 4": the
canonical request is the method, URI, query, the signed headers and their values, and the payload's hash; the
User-Agent header is not among the headers botocore signs, botocore/auth.py _UNSIGNED_HEADERS).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from urllib.parse import urlparse

import pytest
from gate import Quiet, answer, forward, serve

VARYING = {"x-amz-date", "amz-sdk-invocation-id"}


class Recorder:
    """Forwards every request to the sandbox and keeps (method, path, headers, body) of each."""

    def __init__(self, target: str):
        self.seen: list[tuple] = []
        t = urlparse(target)
        rec = self

        class Handler(Quiet):
            def _handle(self):
                body = self.body()
                rec.seen.append((self.command, self.path, list(self.headers.items()), body))
                answer(self, forward(self, t, body))

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle  # noqa: N815

        self.server, self.url = serve(Handler)

    def close(self):
        self.server.shutdown()


def comparable(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> tuple:
    out = []
    for k, v in headers:
        k = k.lower()
        if k in VARYING:
            continue
        if k == "authorization":  # AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request, SignedHeaders=..
            m = re.fullmatch(r"(\S+) Credential=[^/]+/\d{8}/([^,]+), SignedHeaders=([^,]+), Signature=[0-9a-f]{64}", v)
            assert m, v
            v = m.group(1, 2, 3)
        elif k == "x-amz-security-token":
            v = "(a session token)"
        elif k == "user-agent":  # m/A,B,C: the feature ids, in a set's order
            v = re.sub(r"(^| )m/([^ ]+)", lambda g: f"{g.group(1)}m/{','.join(sorted(g.group(2).split(',')))}", v)
        out.append((k, v))
    return method, path, tuple(sorted(out)), body


def test_requests_are_the_same_with_and_without_the_shortcuts(run_tool, sandbox, tmp_path):
    rec = Recorder(sandbox.url)
    args = ("scan", "--accounts", "org", "--region", "us-east-1,eu-west-1")
    seen = {}
    try:
        for mode, env in (("plain", {"AWSWIZ_LEAN": "0"}), ("fast", {})):
            rec.seen = []
            (tmp_path / mode).mkdir(mode=0o700)  # each run its own caches (the price lookups), so both ask
            r = run_tool(*args, endpoint=rec.url, env={**env, "AWSWIZ_SHARDS": "1",
                                                        "AWSWIZ_STATE_DIR": str(tmp_path / mode)})
            assert r.code == 0, r.stdout + r.stderr
            seen[mode] = Counter(comparable(*s) for s in rec.seen)
    finally:
        rec.close()
    plain, fast = seen["plain"], seen["fast"]
    assert sum(plain.values()) > 100  # every service's list calls, in three accounts (two entered: AssumeRole)
    assert sum(1 for m, p, h, b in plain if b"Action=AssumeRole" in b) == 2
    assert {dict(h).get("x-amz-security-token") for _m, _p, h, _b in plain} == {None, "(a session token)"}
    assert fast == plain, (f"only without: {list((plain - fast).elements())[:3]}\n"
                           f"only with: {list((fast - plain).elements())[:3]}")


# --- the handler table copied on write behaves as botocore's full copy (in-process: pure logic) ---

def handlers(trie, key: str) -> list:
    return list(trie.prefix_search(key))


KEYS = ["before-call", "before-call.ec2", "before-call.ec2.DescribeInstances", "before-call.*.DescribeInstances",
        "request-created.s3", "request-created.s3.ListBuckets", "needs-retry", "needs-retry.ec2"]


@pytest.mark.parametrize("seed", range(5))
def test_a_copied_handler_table_changes_apart_from_its_original(seed):
    """Random registrations and removals on a table, its copies and copies of copies: after each step every
    table answers every lookup as botocore's own table (fully copied) given the same steps does."""
    import random

    from _awswiz.aws.shortcuts import _PLAIN_TRIE, CopyOnWriteTrie

    rnd = random.Random(seed)
    ours, theirs = [CopyOnWriteTrie()], [_PLAIN_TRIE()]
    for step in range(400):
        i = rnd.randrange(len(ours))
        action = rnd.random()
        if action < 0.15 and len(ours) < 8:
            ours.append(copy.copy(ours[i]))
            theirs.append(copy.copy(theirs[i]))
        elif action < 0.75:
            key, section = rnd.choice(KEYS), rnd.randrange(3)
            ours[i].append_item(key, step, section)
            theirs[i].append_item(key, step, section)
        else:
            key = rnd.choice(KEYS)
            have = handlers(theirs[i], key)
            value = rnd.choice(have) if have else -1
            outcomes = []
            for t in (ours[i], theirs[i]):
                try:
                    t.remove_item(key, value)
                    outcomes.append("removed")
                except Exception as exc:  # noqa: BLE001 - botocore's own: ValueError, or a node without values
                    outcomes.append(type(exc).__name__)
            assert outcomes[0] == outcomes[1], (key, value)
        for o, t in zip(ours, theirs, strict=True):
            for key in KEYS + ["before-call.ec2.Other", "other"]:
                assert handlers(o, key) == handlers(t, key), (step, key)
