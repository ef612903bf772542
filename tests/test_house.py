"""The floor plan of the core (README "Layout"; issue 20): every module of tools/_awswiz imports only its own
folder and the floors below it, folders on one floor never import each other, there is no import circle, and
nothing but tools/sandbox.py reaches the emulator's code. Read from the source (ast), so it needs no AWS."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import TOOLS

CORE = TOOLS / "_awswiz"
FLOORS = {"shell": 1, "aws": 2, "guard": 3, "inventory": 3, "compute": 4, "security": 4, "iac": 4, "money": 5,
          "removal": 5, "scan": 6, "cli": 7}
MAX_TOP_LEVEL = 14


def module_name(path: Path) -> str:
    parts = list(path.relative_to(TOOLS).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in CORE.rglob("*.py")}


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """The _awswiz modules a file imports (at the top or inside a function), absolute or relative."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
            out |= {t for t in targets if t in known}
            continue
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = name.split(".") if is_pkg else name.split(".")[:-1]
            base = base[: len(base) - (node.level - 1)]
            target = ".".join([*base, *([node.module] if node.module else [])])
        else:
            target = node.module or ""
        for a in node.names:
            if f"{target}.{a.name}" in known:
                out.add(f"{target}.{a.name}")
            elif target in known:
                out.add(target)
    return out - {name}


def graph() -> dict[str, set[str]]:
    mods = modules()
    return {m: imports(p, m, set(mods)) for m, p in mods.items()}


def folder(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_the_core_has_few_entries_at_its_top_level():
    entries = [p.name for p in CORE.iterdir() if p.name != "__pycache__"]
    assert len(entries) <= MAX_TOP_LEVEL, sorted(entries)
    assert set(FLOORS) - {"cli"} <= {p.name for p in CORE.iterdir() if p.is_dir()}


def test_every_import_runs_down_the_floors():
    wrong = []
    for mod, targets in graph().items():
        here = folder(mod)
        if here == "sandbox" or here not in FLOORS and here != "":
            continue
        for t in targets:
            there = folder(t)
            if there == here or t == "_awswiz":
                continue
            if there == "sandbox":
                wrong.append(f"{mod} -> {t}: the core reaches the emulator only as a process (shell.sandbox_client)")
            elif here == "" or FLOORS.get(there, 99) >= FLOORS.get(here, 0):
                wrong.append(f"{mod} (floor {FLOORS.get(here)}) -> {t} (floor {FLOORS.get(there)})")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_circle():
    g = graph()
    state: dict[str, int] = {}
    circles = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for t in sorted(g.get(m, ())):
            if state.get(t) == 1:
                circles.append(" -> ".join(path[path.index(t):] + [t]))
            elif t not in state:
                visit(t, [*path, t])
        state[m] = 2

    for m in sorted(g):
        if m not in state:
            visit(m, [m])
    assert not circles, "\n".join(circles)


def test_only_the_sandbox_tool_imports_the_sandbox():
    users = []
    for path in [*TOOLS.glob("*.py"), *(p for p in CORE.rglob("*.py") if folder(module_name(p)) != "sandbox")]:
        text = path.read_text()
        if "_awswiz.sandbox" in text.replace("_awswiz.sandbox_client", "").replace("shell.sandbox_client", "") \
                or "from _awswiz import sandbox" in text:
            users.append(path.name)
    assert users == ["sandbox.py"], users


def test_removers_are_found_by_walking_the_package_and_a_type_registers_once():
    from _awswiz.removal import removers

    found = removers.registry()
    assert {"ec2:instance", "s3:bucket", "vpc:vpc", "iam:role", "eks:cluster"} <= set(found)
    import pytest

    with pytest.raises(RuntimeError, match="two removers for ec2:instance"):
        removers.register(removers.Remover(type="ec2:instance"))
    assert removers.registry()["ec2:instance"] is found["ec2:instance"]


def test_only_the_door_and_the_guard_build_the_envelope():
    # domain code returns data; the script (through cli.py) or the guard's flow builds the envelope (Result)
    builders = sorted(module_name(p) for p in CORE.rglob("*.py")
                      if folder(module_name(p)) != "sandbox" and "Result" in {
                          a.name for n in ast.walk(ast.parse(p.read_text())) if isinstance(n, ast.ImportFrom)
                          for a in n.names})
    assert builders == ["_awswiz.cli", "_awswiz.guard"], builders


SANDBOX = "_awswiz.sandbox"
SANDBOX_CORE = {f"{SANDBOX}.{m}" for m in ("handlers", "answers", "prices", "ledger", "snapshot")}  # below every folder


def test_the_sandbox_is_grouped_by_service_and_its_folders_stay_apart():
    """sandbox/: the core (registry, shared answer shapes, the price model, the cost ledger) imports only itself;
    a service folder (ec2/, pricing/, ...) imports the core and itself, never another service; the lab (seeded
    through the API) imports the core and itself; server.py loads them all. The emulator never imports the tools'
    code."""
    wrong = []
    for mod, targets in graph().items():
        if folder(mod) != "sandbox" or mod in (SANDBOX, f"{SANDBOX}.server"):
            continue
        parts = mod.split(".")
        own = ".".join(parts[:3]) if len(parts) > 3 else None  # _awswiz.sandbox.ec2 for _awswiz.sandbox.ec2.amis
        for t in targets:
            if folder(t) != "sandbox":
                wrong.append(f"{mod} -> {t}: the sandbox never imports the tools' code")
            elif t not in SANDBOX_CORE and t != SANDBOX and (own is None or not (t == own or t.startswith(own + "."))):
                wrong.append(f"{mod} -> {t}")
    assert not wrong, "\n".join(sorted(wrong))
    folders = {p.name for p in (CORE / "sandbox").iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert {"ec2", "pricing", "costs", "budgets", "quotas", "ssm", "s3", "iam", "lab"} <= folders, sorted(folders)
    loose = {p.stem for p in (CORE / "sandbox").glob("*.py")} - {"__init__", "server"} - {
        m.rpartition(".")[2] for m in SANDBOX_CORE}
    assert not loose, f"modules of a service belong in its folder: {sorted(loose)}"
