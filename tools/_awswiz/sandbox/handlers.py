"""Answers for the APIs moto lacks, given in front of moto from seeded state.

A handler is registered for a JSON-protocol target (X-Amz-Target, e.g.
"ServiceQuotasV20190624.GetServiceQuota") or a query-protocol action ("ec2:RunInstances"). It gets
(params, region, state) and returns a dict (the response), raises ApiError, or returns PASS to let
moto answer. `state` is the sandbox's own mutable store; `reset()` rebuilds it from the seeders.

A call acts in the account of the credentials that sign it, an assumed role's temporary credentials in the role's
account (IAM User Guide, "Providing access to an IAM user in another AWS account that you own": "A user in one
account can switch to a role in the same or a different account. While using the role, the user can perform only
the actions and access only the resources permitted by the role"; STS API Reference, AssumeRole: "use temporary
security credentials to access all the other accounts by assuming roles in those accounts"). So does every handler:
`account()` is the account of the request being answered, found as moto finds it, `backend(...)` moto's store of
that account, `own(...)` that account's part of the sandbox's own state. The lab (the Organization's management
account) is moto's default account, `LAB`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID

PASS = object()
HANDLERS: dict[str, Callable[[dict, str, dict], Any]] = {}
SEEDERS: list[Callable[[dict], None]] = []  # each fills its part of the fresh state
STATE: dict[str, Any] = {}
SERIALS: dict[str, int] = {}  # the next number of each id sequence (a reset keeps them: ids are never reused)
LOCK = threading.RLock()
NOTES: list[Callable[[dict], None]] = []  # the server's call log: what the sandbox saw besides API calls (note)
LAB = DEFAULT_ACCOUNT_ID  # the lab's account (123456789012): that of an unsigned call or an unknown key, as in moto
_REQUEST = threading.local()  # the request this thread answers: its headers (server.py sets them) and account


def answering(headers: dict | None) -> None:
    """The server starts (headers: {name lowercased: value}) or ends (None) answering a request on this thread."""
    _REQUEST.headers, _REQUEST.account = headers, None


def account() -> str:
    """The account the request being answered acts in, found as moto's BaseResponse.get_current_account finds it:
    MOTO_ACCOUNT_ID, else the x-moto-account-id header, else the account whose access key signed the request (moto
    gives an assumed role's keys to the role's account: moto docs, "Multi-Account support"), else moto's default
    (the lab's). Outside a request (the lab's own seeding in the server) it is the lab's."""
    import os

    headers = getattr(_REQUEST, "headers", None)
    if headers is None:
        return LAB
    if _REQUEST.account is None:
        from moto.core.responses import BaseResponse
        from moto.iam.models import get_account_id_from

        found = BaseResponse.access_key_regex.search(headers.get("authorization", ""))
        _REQUEST.account = os.environ.get("MOTO_ACCOUNT_ID") or headers.get("x-moto-account-id") or \
            get_account_id_from(found.group(1) if found else "AKIAEXAMPLE")
    return _REQUEST.account


def backend(backends, where: str = "global", of: str | None = None):
    """moto's backend in `backends` (ec2_backends, cloudwatch_backends, iam_backends, ...) of the request's account
    (or of the account `of`), for the region `where` (IAM and other global services: "global")."""
    return backends[of or account()][where]


def own(state: dict, key: str, fresh: Callable[[], Any] = dict, of: str | None = None):
    """The request's account's (or `of`'s) part of state[key], made by fresh() on the account's first use."""
    mine = state.setdefault(key, {})
    who = of or account()
    if who not in mine:
        mine[who] = fresh()
    return mine[who]


def note(entry: dict) -> None:
    """Put an event that is no API call (an SSH forward by a stand-in) in the server's calls, for tests to see."""
    for fn in NOTES:
        fn(entry)


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def handles(*keys: str, chained: bool = False):
    """Register fn for keys. A second module registering the same key must say it chains in front of the
    first (chained=True, calling it); a silent replacement would drop the first module's rules."""
    def deco(fn):
        for k in keys:
            if k in HANDLERS and not chained:
                raise RuntimeError(f"sandbox handler for {k} registered twice; chain it (handles(..., chained=True))")
            HANDLERS[k] = fn
        return fn

    return deco


def next_serial(name: str, start: int) -> int:
    """The next number of the id sequence `name` (the first is start)."""
    with LOCK:
        n = SERIALS.get(name, start)
        SERIALS[name] = n + 1
        return n


def seeder(fn: Callable[[dict], None]):
    SEEDERS.append(fn)
    return fn


def reset() -> None:
    with LOCK:
        STATE.clear()
        for fn in SEEDERS:
            fn(STATE)

