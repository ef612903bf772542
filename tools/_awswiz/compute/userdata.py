"""User data for launch.py: the TTL timer and the --init scripts, joined into one bash script.

The TTL holds without AwsWiz: a systemd timer at an absolute UTC time (Persistent=true, so a timer missed
while the box was down fires at the next boot) powers the box off from inside; the instance's
InstanceInitiatedShutdownBehavior (set explicitly at launch) turns that into stop or terminate (EC2 User
Guide, "Change instance initiated shutdown behavior").
"""

from __future__ import annotations

import hashlib
import re
import shlex
from pathlib import Path

from _awswiz.shell.errors import BadInput

INIT_DIR = Path(__file__).resolve().parents[2] / "init"
MAX_BYTES = 16 * 1024  # EC2 User Guide, "Run commands when you launch an EC2 instance with user data input":
#                        user data is limited to 16 KB in raw form, before base64 encoding
TTL_RE = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
MAX_TTL = 30 * 86400


def parse_ttl(value: str | None) -> int | None:
    """"90m", "2h", "1d12h" -> seconds; None -> None. Bad input names the form."""
    if value is None:
        return None
    m = TTL_RE.match(value.strip().lower())
    seconds = 0
    if m and any(m.groups()):
        d, h, mi = (int(x or 0) for x in m.groups())
        seconds = d * 86400 + h * 3600 + mi * 60
    if not seconds or seconds > MAX_TTL:
        raise BadInput(f"--ttl must be a duration such as 90m, 2h or 1d12h, between 1m and 30d (got {value!r})",
                       "e.g. --ttl 4h")
    return seconds


def library() -> list[str]:
    return sorted(p.stem for p in INIT_DIR.glob("*.sh"))


def resolve_init(value: str) -> Path:
    """A file path, or the name of a script in tools/init/ (nvidia_check, uv_env, ...)."""
    p = Path(value).expanduser()
    if p.is_file():
        return p
    lib = INIT_DIR / (value if value.endswith(".sh") else f"{value}.sh")
    if "/" not in value and lib.is_file():
        return lib
    raise BadInput(f"--init {value!r}: no such file, and not a script of tools/init/ "
                   f"({', '.join(library())})", "pass a path to a shell script, or one of the library names")


def ttl_section(expires_at: str) -> str:
    """expires_at: 'YYYY-MM-DD HH:MM:SS' UTC."""
    return (
        "# awswiz: TTL timer (expires-at " + expires_at + " UTC)\n"
        "printf '[Unit]\\nDescription=AwsWiz TTL\\n[Service]\\nType=oneshot\\nExecStart=/usr/bin/systemctl poweroff\\n'"
        " >/etc/systemd/system/awswiz-ttl.service\n"
        f"printf '[Timer]\\nOnCalendar={expires_at} UTC\\nPersistent=true\\n[Install]\\nWantedBy=timers.target\\n'"
        " >/etc/systemd/system/awswiz-ttl.timer\n"
        "systemctl daemon-reload && systemctl enable --now awswiz-ttl.timer"
        f" || echo 'systemctl poweroff' | at -t $(date -u -d '{expires_at}' +%Y%m%d%H%M) 2>/dev/null"
        f" || shutdown -h +$(( ($(date -u -d '{expires_at}' +%s) - $(date +%s)) / 60 ))\n")


def end_marker(i: int, body: str) -> str:
    """A heredoc delimiter that no line of body is: from the body's own digest (no file can contain the
    digest of itself), made longer in the (never seen) case that a line still equals it."""
    digest = hashlib.sha256(body.encode()).hexdigest()
    lines = set(body.splitlines())
    for n in range(16, 65, 8):
        marker = f"AWSWIZ_INIT_{i}_{digest[:n]}"
        if marker not in lines:
            return marker
    raise BadInput("an --init file contains every end marker AwsWiz would use", "rename the lines")


def build(init_files: list[Path], expires_at: str | None) -> str:
    """The whole user data script. Each init file runs in its own bash, in order, logged; one failing does
    not stop the others (nor the TTL timer, which is set first)."""
    parts = ["#!/bin/bash", "# made by AwsWiz launch.py", "exec >>/var/log/awswiz-init.log 2>&1"]
    if expires_at:
        parts.append(ttl_section(expires_at))
    for i, f in enumerate(init_files):
        body = f.read_text().rstrip()
        marker = end_marker(i, body)
        # the name is printed as one quoted word (a file named x$(id).sh is a name, not a command); the body
        # goes verbatim into a quoted heredoc (no expansion) whose end marker is not a line of it (bash(1),
        # "Here Documents": the document ends at the first line that is exactly the delimiter)
        parts.append(f"echo {shlex.quote(f'== init {i + 1}: {f.name} ==')}\n"
                     f"bash -s <<'{marker}'\n{body}\n{marker}")
    text = "\n".join(parts) + "\n"
    if len(text.encode()) > MAX_BYTES:
        raise BadInput(f"the init scripts make {len(text.encode())} bytes of user data; EC2 takes at most "
                       f"{MAX_BYTES} (16 KB)", "pass fewer or smaller --init files")
    return text
