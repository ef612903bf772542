"""Instance schedules: the tag `awswiz:schedule=stop=HH:MM;start=HH:MM;tz=ZONE` (schedule.py writes it,
reap.py applies it). Between `stop` and the next `start` (local time in tz, an IANA zone such as UTC or
Europe/Paris) the instance should be stopped; otherwise running. stop 20:00, start 08:00 is off overnight;
stop 08:00, start 20:00 is off during the day. Read strictly: a hand-edited value that does not parse is
skipped with the reason, never guessed.

`wanted(schedule, now)` is a pure function: what the instance should be at `now`, and since when (the last
boundary), which the plan records so that a reap under a policy acts once per window.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

KEY = "awswiz:schedule"
FORMAT = "stop=HH:MM;start=HH:MM;tz=ZONE (24-hour times 00:00-23:59, ZONE an IANA time zone such as UTC)"
TIME_FORMAT = "HH:MM, 24-hour, 00:00 to 23:59 (e.g. 20:00)"
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_VALUE = re.compile(r"^stop=([^;]*);start=([^;]*);tz=([^;]*)$")


class Invalid(ValueError):
    """A schedule that does not parse; the message names the format."""


@dataclass(frozen=True)
class Schedule:
    stop: _dt.time
    start: _dt.time
    tz: str

    @property
    def value(self) -> str:
        return f"stop={self.stop:%H:%M};start={self.start:%H:%M};tz={self.tz}"


def parse_time(text: str, what: str = "time") -> _dt.time:
    m = _TIME.match(text or "")
    if not m:
        raise Invalid(f"{what} {text!r} is not a time: expected {TIME_FORMAT}")
    return _dt.time(int(m[1]), int(m[2]))


# names in the zone database that are not a place: their rules are the machine's (localtime links to /etc/localtime)
MACHINE_ZONES = {"localtime", "posixrules", "Factory"}


def zone(name: str):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if name in ("UTC", "Z"):
        return _dt.UTC
    if name in MACHINE_ZONES or name.startswith(("posix/", "right/")):
        raise Invalid(f"tz {name!r} means whatever the machine that reaps is set to, not one zone: name an IANA "
                      "time zone (e.g. UTC, Europe/Paris, America/New_York)")
    try:
        if not name or name.startswith(("/", ".")) or ".." in name:
            raise ValueError
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"tz {name!r} is not a known IANA time zone (e.g. UTC, Europe/Paris, America/New_York)") \
            from None


def make(stop: str, start: str, tz: str = "UTC") -> Schedule:
    sched = Schedule(parse_time(stop, "stop"), parse_time(start, "start"), tz)
    zone(tz)
    if sched.stop == sched.start:
        raise Invalid(f"stop and start are both {stop}: the instance would never be stopped or never started")
    return sched


def parse(value: str) -> Schedule:
    """The schedule a tag value holds; Invalid naming the format otherwise (no spaces, this key order)."""
    m = _VALUE.match(value or "")
    if not m:
        raise Invalid(f"{KEY}={value!r} is malformed: expected {FORMAT}")
    try:
        return make(m[1], m[2], m[3])
    except Invalid as exc:
        raise Invalid(f"{KEY}={value!r} is malformed: {exc}") from None


def wanted(sched: Schedule, now: _dt.datetime) -> tuple[str, _dt.datetime]:
    """("stopped" or "running", when that window began, in UTC) at `now` (an aware datetime)."""
    tz = zone(sched.tz)
    local = now.astimezone(tz)
    bounds = []
    for days in (0, -1):  # the latest stop and start at or before now: today's or yesterday's
        day = local.date() + _dt.timedelta(days=days)
        for state, t in (("stopped", sched.stop), ("running", sched.start)):
            at = _dt.datetime.combine(day, t, tzinfo=tz)
            if at <= local:
                bounds.append((at, state))
    at, state = max(bounds)
    return state, at.astimezone(_dt.UTC)
