"""Saved plans: signed, single-use confirmation records under .state/plans/.

A plan file is written once and never edited: `<token>.json` holds the record and an HMAC-SHA256 of it
under a key kept in .state/plan.key (0600, made on first use). A record that does not verify (edited,
copied under another token, expiry moved) is refused. Applying a plan first claims it: an exclusive
create of `<token>.claim` (O_CREAT|O_EXCL), which exactly one of any number of concurrent confirms wins,
before the first AWS call. A claimed token is used, for good.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time

from . import settings, state
from .state import state_dir

TOKEN_RE = re.compile(r"^[0-9a-f]{16}$")


def _key() -> bytes:
    path = state_dir() / "plan.key"
    if not path.exists() and not path.is_symlink():
        # publish atomically (write a private temp file, then link it into place) so that a concurrent
        # run never reads a half-written key; the loser of a race reads the winner's key
        tmp = path.with_name(f".plan.key.{os.getpid()}.{secrets.token_hex(4)}")
        state.write_text(tmp, secrets.token_hex(32), exclusive=True)
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    key = state.read_text(path).strip()
    if len(key) < 32:
        raise state.StateError(f"{path} is damaged (too short)", f"remove {path}; plans made before then are void")
    return key.encode()


def _sign(body: dict) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, allow_nan=False)
    return hmac.new(_key(), text.encode(), hashlib.sha256).hexdigest()


def _path(token: str, suffix: str = "json"):
    return state_dir("plans") / f"{token}.{suffix}"


def save(body: dict) -> dict:
    """Save a new plan record (body: tool, account, digest, scope, actions); returns it with its token."""
    token = secrets.token_hex(8)
    now = time.time()
    record = {**body, "token": token, "created_at": now,
              "expires_at": now + settings.get("AWSWIZ_CONFIRM_TTL")}
    doc = {"record": record, "hmac": _sign(record)}
    state.write_text(_path(token), json.dumps(doc, default=str, allow_nan=False), exclusive=True)
    return record


class Invalid(Exception):
    """A token that cannot be applied; the message says why."""


def load(token: str) -> dict:
    """The verified record of a token; Invalid if unknown, unsigned, edited or renamed."""
    if not TOKEN_RE.match(token or ""):
        raise Invalid(f"{token!r} is not a confirmation token (16 hex characters)")
    try:
        doc = json.loads(state.read_text(_path(token)))
    except FileNotFoundError:
        raise Invalid(f"unknown confirmation token {token}") from None
    except ValueError:
        raise Invalid(f"the plan file of token {token} is not valid JSON (edited by hand?)") from None
    record = doc.get("record") if isinstance(doc, dict) else None
    if not isinstance(record, dict) or not hmac.compare_digest(str(doc.get("hmac", "")), _sign(record)):
        raise Invalid(f"the plan file of token {token} does not verify: it was edited or is not AwsWiz's")
    if record.get("token") != token:
        raise Invalid(f"the plan file of token {token} belongs to token {record.get('token')} (copied?)")
    return record


def is_claimed(token: str) -> bool:
    return _path(token, "claim").exists() or _path(token, "claim").is_symlink()


def claimed_at(token: str) -> float | None:
    try:
        return float(state.read_text(_path(token, "claim")).split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def claim(token: str) -> bool:
    """Claim the token for this run; False if another run (now or before) claimed it first."""
    try:
        state.write_text(_path(token, "claim"), f"{time.time()}\n", exclusive=True)
        return True
    except FileExistsError:
        return False


def release(token: str) -> None:
    """Give a claim back (an action that failed may be tried again by a later run)."""
    try:
        _path(token, "claim").unlink()
    except FileNotFoundError:
        pass
