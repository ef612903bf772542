"""The export's folder: fixed file names (nothing read from AWS becomes a path), a manifest that marks the folder
as an export (what drift re-reads), and the checks done before anything is written: --out must be empty, new, or
an earlier export (whose files are replaced); a link is never followed."""

from __future__ import annotations

import json
import os
from pathlib import Path

from _awswiz.shell.errors import BadInput

MANIFEST = "awswiz-export.json"
KNOWN = {MANIFEST, "versions.tf", "main.tf", "imports.tf", "template.yaml", "import.json", ".terraform",
         ".terraform.lock.hcl", "terraform.tfstate", "terraform.tfstate.backup", "override.tf", "sandbox_override.tf"}


def default_dir(region: str, vpcs: list[str], tags: dict, ids: list[str]) -> Path:
    """.state/exports/<region>-<first selector>: the same selection exported again replaces its earlier export."""
    import re

    from _awswiz.shell.state import state_dir

    first = (vpcs or ids or [f"{k}-{v}" for k, v in tags.items()] or ["export"])[0]
    return state_dir("exports", re.sub(r"[^A-Za-z0-9._-]+", "_", f"{region}-{first}").strip("._")[:100])


def load_manifest(folder: Path) -> dict | None:
    p = folder / MANIFEST
    if p.is_symlink() or not p.is_file():
        return None
    try:
        doc = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("awswiz_export") == 1 else None


def check_out(folder: Path) -> None:
    """Bad input unless folder is new, empty, or an earlier export (checked before anything is read or written)."""
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise BadInput(f"--out {folder} is a link or a file, not a folder", "give a new or empty folder")
    if folder.is_dir() and any(folder.iterdir()) and load_manifest(folder) is None:
        raise BadInput(f"--out {folder} is a folder that holds files and is not an earlier export (no {MANIFEST})",
                       "give a new or empty folder, or an earlier export to replace")


def write(folder: Path, files: dict[str, str]) -> list[str]:
    """Write the files (fixed names only), removing those an earlier export of another format left."""
    from _awswiz.shell.state import root

    folder.mkdir(parents=True, exist_ok=True)
    private = folder.resolve().is_relative_to(root().resolve())  # under .state/: 0600, as every state file
    for stale in ("versions.tf", "main.tf", "imports.tf", "template.yaml", "import.json"):
        p = folder / stale
        if stale not in files and (p.is_file() and not p.is_symlink()):
            p.unlink()
    for name, text in files.items():
        assert name in KNOWN and "/" not in name, name
        p = folder / name
        if p.is_symlink():
            p.unlink()
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0),
                     0o600 if private else 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    return sorted(files)
