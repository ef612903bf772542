"""costs.py against the sandbox's Cost Explorer ledger: month-over-month arithmetic, net and gross with credits
and refunds, the month to date with a forecast, the day cache (counted at the server), bad input."""

from __future__ import annotations

import datetime as _dt

import pytest
from conftest import DUMMY_ENV

CE_ACTIONS = {"GetCostAndUsage", "GetCostForecast"}
TODAY = _dt.date.fromisoformat(DUMMY_ENV["AWSWIZ_TODAY"])  # the frozen day of the tools and the sandbox's ledger


def ce_calls(sandbox, since: int) -> list[dict]:
    return [c for c in sandbox.calls(since) if c["action"] in CE_ACTIONS]


def by_month(ce, start: str, end: str, flt: dict | None = None) -> dict[str, float]:
    kw = {"Filter": flt} if flt else {}
    resp = ce.get_cost_and_usage(TimePeriod={"Start": start, "End": end}, Granularity="MONTHLY",
                                 Metrics=["UnblendedCost"], **kw)
    return {r["TimePeriod"]["Start"][:7]: float(r["Total"]["UnblendedCost"]["Amount"]) for r in resp["ResultsByTime"]}


def test_month_over_month_and_net_gross_match_cost_explorer(sandbox, run_tool):
    # Cost Explorer API Reference, GetCostAndUsage: TimePeriod End is exclusive; credits and refunds are line items
    # of RECORD_TYPE Credit and Refund with negative amounts, so the unfiltered UnblendedCost is the net bill and
    # the cost with RECORD_TYPE Credit/Refund excluded (Filter Not Dimensions RECORD_TYPE) is the gross spend.
    r = run_tool("costs", "--months", "3")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    months = data["months"]
    assert len(months) == 4 and months[-1]["partial"] and not any(m["partial"] for m in months[:-1])
    ce = sandbox.client("ce")
    start, end = months[0]["start"], months[-1]["end"]
    net = by_month(ce, start, end)
    gross = by_month(ce, start, end, {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit", "Refund"]}}})
    credits = by_month(ce, start, end, {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit"]}})
    for m in months:
        assert m["net"] == pytest.approx(net[m["month"]], abs=0.01)
        assert m["gross"] == pytest.approx(gross[m["month"]], abs=0.01)
        assert m["credits"] == pytest.approx(credits[m["month"]], abs=0.01) and m["credits"] < 0
        assert m["gross"] - m["net"] == pytest.approx(-(m["credits"] + m["refunds"]), abs=0.02)
    for prev, cur in zip(months[:-2], months[1:-1], strict=True):
        assert cur["change"] == pytest.approx(cur["net"] - prev["net"], abs=0.01)
        assert cur["change_pct"] == pytest.approx((cur["net"] - prev["net"]) / prev["net"] * 100, abs=0.1)
    assert any(m["refunds"] < 0 for m in months)  # the lab's refund two months back
    # groups add up to the month, and the totals to the months
    for m in months:
        assert sum(g["net"][m["month"]] for g in data["groups"]) == pytest.approx(m["net"], abs=0.05)
    assert data["totals"]["gross"] == pytest.approx(sum(m["gross"] for m in months), abs=0.02)
    services = {g["key"] for g in data["groups"]}
    assert {"Amazon Elastic Compute Cloud - Compute", "Amazon SageMaker"} <= services


def test_month_to_date_forecast(sandbox, run_tool):
    # Cost Explorer API Reference, GetCostForecast: the forecast covers TimePeriod from a start no earlier than
    # today; the month's expected total is the spend to date plus the forecast of the rest of the month.
    r = run_tool("costs", "--months", "1")
    mtd = r.json["data"]["month_to_date"]
    today = TODAY
    nxt = _dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
    fc = sandbox.client("ce").get_cost_forecast(TimePeriod={"Start": today.isoformat(), "End": nxt.isoformat()},
                                                Metric="UNBLENDED_COST", Granularity="MONTHLY")
    assert mtd["forecast_rest_net"] == pytest.approx(float(fc["Total"]["Amount"]), abs=0.01)
    assert mtd["forecast_month_net"] == pytest.approx(mtd["net"] + mtd["forecast_rest_net"], abs=0.01)
    # and the sandbox refuses a forecast that starts in the past, as AWS does
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError) as exc:
        sandbox.client("ce").get_cost_forecast(TimePeriod={"Start": "2020-01-01", "End": nxt.isoformat()},
                                               Metric="UNBLENDED_COST", Granularity="MONTHLY")
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_credits_make_the_bill_look_free_gross_does_not(sandbox, run_tool):
    # A fellow account whose usage is all paid by credits: the net bill is $0 (Cost Explorer nets Credit line
    # items), the gross shows what was used. AWS STS AssumeRole returns credentials for the role's account.
    creds = sandbox.client("sts").assume_role(RoleArn="arn:aws:iam::210987654321:role/awswiz-auditor",
                                              RoleSessionName="test-costs")["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"]}
    r = run_tool("costs", "--months", "2", env=env)
    assert r.code == 0, r.stderr
    assert r.json["account"] == "210987654321"
    for m in r.json["data"]["months"]:
        assert m["net"] == pytest.approx(0, abs=0.05)
        assert m["gross"] > 100


def test_answers_cached_for_the_day(sandbox, run_tool, state_dir):
    # Every Cost Explorer API request is billed ($0.01 each, AWS Cost Management pricing): the second run
    # of the same question sends none; --refresh asks again.
    mark = sandbox.mark()
    first = run_tool("costs", "--months", "2", "--daily", "3")
    assert first.code == 0 and len(ce_calls(sandbox, mark)) == 3
    assert first.json["data"]["ce_calls"] == {"sent": 3, "cached": 0}
    mark = sandbox.mark()
    second = run_tool("costs", "--months", "2", "--daily", "3")
    assert ce_calls(sandbox, mark) == []
    assert second.json["data"]["ce_calls"] == {"sent": 0, "cached": 3}
    assert second.json["data"]["months"] == first.json["data"]["months"]
    mark = sandbox.mark()
    third = run_tool("costs", "--months", "2", "--daily", "3", "--refresh")
    assert len(ce_calls(sandbox, mark)) == 3 and third.json["data"]["ce_calls"]["sent"] == 3
    # the cache lives under the state directory, private (0600)
    files = list((state_dir / "cache").glob("costs*.json"))
    assert len(files) == 1 and files[0].stat().st_mode & 0o777 == 0o600


def test_group_by_region_and_tag(sandbox, run_tool):
    # GetCostAndUsage GroupBy TAG answers keys "KEY$value", "KEY$" for untagged cost.
    r = run_tool("costs", "--months", "1", "--group-by", "tag:project")
    keys = {g["key"] for g in r.json["data"]["groups"]}
    assert {"llm", "vision", "(untagged)"} <= keys
    r = run_tool("costs", "--months", "1", "--group-by", "region")
    assert {g["key"] for g in r.json["data"]["groups"]} == {"us-east-1", "us-west-2", "eu-west-1"}


@pytest.mark.parametrize("args", [["--group-by", "colour"], ["--group-by", "tag:"], ["--months", "0"],
                                  ["--daily", "0"]])
def test_bad_input_sends_nothing(sandbox, run_tool, args):
    mark = sandbox.mark()
    r = run_tool("costs", *args)
    assert r.code == 2
    assert r.json["errors"][0]["code"] == "BadInput"
    if args[0] == "--group-by":
        assert "service, region, account, tag:KEY" in r.json["errors"][0]["message"]
    assert ce_calls(sandbox, mark) == []


def test_daily_net_and_gross(sandbox, run_tool):
    # GetCostAndUsage Granularity DAILY: one ResultsByTime per day, End exclusive (today is not included)
    r = run_tool("costs", "--months", "1", "--daily", "5")
    days = r.json["data"]["daily"]
    today = TODAY
    assert [d["date"] for d in days] == [(today - _dt.timedelta(days=k)).isoformat() for k in range(5, 0, -1)]
    resp = sandbox.client("ce").get_cost_and_usage(
        TimePeriod={"Start": days[0]["date"], "End": today.isoformat()}, Granularity="DAILY",
        Metrics=["UnblendedCost"])
    assert [d["net"] for d in days] == pytest.approx(
        [float(x["Total"]["UnblendedCost"]["Amount"]) for x in resp["ResultsByTime"]], abs=0.01)
    assert all(d["gross"] > d["net"] for d in days)  # the lab lives partly on credits
    assert r.json["next"] == ["uv run tools/costs.py --now"]
