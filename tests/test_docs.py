"""AGENTS.md and README.md are checked against the tools themselves: every tool has a section, and every
flag in a tool's real --help is in its AGENTS.md section (and nothing there is a flag the tool lacks)."""

from __future__ import annotations

import functools
import re
import subprocess
import sys

import pytest
from conftest import ROOT, TOOLS, clean_env

COMMON = {"--profile", "--region", "--pretty", "--sandbox", "--timeout", "--help"}
ACCOUNTS = {"--accounts", "--assume-role", "--external-id", "--skip-self"}  # issue 22: in "Common options"
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
TOOLS_LIST = sorted(p.stem for p in TOOLS.glob("*.py") if not p.name.startswith("_"))


def section(doc: str, tool: str) -> str:
    m = re.search(rf"(?ms)^### {re.escape(tool)}\.py\s*$(.*?)(?=^##)", doc + "\n##")
    assert m, f"no '### {tool}.py' section"
    return m.group(1)


@functools.cache
def help_flags(tool: str) -> set[str]:
    p = subprocess.run([sys.executable, str(TOOLS / f"{tool}.py"), "--help"], capture_output=True, text=True,
                       env=clean_env(COLUMNS="250", TERM="dumb"), timeout=60)
    assert p.returncode == 0, p.stderr
    return set(FLAG.findall(p.stdout))


@pytest.mark.parametrize("tool", TOOLS_LIST)
def test_agents_md_matches_help(tool):
    text = section((ROOT / "AGENTS.md").read_text(), tool)
    assert text.strip(), f"AGENTS.md section for {tool}.py is empty"
    real = help_flags(tool)
    assert COMMON <= real, f"{tool}.py lacks common options {COMMON - real}"
    # flags inside example commands of other tools belong to those tools
    own = re.sub(r"uv run tools/(\w+)\.py[^`\n]*", lambda m: m.group(0) if m.group(1) == tool else "", text)
    documented = set(FLAG.findall(own))
    missing = real - COMMON - ACCOUNTS - documented
    assert not missing, f"{tool}.py flags not in AGENTS.md: {sorted(missing)}"
    stale = documented - real
    assert not stale, f"AGENTS.md names flags {tool}.py does not have: {sorted(stale)}"


@pytest.mark.parametrize("tool", TOOLS_LIST)
def test_readme_tours_every_tool(tool):
    assert section((ROOT / "README.md").read_text(), tool).strip(), f"README.md section for {tool}.py is empty"


def test_common_options_documented():
    agents = (ROOT / "AGENTS.md").read_text()
    common = re.search(r"(?ms)^## Common options.*?(?=^## )", agents).group(0)
    assert COMMON | ACCOUNTS <= set(FLAG.findall(common))
    for code in range(5):
        assert re.search(rf"^\| {code} \|", agents, re.M), f"exit code {code} not documented"


def test_readme_has_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    assert "uv run tools/scan.py --pretty --sandbox" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    m = re.search(r"```bash\n(?:.*\n)*?(uv run [^\n#]*pytest[^\n#]*?)\s*(#.*)?\n", readme)
    assert m, "README.md has no test command"
    assert m.group(1).strip() in ci, ".ci/run must run the README's test command"


@pytest.mark.parametrize("doc", ["README.md", "AGENTS.md"])
def test_code_blocks_are_closed(doc):
    # an unclosed ``` renders everything after it inside out (issue 20: both docs had one after budget.py)
    inside, opened_at = False, 0
    for n, line in enumerate((ROOT / doc).read_text().splitlines(), 1):
        if line.lstrip().startswith("```"):
            inside, opened_at = not inside, n
        elif inside:
            assert not line.startswith("#" * 2 + " ") and not line.startswith("#" * 3 + " "), \
                f"{doc}:{n}: a heading inside the code block opened at line {opened_at}"
    assert not inside, f"{doc}: the code block opened at line {opened_at} is never closed"


def test_agents_md_stays_under_30_kb():
    # issue 20 item 5: AGENTS.md is the agent's map and is read whole; past 30 KB it crowds out the task
    size = len((ROOT / "AGENTS.md").read_bytes())
    assert size <= 30_000, (f"AGENTS.md is {size} bytes, over 30,000: tighten it (say a shared rule once, "
                            "leave prose for people to README.md) rather than drop a tool, flag or recipe")


def test_every_command_in_agents_md_uses_real_flags():
    # issue 25 item 10: the recipes are followed literally; a flag a tool lacks would be exit 2 on the agent's
    # first step. Every `uv run tools/X.py ...` in AGENTS.md (recipes, examples, hints) names a tool that exists
    # and only flags that tool's --help shows.
    agents = (ROOT / "AGENTS.md").read_text()
    commands = re.findall(r"uv run tools/(\w+)\.py([^`\n]*)", agents)
    assert len(commands) > 15, "the recipes are gone"
    for tool, rest in commands:
        assert tool in TOOLS_LIST, f"AGENTS.md runs tools/{tool}.py, which does not exist"
        rest = rest.split(" -- ")[0]  # connect's remote command
        unknown = set(FLAG.findall(rest)) - help_flags(tool)
        assert not unknown, f"AGENTS.md: `uv run tools/{tool}.py{rest}` uses {sorted(unknown)}, not in its --help"
