"""The per-checkout state directory: .state/ beside tools/, or AWSWIZ_STATE_DIR."""

from __future__ import annotations

import os
from pathlib import Path

TOOLS_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = TOOLS_DIR.parent


def state_dir(*parts: str) -> Path:
    """Return (and create, mode 0700) the state directory or a subdirectory of it."""
    root = Path(os.environ.get("AWSWIZ_STATE_DIR") or REPO_DIR / ".state")
    path = root.joinpath(*parts)
    for p in [root, *[root.joinpath(*parts[: i + 1]) for i in range(len(parts))]]:
        if not p.exists():
            p.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(p, 0o700)
    return path
