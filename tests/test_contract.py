"""The layout contract: every tool's PEP 723 block declares all it imports, directly or through _awswiz,
and no tool is named like a package it imports."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import TOOLS

# import name -> the distribution that provides it (directly, or as a dependency of the one named)
PROVIDED_BY = {
    "boto3": "boto3", "botocore": "boto3", "jmespath": "boto3", "s3transfer": "boto3",
    "rich": "rich", "typer": "typer", "click": "typer", "tomlkit": "tomlkit", "paramiko": "paramiko",
    "cryptography": "cryptography",
    "moto": "moto", "werkzeug": "moto", "flask": "moto", "yaml": "moto", "plotly": "plotly",
}
STDLIB = set(sys.stdlib_module_names)


def tools() -> list[Path]:
    return sorted(p for p in TOOLS.glob("*.py") if not p.name.startswith("_"))


def script_block(path: Path) -> dict:
    m = re.search(r"(?m)^# /// script\n((?:^#.*\n)+?)^# ///$", path.read_text())
    assert m, f"{path.name} has no PEP 723 block"
    return tomllib.loads("".join(line[2:] if line.startswith("# ") else line[1:]
                                 for line in m.group(1).splitlines(keepends=True)))


def imports_of(path: Path, seen: set[Path] | None = None) -> set[str]:
    """Top-level third-party imports of a file, following `_awswiz` imports transitively."""
    seen = seen if seen is not None else set()
    if path in seen:
        return set()
    seen.add(path)
    tree = ast.parse(path.read_text())
    out: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import inside _awswiz
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                mods = [node.module] if node.module else [a.name for a in node.names]
                for mod in mods:
                    out |= _follow(base.joinpath(*mod.split(".")), seen)
                if node.module:  # "from .x import y": y may be a submodule
                    for a in node.names:
                        out |= _follow(base.joinpath(*node.module.split("."), a.name), seen)
                continue
            names = [node.module]
            if node.module and node.module.split(".")[0] == "_awswiz":
                for a in node.names:
                    out |= _follow(TOOLS.joinpath(*node.module.split("."), a.name), seen)
        for name in names:
            top = name.split(".")[0]
            if top == "_awswiz":
                out |= _follow(TOOLS.joinpath(*name.split(".")), seen)
            elif top not in STDLIB and top != "__future__":
                out.add(top)
    return out


def _follow(base: Path, seen: set[Path]) -> set[str]:
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return imports_of(candidate, seen)
    return set()


def dist_name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()


@pytest.mark.parametrize("tool", tools(), ids=lambda p: p.name)
def test_pep723_block_declares_every_import(tool):
    block = script_block(tool)
    declared = {dist_name(d) for d in block.get("dependencies", [])}
    needed = {PROVIDED_BY.get(m, m) for m in imports_of(tool)}
    unknown = {m for m in imports_of(tool) if m not in PROVIDED_BY}
    assert not unknown, f"{tool.name} imports {unknown}: add them to PROVIDED_BY and to the block"
    assert needed <= declared, f"{tool.name} must declare {needed - declared}"
    assert block.get("requires-python")


@pytest.mark.parametrize("tool", tools(), ids=lambda p: p.name)
def test_no_tool_shadows_a_package(tool):
    assert tool.stem not in PROVIDED_BY and tool.stem not in STDLIB, f"{tool.name} shadows a package"


def test_contract_sees_transitive_imports():
    """The walk really follows _awswiz: sandbox.py imports moto only through the core."""
    assert "moto" in imports_of(TOOLS / "sandbox.py")
    assert "moto" not in imports_of(TOOLS / "scan.py")
    assert "boto3" in imports_of(TOOLS / "scan.py")
