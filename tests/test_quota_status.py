"""quota_status.py: open requests by default, closed ones with --all, links, dates, a submitted request."""

from __future__ import annotations


def by_code(doc: dict) -> dict:
    return {(q["region"], q["code"]): q for q in doc["data"]["requests"]}


def test_open_requests_by_default(run_tool):
    r = run_tool("quota_status", "--region", "us-east-1,us-west-2")
    assert r.code == 0, r.stderr
    reqs = by_code(r.json)
    pending = reqs[("us-east-1", "L-417A185B")]
    assert pending["status"] == "PENDING" and pending["desired"] == 384
    assert pending["case_id"] and pending["created"] < pending["updated"]
    assert pending["console"] == "https://us-east-1.console.aws.amazon.com/servicequotas/home/requests"
    assert pending["case_console"].endswith(pending["case_id"])
    assert ("us-west-2", "L-DB2E81BA") not in reqs  # approved: closed
    # the hint keeps the run's region scope (issue 11: hints work as printed, in the same scope)
    assert r.json["next"] == ["uv run tools/quota_status.py --all --region us-east-1,us-west-2"]


def test_all_includes_closed(run_tool):
    r = run_tool("quota_status", "--all", "--region", "us-east-1,us-west-2")
    assert r.code == 0, r.stderr
    approved = by_code(r.json)[("us-west-2", "L-DB2E81BA")]
    assert approved["status"] == "APPROVED" and approved["desired"] == 128
    assert approved["quota_console"].endswith("/services/ec2/quotas/L-DB2E81BA")
    assert r.json["data"]["counts"]["APPROVED"] >= 1


def test_every_region_by_default_and_a_submitted_request_appears(run_tool, sandbox):
    sandbox.client("service-quotas", "sa-east-1").request_service_quota_increase(
        ServiceCode="ec2", QuotaCode="L-3819A6DF", DesiredValue=48)
    r = run_tool("quota_status")
    assert r.code == 0, r.stderr
    assert {"us-east-1", "sa-east-1"} <= set(r.json["data"]["regions"])
    assert by_code(r.json)[("sa-east-1", "L-3819A6DF")]["desired"] == 48


def test_pretty(run_tool):
    r = run_tool("quota_status", "--all", "--pretty", "--region", "us-west-2")
    assert r.code == 0 and "APPROVED" in r.stdout
