"""Every hint works as printed (issue 11, item 2; DESIGN.md, Output): run the read tools and the plan steps on
the sandbox lab as an agent would, collect every `next` (the envelope's, each finding's and each item's) and
every error hint that is a command, and check each one: it names a tool that exists, repeats --sandbox, uses
only flags that tool's --help lists, and, run exactly as printed (a plan or a read: nothing is confirmed
here), exits 0. An agent follows hints literally, so a hint that does not run is a defect.

One test on one shared sandbox (the worker's): the seeds, the --help of each tool and the hints each run at
once (four subprocesses at a time: each mostly waits on start-up and the sandbox), and the scan seed's findings
are checked here rather than by a second scan."""

from __future__ import annotations

import os
import shlex
from concurrent.futures import ThreadPoolExecutor

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
AT_ONCE = 4


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


def tool_of(words: list[str]) -> str:
    return words[2].removeprefix("tools/").removesuffix(".py")


def cost(words: list[str]) -> tuple:
    """Of the hints of one shape, the one run is the one asking the fewest regions (the words are the same
    flags: a scan of one region proves what a scan of all does, in a fraction of the time)."""
    region = words[words.index("--region") + 1] if "--region" in words[:-1] else "all"
    return (region == "all", region.count(","), len(words))


def test_every_hint_printed_on_the_lab_runs_as_printed(sandbox, run_tool, state_dir):
    use_running_sandbox(sandbox, state_dir)
    with ThreadPoolExecutor(AT_ONCE) as pool:
        runs = dict(zip(SEEDS, pool.map(lambda seed: run_tool(*seed, "--sandbox"), SEEDS), strict=True))
    hints: dict[str, str] = {}  # hint -> the seed run that printed it
    for seed, r in runs.items():
        assert r.code != 2, f"{seed}: exit {r.code}: {r.stdout[-2000:]}"  # (a seed that is bad input is a wrong test)
        for h in hints_of(r.json):
            hints.setdefault(h, " ".join(seed))
    assert len(hints) >= 10, hints  # the lab has findings, plans and waste: many hints

    # every scan finding says how to fix it (its next) or why there is none
    findings = runs[("scan",)].json["data"]["findings"]
    assert findings
    silent = [f for f in findings if not f.get("next") and not f.get("why_no_next")]
    assert not silent, silent

    parsed = {h: shlex.split(h) for h in hints}
    for h, words in parsed.items():
        assert words[:2] == ["uv", "run"] and words[2].startswith("tools/"), (hints[h], h)
        assert (TOOLS / f"{tool_of(words)}.py").is_file(), (hints[h], h)
        assert "--sandbox" in words, f"a sandbox run ({hints[h]}) printed a hint without --sandbox: {h}"
    tools = sorted({tool_of(words) for words in parsed.values()})
    with ThreadPoolExecutor(AT_ONCE) as pool:
        flags = dict(zip(tools, pool.map(lambda t: flags_of(t, run_tool), tools), strict=True))
    shapes: dict[tuple, str] = {}
    for h, words in parsed.items():
        unknown = [w for w in words if w.startswith("--") and w.split("=")[0] not in flags[tool_of(words)]]
        assert not unknown, f"{hints[h]} printed {h}: {tool_of(words)} has no {unknown}"
        if CONFIRMED in words:
            token = words[words.index(CONFIRMED) + 1]
            assert (state_dir / "plans" / f"{token}.json").is_file(), (hints[h], h)
            continue
        if shape(words) not in shapes or cost(words) < cost(parsed[shapes[shape(words)]]):
            shapes[shape(words)] = h

    def run_as_printed(h: str) -> str | None:
        r = run_tool(tool_of(parsed[h]), *parsed[h][3:])
        return None if r.code == 0 else f"{h} (from {hints[h]}): exit {r.code}: {r.stdout[-600:]}"

    with ThreadPoolExecutor(AT_ONCE) as pool:
        failed = [f for f in pool.map(run_as_printed, shapes.values()) if f]
    assert not failed, "\n".join(failed)
    if os.environ.get("AWSWIZ_TEST_VERBOSE"):  # what this test ran: seeds, tools' --help, hints run of all seen
        print(f"{len(SEEDS)} seeds, {len(tools)} --help, {len(shapes)} hints run of {len(hints)}:",
              *sorted(shapes.values()), sep="\n")
