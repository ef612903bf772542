"""The per-checkout state directory: .state/ beside tools/, or AWSWIZ_STATE_DIR.

Private by construction: the directory and its subdirectories are 0700, every file is 0600, and a
symbolic link anywhere inside is refused (O_NOFOLLOW), never followed: a link planted as audit.jsonl or
plans/ would otherwise send our writes somewhere else. All reads and writes of state go through the
helpers below.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from _awswiz.shell.errors import AwsWizError

TOOLS_DIR = Path(__file__).resolve().parents[2]
REPO_DIR = TOOLS_DIR.parent
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class StateError(AwsWizError):
    code = "UnsafeState"


def root() -> Path:
    """The state directory as an absolute path. A relative AWSWIZ_STATE_DIR is made absolute once (and
    said on stderr), and the variable rewritten so that what this run starts (the sandbox) agrees."""
    raw = os.environ.get("AWSWIZ_STATE_DIR")
    if not raw:
        return REPO_DIR / ".state"
    if not os.path.isabs(raw):
        absolute = os.path.abspath(raw)
        os.environ["AWSWIZ_STATE_DIR"] = absolute
        from _awswiz.shell.output import warn

        warn(f"AWSWIZ_STATE_DIR={raw!r} is relative; using {absolute}")
        raw = absolute
    return Path(raw)


def _private_dir(p: Path) -> None:
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        os.mkdir(p, 0o700)
        os.chmod(p, 0o700)
        return
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise StateError(f"{p} is a symbolic link or not a directory; AwsWiz refuses to follow links in its "
                         "state directory", f"remove {p}, or point AWSWIZ_STATE_DIR at a plain directory")
    if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.getuid():
        os.chmod(p, 0o700)  # a directory made by an older version, or by git: tighten it


def state_dir(*parts: str) -> Path:
    """Return (and create, mode 0700) the state directory or a subdirectory of it."""
    base = root()
    if not base.parent.exists():
        base.parent.mkdir(parents=True, exist_ok=True)
    _private_dir(base)
    path = base
    for part in parts:
        path = path / part
        _private_dir(path)
    return path


def _open(path: Path, flags: int) -> int:
    try:
        fd = os.open(path, flags | NOFOLLOW | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError:
        if os.path.islink(path):
            raise StateError(f"{path} is a symbolic link; AwsWiz refuses to follow links in its state directory",
                             f"remove {path} (it was not made by AwsWiz)") from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise StateError(f"{path} is not a regular file", f"remove {path}")
    if stat.S_IMODE(st.st_mode) != 0o600 and flags & (os.O_WRONLY | os.O_RDWR):
        os.fchmod(fd, 0o600)
    return fd


def check_not_link(path: Path) -> None:
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise StateError(f"{path} is a symbolic link or not a regular file; AwsWiz refuses to follow links in its "
                         "state directory", f"remove {path} (it was not made by AwsWiz)")


def read_text(path: Path) -> str:
    fd = _open(path, os.O_RDONLY)
    with os.fdopen(fd, "r") as f:
        return f.read()


def write_text(path: Path, text: str, exclusive: bool = False) -> None:
    """Write a whole file (0600). exclusive: fail with FileExistsError if it exists (atomic claim)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = _open(path, flags)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def replace_text(path: Path, text: str) -> None:
    """Write atomically (readers see the old file or the new one): a private temp file, then rename."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}.{threading.get_ident()}")  # one per writer thread too
    write_text(tmp, text)
    os.replace(tmp, path)


def append_line(path: Path, line: str) -> None:
    fd = _open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, line.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def open_private(path: Path, mode: str = "ab"):
    """A file object on a private file (logs, locks)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in mode else os.O_TRUNC)
    return os.fdopen(_open(path, flags), mode)
