"""Every hint works as printed (issue 11, item 2; DESIGN.md, Output): run the read tools and the plan steps on
the sandbox lab as an agent would, collect every `next` (the envelope's, each finding's and each item's) and
every error hint that is a command, and check each one: it names a tool that exists, repeats --sandbox, uses
only flags that tool's --help lists, and, run exactly as printed (a plan or a read: nothing is confirmed
here), exits 0. An agent follows hints literally, so a hint that does not run is a defect."""

from __future__ import annotations

import shlex

from conftest import TOOLS
from test_hints import use_running_sandbox

# The runs an agent starts from (AGENTS.md's workflow): reads, then the plan step of each changing tool.
SEEDS = [
    ("scan",), ("scan", "--region", "us-east-1"), ("security",), ("quota_check",), ("quota_status",),
    ("list_instances", "--gpu", "--region", "us-east-1"), ("ami",), ("costs",), ("instance_status",),
    ("waste",), ("reap",), ("schedule", "list"), ("budget", "list"),
    ("stop", "--tag", "project=vision", "--region", "all"), ("cleanup_vpc", "--all", "--region", "us-east-1"),
    ("cleanup_sg", "--region", "us-east-1"),
]
CONFIRMED = "--confirm"  # a confirm hint is checked (token saved, flags known) but not applied here


def hints_of(env: dict) -> list[str]:
    """Every command an envelope suggests: next, hints of errors, and `next` inside data's items."""
    out = list(env.get("next") or [])
    for e in env.get("errors") or []:  # a hint may explain first: "terminate it instead: uv run tools/..."
        if (at := str(e.get("hint", "")).find("uv run tools/")) >= 0:
            out.append(e["hint"][at:])

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k in ("next", "fix", "command") and isinstance(v, str) and v.startswith("uv run tools/"):
                    out.append(v)
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(env.get("data"))
    return out


def flags_of(tool: str, run_tool) -> set[str]:
    r = run_tool(tool, "--help")
    assert r.code == 0, r.stdout + r.stderr
    return {w.strip(",[]") .split("=")[0] for w in r.stdout.split() if w.startswith("--")}


def shape(words: list[str]) -> tuple:
    """What makes two hints the same test: the tool, its subcommand and the flags it uses."""
    return (words[2], words[3] if len(words) > 3 and not words[3].startswith("-") else "",
            tuple(sorted(w for w in words if w.startswith("--"))))


def test_every_hint_printed_on_the_lab_runs_as_printed(sandbox, run_tool, state_dir):
    use_running_sandbox(sandbox, state_dir)
    hints: dict[str, str] = {}  # hint -> the seed run that printed it
    for seed in SEEDS:
        r = run_tool(*seed, "--sandbox")
        assert r.code != 2, f"{seed}: exit {r.code}: {r.stdout[-2000:]}"  # (a seed that is bad input is a wrong test)
        for h in hints_of(r.json):
            hints.setdefault(h, " ".join(seed))
    assert len(hints) >= 10, hints  # the lab has findings, plans and waste: many hints
    flags: dict[str, set[str]] = {}
    shapes: dict[tuple, str] = {}
    for h, seed in hints.items():
        words = shlex.split(h)
        assert words[:2] == ["uv", "run"] and words[2].startswith("tools/"), (seed, h)
        tool = words[2].removeprefix("tools/").removesuffix(".py")
        assert (TOOLS / f"{tool}.py").is_file(), (seed, h)
        assert "--sandbox" in words, f"a sandbox run ({seed}) printed a hint without --sandbox: {h}"
        known = flags.setdefault(tool, flags_of(tool, run_tool))
        unknown = [w for w in words if w.startswith("--") and w.split("=")[0] not in known]
        assert not unknown, f"{seed} printed {h}: {tool} has no {unknown}"
        if CONFIRMED in words:
            token = words[words.index(CONFIRMED) + 1]
            assert (state_dir / "plans" / f"{token}.json").is_file(), (seed, h)
            continue
        shapes.setdefault(shape(words), h)
    failed = []
    for h in shapes.values():
        words = shlex.split(h)
        r = run_tool(words[2].removeprefix("tools/").removesuffix(".py"), *words[3:])
        if r.code != 0:
            failed.append(f"{h} (from {hints[h]}): exit {r.code}: {r.stdout[-600:]}")
    assert not failed, "\n".join(failed)


def test_every_scan_finding_says_how_to_fix_it_or_why_not(sandbox, run_tool, state_dir):
    use_running_sandbox(sandbox, state_dir)
    r = run_tool("scan", "--sandbox")
    assert r.code == 0, r.stdout[-2000:]
    findings = r.json["data"]["findings"]
    assert findings
    silent = [f for f in findings if not f.get("next") and not f.get("why_no_next")]
    assert not silent, silent
