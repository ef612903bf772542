"""The sandbox's quota data (transcribed from AWS's documentation) against the tools' table, and the tools'
answers against the sandbox's data. Source for both: "Amazon EC2 instance type quotas" (On-Demand Instance
quotas, Spot Instance quotas), checked 2026-11-23.

This file imports nothing of _awswiz but the sandbox's fixture; compute/quota_codes.py is read as data (executed from
its file), so the sandbox never depends on the tools and a change to one table without the other fails here.
"""

from __future__ import annotations

import importlib.util
import sys

from conftest import TOOLS

sys.path.insert(0, str(TOOLS / "_awswiz" / "sandbox" / "quotas"))
import quota_fixture as fixture  # noqa: E402 - the sandbox's own module, loaded alone


def _tools_table():
    path = TOOLS / "_awswiz" / "compute" / "quota_codes.py"
    spec = importlib.util.spec_from_file_location("quota_codes_as_data", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up while building the class
    spec.loader.exec_module(mod)
    return mod


def test_same_codes_markets_families_and_defaults():
    tools = _tools_table()
    mine = {q.code: (q.market, tuple(sorted(q.families)), q.default) for q in tools.QUOTAS}
    theirs = {code: (market, tuple(sorted(fams)), default) for code, (_, market, default, fams)
              in fixture.VCPU_QUOTAS.items()}
    assert mine == theirs


def test_same_names_as_aws_lists_them():
    tools = _tools_table()
    assert {q.code: q.name for q in tools.QUOTAS} == {c: v[0] for c, v in fixture.VCPU_QUOTAS.items()}
    # "Spot Instance quotas": P spot is split in two; there is no "All P Spot Instance Requests" any more
    assert fixture.name("L-7212CCBC") == "All P4, P3 and P2 Spot Instance Requests"
    assert fixture.name("L-C4BD4855") == "All P5 Spot Instance Requests"


def test_the_tools_answers_match_the_sandbox_data(run_tool):
    """What quota_check reports for a region at AWS defaults is the sandbox fixture's code, name and default."""
    r = run_tool("quota_check", "--region", "ca-central-1")
    assert r.code == 0, r.stderr
    got = {q["code"]: (q["market"], q["value"], q["source"]) for q in r.json["data"]["quotas"]}
    assert got == {c: (v[1], v[2], "default") for c, v in fixture.VCPU_QUOTAS.items()}
