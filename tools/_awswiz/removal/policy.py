"""reap.py --policy FILE: what a scheduled, unattended run (CI) may do without a confirmation token.

    # reap-policy.toml
    types = ["ec2:instance", "s3:bucket"]   # table type names, listed one by one (no wildcard)
    regions = ["us-east-1", "eu-west-1"]    # or "all" (every enabled region)
    max = 10                                # refuse the whole run when it would touch more
    schedules = true                        # optional: also apply awswiz:schedule (stop/start); default false

A policy only ever pre-approves expired, managed, unprotected resources (expiry.judge, guard.protection), each
action on its own resource: a part removed with its target (a launch's volume) must itself be managed and expired.
Nothing in the file can widen that, and a file that tries (a key such as `unexpired` or `protected`), that
does not parse, that names an unknown key, type or region, that is a symbolic link, not a regular file, or
that others may write (world-writable) is bad input: nothing runs. guard.run(preapproved=policy) checks
every action of the plan against it (`outside`); one action outside refuses the whole run.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
import stat
from dataclasses import dataclass

from _awswiz import guard
from _awswiz.removal import expiry, schedules
from _awswiz.shell.errors import BadInput

KEYS = ("types", "regions", "max", "schedules")
MAX_LIMIT = 100
WIDENING = {"unexpired", "unmanaged", "protected", "include_protected", "include_unmanaged", "include_unexpired",
            "ignore_protection", "ignore_expiry", "expired", "managed", "unprotected", "force", "all", "any"}
REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
SCHEDULE_OPS = {"stop": "stopped", "start": "running"}
# steps on a resource of the target's own that carries no tags of its own: the spot request AWS made for the
# instance (cancelled first, or AWS relaunches it: EC2 User Guide, "Terminate a Spot Instance")
TARGET_STEPS = {"cancel-spot-request"}
HINT = "see the policy format in uv run tools/reap.py --help (types, regions, max, schedules)"


@dataclass(frozen=True)
class Policy:
    path: str
    sha256: str
    types: tuple[str, ...]
    regions: tuple[str, ...] | None  # None: every enabled region
    max: int
    schedules: bool = False

    def describe(self) -> dict:
        return {"policy": self.path, "sha256": self.sha256, "types": list(self.types),
                "regions": list(self.regions) if self.regions else "all", "max": self.max,
                "schedules": self.schedules}

    def _own(self, a: guard.Action, now: _dt.datetime) -> str | None:
        """Why this action, on a resource of its own, is outside the policy."""
        if why := guard.protection(a.tags):
            return why
        if a.op in SCHEDULE_OPS and (a.detail or {}).get("schedule"):
            if not self.schedules:
                return "schedules are not allowed (schedules = true)"
            try:
                want, _ = schedules.wanted(schedules.parse(a.tags.get(schedules.KEY, "")), now)
            except schedules.Invalid as exc:
                return str(exc)
            return None if want == SCHEDULE_OPS[a.op] else f"its schedule says {want} now, not {a.op}"
        if a.type not in self.types:
            return f"type {a.type} is not in types"
        expired, why = expiry.judge(a.tags, now)
        return None if expired else (why or f"no {expiry.EXPIRES_KEY} tag")

    @staticmethod
    def part(a: guard.Action, now: _dt.datetime) -> str | None:
        """Why a step on another resource than its target (a launch's volume or group, an AMI's snapshot, a rule
        of another group) is outside any policy: that resource must itself be managed and expired."""
        if a.op in TARGET_STEPS:
            return None
        expired, why = expiry.judge(a.tags, now)
        return None if expired else f"{a.type} {a.id} is not itself managed and expired ({why or 'no expiry'})"

    def outside(self, plan: guard.Plan) -> list[str]:
        """Every action of the plan the policy does not cover, as "op id: why". A step planned for another
        target (a launch's security group, removed with its instance) is covered when that target is and
        the step's own resource is itself managed and expired (part)."""
        now = _dt.datetime.now(_dt.UTC)
        own = {a.id: self._own(a, now) for a in plan.actions if a.target_id == a.id}
        out = []
        for a in plan.actions:
            why = None
            if self.regions is not None and a.region not in self.regions:
                why = f"region {a.region} is not in regions"
            elif a.target_id == a.id:
                why = own[a.id]
            elif a.target_id not in own:
                why = f"it is planned for {a.target_id}, which the plan does not remove"
            elif own[a.target_id]:
                why = f"its target {a.target_id} is outside the policy"
            else:
                why = self.part(a, now)
            if why:
                out.append(f"{a.op} {a.id}: {why}")
        return out


def _read(path: str) -> bytes:
    try:
        st = os.lstat(path)
    except OSError as exc:
        raise BadInput(f"--policy {path}: cannot be read ({exc.strerror})", HINT) from None
    if stat.S_ISLNK(st.st_mode):
        raise BadInput(f"--policy {path} is a symbolic link: a policy must be a regular file of its own",
                       "point --policy at the file itself")
    if not stat.S_ISREG(st.st_mode):
        raise BadInput(f"--policy {path} is not a regular file", HINT)
    if st.st_mode & stat.S_IWOTH:
        raise BadInput(f"--policy {path} is world-writable (mode {stat.S_IMODE(st.st_mode):04o}): anyone could "
                       "widen what runs unattended", f"chmod o-w {path}")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as f:
        return f.read()


def load(path: str, table: set[str] | dict) -> Policy:
    """The checked policy in a file; BadInput naming what is wrong otherwise."""
    import tomllib

    raw = _read(path)
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"--policy {path} is not valid TOML: {exc}", HINT) from None
    widen = sorted(k for k in doc if k.casefold() in WIDENING)
    if widen:
        raise BadInput(f"--policy {path} sets {', '.join(widen)}: a policy pre-approves only expired, managed, "
                       "unprotected resources, and nothing in it can widen that", f"remove {', '.join(widen)}")
    unknown = sorted(set(doc) - set(KEYS))
    if unknown:
        raise BadInput(f"--policy {path}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(KEYS)}", HINT)
    types = doc.get("types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        raise BadInput(f"--policy {path}: types must be a non-empty list of type names, e.g. [\"ec2:instance\"]",
                       f"valid types: {', '.join(sorted(table))}")
    bad = [t for t in types if t not in table]
    if bad:
        raise BadInput(f"--policy {path}: types {', '.join(map(repr, bad))} unknown (no wildcards); valid types: "
                       f"{', '.join(sorted(table))}", HINT)
    regions = doc.get("regions")
    if regions != "all" and (not isinstance(regions, list) or not regions
                             or not all(isinstance(r, str) and REGION.match(r) for r in regions)):
        raise BadInput(f"--policy {path}: regions must be \"all\" or a non-empty list of region names such as "
                       f"[\"us-east-1\"] (got {regions!r})", HINT)
    count = doc.get("max")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_LIMIT:
        raise BadInput(f"--policy {path}: max must be a whole number from 1 to {MAX_LIMIT} (got {count!r})", HINT)
    sched = doc.get("schedules", False)
    if not isinstance(sched, bool):
        raise BadInput(f"--policy {path}: schedules must be true or false (got {sched!r})", HINT)
    return Policy(path=path, sha256=hashlib.sha256(raw).hexdigest(), types=tuple(dict.fromkeys(types)),
                  regions=None if regions == "all" else tuple(dict.fromkeys(regions)), max=count, schedules=sched)
