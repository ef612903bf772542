"""The overall deadline of a run (--timeout, default AWSWIZ_TIMEOUT): one clock for the whole process.

Three things keep it: the fan-out stops waiting at the deadline and reports what did not finish as
Timeout errors (a dead region never holds the others' results hostage); a botocore hook on every client
refuses to send a new attempt after it (so retries stop too); and each attempt is bounded by the connect
and read timeouts. A changing tool's discovery runs under the deadline; its apply phase lifts it
(guard.execute), so a confirmed plan is never cut off half-way.
"""

from __future__ import annotations

import time

from _awswiz.shell.errors import AwsWizError

_state: dict = {"at": None, "seconds": None, "hit": False}


class DeadlineExceeded(AwsWizError):
    code = "Timeout"


def start(seconds: float) -> None:
    _state.update(at=time.monotonic() + seconds, seconds=seconds, hit=False)


def lift() -> None:
    _state["at"] = None


def remaining() -> float | None:
    """Seconds left, or None when there is no deadline."""
    return None if _state["at"] is None else max(0.0, _state["at"] - time.monotonic())


def mark_hit() -> None:
    _state["hit"] = True


def was_hit() -> bool:
    return _state["hit"]


def message(what: str = "") -> str:
    return f"{what + ': ' if what else ''}no answer within the {_state['seconds']:g} s deadline (--timeout)"


def check(**_) -> None:
    """botocore 'before-send' hook: no new attempt once the deadline has passed."""
    left = remaining()
    if left is not None and left <= 0:
        mark_hit()
        raise DeadlineExceeded(message(), "raise --timeout, or narrow --region")
