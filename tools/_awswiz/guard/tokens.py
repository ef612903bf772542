"""Saved plans: signed, single-use confirmation records under .state/plans/.

A plan file is written once and never edited: `<token>.json` holds the record and an HMAC-SHA256 of it
under a key kept in .state/plan.key (0600, made on first use). A record that does not verify (edited,
copied under another token, expiry moved) is refused. Applying a plan first claims it: an exclusive
create of `<token>.claim` (O_CREAT|O_EXCL), which exactly one of any number of concurrent confirms wins,
before the first AWS call. A claimed token is used, for good.

An action a policy pre-approves (reap --policy) has no token: its claim (claim_action) is a lock held on
`<key>.claim` while the run lives, and the file says "done" once the action was applied. A run killed
half-way holds nothing any more, so the next policy run takes over what it did not finish; what it did
finish is never applied twice.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import time

from _awswiz.shell import settings, state
from _awswiz.shell.state import state_dir

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


def claim_action(key: str) -> int | None:
    """Claim one pre-approved action for this run: the open, exclusively locked claim file (keep it until
    settle_action), or None when another live run holds it or a run applied it already. A file left by a
    run that died ("held ...", its lock gone with it) is taken over. A claim file in the old one-line form
    (a time) is read as applied: never applied twice."""
    fd = state._open(_path(key, "claim"), os.O_RDWR | os.O_CREAT)  # noqa: SLF001 - the state dir's safe open
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    said = os.pread(fd, 200, 0).decode(errors="replace")
    if said and not said.startswith("held "):
        os.close(fd)  # closing drops the lock
        return None
    _say(fd, f"held {time.time()} pid {os.getpid()}\n")
    return fd


def settle_action(fd: int, applied: bool) -> None:
    """End this run's claim: "done" for good once applied; otherwise free for a later run."""
    _say(fd, f"done {time.time()}\n" if applied else "")
    os.close(fd)


def _say(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.pwrite(fd, text.encode(), 0)
    os.fsync(fd)
