"""The shape of answers, in-process (pure logic, no AWS): records leave out empty fields (shell/output.lean, on
the envelope's path), security findings group by check (security/grouped.py). Issue 25 item 2."""

from __future__ import annotations

from _awswiz.shell.hints import Scope
from _awswiz.shell.output import Result, envelope, lean


def test_lean_drops_null_and_empty_and_keeps_what_says_something():
    rec = {"id": "i-1", "name": None, "state": "", "tags": {}, "volumes": [], "gpus": 0, "default": False,
           "evidence": {"trails": []}, "public_ip": "1.2.3.4"}
    assert lean(rec) == {"id": "i-1", "gpus": 0, "default": False, "evidence": {"trails": []}, "public_ip": "1.2.3.4"}


def test_only_the_record_lists_a_tool_names_are_made_lean_and_its_own_data_stays_whole():
    data = {"resources": [{"id": "a", "name": None}], "forecast": None, "skipped": []}
    env = envelope("scan", "1", False, Result(data=data, records=("resources",)))
    assert env["data"] == {"resources": [{"id": "a"}], "forecast": None, "skipped": []}
    assert data["resources"][0] == {"id": "a", "name": None}  # --pretty renders from the whole records
    assert envelope("x", "1", False, Result(data=data))["data"] is data  # no records named: unchanged


def _finding(check, resource, region, evidence, fix=None, **more):
    return {"check": check, "severity": "high", "title": f"{check} title", "type": "t", "resource": resource,
            "region": region, "evidence": evidence, "prowler": "p", "fix": fix, **more}


def test_findings_group_by_check_each_resource_once():
    from _awswiz.security.grouped import fixes, group

    found = [_finding("sg-open-ssh", "sg-1", "us-east-1", {"open": ["22"]}, "fix sg-1", name="web"),
             _finding("sg-open-ssh", "sg-2", "eu-west-1", {"open": ["22"]}, "fix sg-2"),
             _finding("guardduty-off", "us-east-1", "us-east-1", {"detectors": []}, remedy="enable it"),
             _finding("guardduty-off", "eu-west-1", "eu-west-1", {"detectors": []}, remedy="enable it")]
    ssh, gd = group(found, Scope())
    assert ssh == {"check": "sg-open-ssh", "severity": "high", "title": "sg-open-ssh title", "type": "t",
                   "prowler": "p", "count": 2,
                   "resources": [{"id": "sg-1", "region": "us-east-1", "name": "web", "evidence": {"open": ["22"]},
                                  "fix": "fix sg-1"},
                                 {"id": "sg-2", "region": "eu-west-1", "evidence": {"open": ["22"]},
                                  "fix": "fix sg-2"}]}
    assert gd == {"check": "guardduty-off", "severity": "high", "title": "guardduty-off title", "type": "t",
                  "prowler": "p", "remedy": "enable it", "count": 2, "regions": ["us-east-1", "eu-west-1"],
                  "evidence": {"detectors": []}}
    assert fixes([ssh, gd]) == ["fix sg-1", "fix sg-2"]


def test_a_fixable_check_about_regions_has_one_fix_for_all_of_them():
    from _awswiz.security.grouped import group

    regions = [f"r-{i}" for i in range(12)]
    found = [_finding("ebs-default-encryption-off", r, r, {"on": False}, f"fix {r}") for r in regions]
    (g,) = group(found, Scope(sandbox=True))
    assert g["fix"] == ("uv run tools/security.py --fix ebs-default-encryption-off --region " + ",".join(regions)
                        + " --max 12 --sandbox")  # over --max 10 otherwise
