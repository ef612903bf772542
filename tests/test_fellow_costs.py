"""fellow_costs.py against the sandbox's two fellow accounts: the four report files agree with each other and
with Cost Explorer, a broken fellow gives exit 3 with the others intact, a missing or malformed fellows.toml
is bad input (exit 2) that says what to do."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def fellow(name: str, account: str, credits: float, budget: float | None = None) -> str:
    """A [[fellow]] entry whose auditor role the sandbox lets the lab assume (account ids: the sandbox's ledger)."""
    return (f'[[fellow]]\nname = "{name}"\naccount = "{account}"\n'
            f'role_arn = "arn:aws:iam::{account}:role/awswiz-auditor"\n'
            + (f"monthly_budget = {budget}\n" if budget is not None else "") + f"credits = {credits}\n")


ADA = fellow("ada", "210987654321", 20000.0, budget=2500.0)
GRACE = fellow("grace", "345678901234", 2000.0)
YOUNG = fellow("linus", "456789012345", 1000.0)       # 9 days of history: no forecast
NO_CE = fellow("mary", "567890123456", 1000.0)        # Cost Explorer refused to the member account
HIDDEN = fellow("kath", "678901234567", 3000.0)       # credits not shown to the member account
BROKEN = '''[[fellow]]
name = "broken"
account = "111111111111"
profile = "no-such-profile"
'''


def write(state_dir: Path, text: str) -> None:
    p = state_dir / "fellows.toml"
    p.write_text(text)
    os.chmod(p, 0o600)


def ce_for(sandbox, account: str):
    # AWS STS AssumeRole: temporary credentials in the role's account (moto allows any role ARN)
    creds = sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/awswiz-auditor",
                                              RoleSessionName="test-fellows")["Credentials"]
    import boto3

    return boto3.client("ce", region_name="us-east-1", endpoint_url=sandbox.url,
                        aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"])


def test_reports_agree_with_each_other_and_cost_explorer(sandbox, run_tool, state_dir):
    write(state_dir, ADA + "\n" + GRACE)
    r = run_tool("fellow_costs", "--months", "2")
    assert r.code == 0, r.stdout + r.stderr
    files = {k: Path(v) for k, v in r.json["data"]["files"].items()}
    assert set(files) == {"json", "csv", "md", "html"}
    for p in files.values():
        assert p.parent.parent == state_dir / "reports" and p.stat().st_mode & 0o777 == 0o600
    doc = json.loads(files["json"].read_text())
    assert [f["name"] for f in doc["fellows"]] == ["ada", "grace"] and doc["failed"] == []
    assert r.json["account"] == "123456789012"  # the lead's, whose credentials assumed the fellows' roles
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text())))
    md, page = files["md"].read_text(), files["html"].read_text()
    for f in doc["fellows"]:
        mine = [x for x in rows if x["fellow"] == f["name"]]
        assert sum(float(x["net"]) for x in mine) == pytest.approx(f["totals"]["net"], abs=0.1)
        assert sum(float(x["gross"]) for x in mine) == pytest.approx(f["totals"]["gross"], abs=0.1)
        assert f"| {f['name']} | {f['account']} | ${f['totals']['net']:,.2f} | ${f['totals']['gross']:,.2f} |" in md
        assert f"${f['totals']['gross']:,.2f}" in page
        # Cost Explorer API Reference, GetCostAndUsage: the unfiltered UnblendedCost over the period is the net
        resp = ce_for(sandbox, f["account"]).get_cost_and_usage(
            TimePeriod={"Start": f["months"][0]["start"], "End": f["months"][-1]["end"]}, Granularity="MONTHLY",
            Metrics=["UnblendedCost"])
        net = sum(float(x["Total"]["UnblendedCost"]["Amount"]) for x in resp["ResultsByTime"])
        assert f["totals"]["net"] == pytest.approx(net, abs=0.05)
        assert f["credits_left"] == pytest.approx(f["credits"] - f["credits_used"], abs=0.01)
        assert f["credits_used"] == pytest.approx(-f["totals"]["credits"], abs=0.01)
    ada = doc["fellows"][0]
    assert ada["totals"]["net"] == pytest.approx(0, abs=0.05) and ada["totals"]["gross"] > 1000  # all on credits
    assert ada["budget_used_pct"] == pytest.approx(ada["month_to_date"]["gross"] / 2500 * 100, abs=0.1)
    # the page works offline: plotly.js is inlined, nothing is loaded from elsewhere
    assert external_refs(page) == [] and "Plotly.newPlot" in page


def external_refs(page: str) -> list[str]:
    """src/href attributes of the page's own elements (the inlined library's code is text, not elements)."""
    from html.parser import HTMLParser

    found: list[str] = []

    class P(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.extend(f"{tag} {k}={v}" for k, v in attrs if k in ("src", "href") and v)

    P().feed(page)
    return found


def test_one_broken_fellow_is_reported_the_rest_appear(sandbox, run_tool, state_dir):
    write(state_dir, ADA + "\n" + BROKEN + "\n" + GRACE)
    r = run_tool("fellow_costs", "--months", "1")
    assert r.code == 3, r.stdout + r.stderr
    assert [f["name"] for f in r.json["data"]["fellows"]] == ["ada", "grace"]
    err = r.json["errors"][0]
    assert err["account"] == "111111111111" and "broken" in err["message"]
    doc = json.loads(Path(r.json["data"]["files"]["json"]).read_text())
    assert [f["name"] for f in doc["failed"]] == ["broken"] and len(doc["fellows"]) == 2
    assert "## Not reported" in Path(r.json["data"]["files"]["md"]).read_text()


def test_keys_of_another_account_are_refused(sandbox, run_tool, state_dir):
    # the lab's own keys declared as a fellow's account: STS GetCallerIdentity says whose keys they are
    write(state_dir, '[[fellow]]\nname = "mixup"\naccount = "210987654321"\naccess_key_id = "testing"\n'
                     'secret_access_key = "testing"\n')
    r = run_tool("fellow_costs", "--months", "1")
    assert r.code == 1
    assert "belong to account 123456789012" in r.json["errors"][0]["message"]


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian package chromium not installed")
def test_html_page_draws_its_chart_offline(sandbox, run_tool, state_dir, tmp_path):
    write(state_dir, ADA + "\n" + GRACE)
    page = Path(run_tool("fellow_costs", "--months", "1").json["data"]["files"]["html"])
    # headless Chromium with networking features off and a fresh profile: the DOM after the scripts ran holds
    # plotly's drawn SVG (class main-svg) and one bar series per fellow
    p = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync",
                        f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=5000", "--dump-dom",
                        page.as_uri()], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-1000:]
    assert 'class="main-svg"' in p.stdout
    assert p.stdout.count('class="trace bars"') == 2


@pytest.mark.parametrize("name", ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_csv_cells_never_start_a_formula(name):
    # OWASP CSV Injection: cells starting with = + - @ tab or carriage return are formulas to a spreadsheet;
    # a quote in front keeps them text. The amounts stay numbers (a minus sign there is a number's).
    from _awswiz.money import reports

    doc = {"fellows": [{"name": name, "account": "210987654321", "groups": [
        {"key": name, "net": {"2026-10": -1.5}, "gross": {"2026-10": 2.0}}]}]}
    rows = list(csv.reader(io.StringIO(reports.csv_text(doc), newline="")))
    assert rows[1] == ["'" + name, "210987654321", "2026-10", "'" + name, "-1.50", "2.00"]


def test_young_fellow_is_reported_without_a_forecast(sandbox, run_tool, state_dir):
    # Cost Explorer API Reference, GetCostForecast: DataUnavailableException for an account with too little history
    # (the sandbox's young fellow 456789012345); its months and credits are still reported
    write(state_dir, ADA + "\n" + YOUNG)
    r = run_tool("fellow_costs", "--months", "1")
    assert r.code == 0, r.stdout + r.stderr
    linus = next(f for f in r.json["data"]["fellows"] if f["name"] == "linus")
    assert linus["totals"]["gross"] > 0 and linus["credits_used"] > 0
    assert linus["month_to_date"]["forecast_month_net"] is None
    assert "Insufficient amount of historical data" in linus["month_to_date"]["forecast_unavailable"]


def test_organizations_may_hide_cost_explorer_or_credits(sandbox, run_tool, state_dir):
    # AWS Cost Management user guide, "Controlling access to Cost Explorer": in an Organization the management
    # account decides whether members may use Cost Explorer (the member gets AccessDeniedException) and whether
    # credits are shared with them. Neither is reported as $0 used / the whole grant left: both say unknown, and why.
    write(state_dir, ADA + "\n" + NO_CE + "\n" + HIDDEN)
    r = run_tool("fellow_costs", "--months", "1")
    assert r.code == 3, r.stdout + r.stderr
    assert [f["name"] for f in r.json["data"]["fellows"]] == ["ada", "kath"]
    err = r.json["errors"][0]
    assert err["account"] == "567890123456" and err["code"] == "CostExplorerDenied"
    assert "AccessDeniedException" in err["message"] and "management account" in err["message"]
    kath = r.json["data"]["fellows"][1]
    assert kath["totals"]["gross"] > 0 and kath["credits_used"] is None and kath["credits_left"] is None
    assert "management account" in kath["credits_unknown"]
    assert "Credits used and left: unknown" in Path(r.json["data"]["files"]["md"]).read_text()
    ada = r.json["data"]["fellows"][0]
    assert ada["credits_used"] > 0 and ada["credits_left"] == pytest.approx(20000.0 - ada["credits_used"], abs=0.01)
