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
    # net, as the month to date is: Metric NET_UNBLENDED_COST
    fc = sandbox.client("ce").get_cost_forecast(TimePeriod={"Start": today.isoformat(), "End": nxt.isoformat()},
                                                Metric="NET_UNBLENDED_COST", Granularity="MONTHLY")
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
    # Every Cost Explorer API request is billed ($0.01 each, AWS Cost Management pricing; "you pay for each
    # paginated request", Cost Explorer API best practices): the second run of the same question sends none;
    # --refresh asks again. Each page counts.
    mark = sandbox.mark()
    first = run_tool("costs", "--months", "2", "--daily", "3")
    sent = len(ce_calls(sandbox, mark))
    assert first.code == 0 and sent > 3  # the monthly question comes in several pages
    assert first.json["data"]["ce_calls"] == {"sent": sent, "cached": 0}
    mark = sandbox.mark()
    second = run_tool("costs", "--months", "2", "--daily", "3")
    assert ce_calls(sandbox, mark) == []
    assert second.json["data"]["ce_calls"] == {"sent": 0, "cached": sent}
    assert second.json["data"]["months"] == first.json["data"]["months"]
    mark = sandbox.mark()
    third = run_tool("costs", "--months", "2", "--daily", "3", "--refresh")
    assert len(ce_calls(sandbox, mark)) == sent and third.json["data"]["ce_calls"]["sent"] == sent
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


def assumed(sandbox, account: str) -> dict:
    """Credentials in another account (AWS STS AssumeRole: temporary credentials in the role's account)."""
    creds = sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/awswiz-auditor",
                                              RoleSessionName="test-costs")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
            "AWS_SESSION_TOKEN": creds["SessionToken"]}


def test_every_page_is_read(sandbox, run_tool):
    # Cost Explorer API Reference, GetCostAndUsage: NextPageToken "when the response from a previous call has more
    # results than the maximum page size". The lab's monthly answer by service and record type spans pages; the
    # tool reads them all (one request each) and its groups add up to the unpaged monthly totals.
    ce = sandbox.client("ce")
    r = run_tool("costs", "--months", "3", "--refresh")
    months = r.json["data"]["months"]
    first = ce.get_cost_and_usage(TimePeriod={"Start": months[0]["start"], "End": months[-1]["end"]},
                                  Granularity="MONTHLY", Metrics=["UnblendedCost"],
                                  GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"},
                                           {"Type": "DIMENSION", "Key": "RECORD_TYPE"}])
    pages, page = [first], first
    while page.get("NextPageToken"):
        page = ce.get_cost_and_usage(TimePeriod={"Start": months[0]["start"], "End": months[-1]["end"]},
                                     Granularity="MONTHLY", Metrics=["UnblendedCost"],
                                     GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"},
                                              {"Type": "DIMENSION", "Key": "RECORD_TYPE"}],
                                     NextPageToken=page["NextPageToken"])
        pages.append(page)
    assert len(pages) > 1  # the first page is not everything
    net = by_month(ce, months[0]["start"], months[-1]["end"])
    for m in months:
        assert sum(g["net"][m["month"]] for g in r.json["data"]["groups"]) == pytest.approx(net[m["month"]], abs=0.05)
    assert r.json["data"]["ce_calls"]["sent"] >= 3  # pages plus the forecast


def test_young_account_shows_months_and_says_why_no_forecast(sandbox, run_tool):
    # Cost Explorer API Reference, GetCostForecast errors: DataUnavailableException ("The requested data is
    # unavailable"); AWS answers "Insufficient amount of historical data" for a new account. The sandbox's young
    # fellow account 456789012345 has days of data only, and the sandbox refuses its forecast the same way.
    from botocore.exceptions import ClientError

    env = assumed(sandbox, "456789012345")
    import boto3

    ce = boto3.client("ce", region_name="us-east-1", endpoint_url=sandbox.url,
                      aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                      aws_session_token=env["AWS_SESSION_TOKEN"])
    nxt = _dt.date(TODAY.year + TODAY.month // 12, TODAY.month % 12 + 1, 1)
    with pytest.raises(ClientError) as exc:
        ce.get_cost_forecast(TimePeriod={"Start": TODAY.isoformat(), "End": nxt.isoformat()},
                             Metric="NET_UNBLENDED_COST", Granularity="MONTHLY")
    assert exc.value.response["Error"]["Code"] == "DataUnavailableException"
    r = run_tool("costs", "--months", "1", env=env)
    assert r.code == 0, r.stdout + r.stderr
    mtd = r.json["data"]["month_to_date"]
    assert mtd["gross"] > 0 and mtd["forecast_rest_net"] is None and mtd["forecast_month_net"] is None
    assert "Insufficient amount of historical data" in mtd["forecast_unavailable"]
    assert r.json["account"] == "456789012345"


class FakeCE:
    """Records the requests (pure logic: when a forecast is bought and with which metric)."""

    def __init__(self):
        self.sent = []

    def get_cost_forecast(self, **kw):
        self.sent.append(kw)
        return {"Total": {"Amount": "12.5", "Unit": "USD"}}


@pytest.mark.parametrize("day, asked", [("2026-11-16", True), ("2026-11-30", False), ("2026-12-01", False)])
def test_forecast_bought_only_when_some_month_is_left(monkeypatch, tmp_path, day, asked):
    # Each Cost Explorer request costs $0.01 (AWS Cost Management pricing): no forecast on the month's last day
    # (nothing left to forecast) nor on its first (no month to date to add it to); when asked, the metric is
    # NET_UNBLENDED_COST (GetCostForecast Metric), net like the month to date.
    from _awswiz.money import explorer as costs_core

    monkeypatch.setenv("AWSWIZ_TODAY", day)
    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "state"))
    ce = FakeCE()
    rows = [{"month": day[:7], "partial": day[8:] != "01"}]
    value, why = costs_core.forecast_rest_of_month(costs_core.Explorer(ce, "123456789012", refresh=True), rows)
    assert bool(ce.sent) is asked and (value is not None) is asked and (why is None) is asked
    if asked:
        assert ce.sent[0]["Metric"] == "NET_UNBLENDED_COST" and value == 12.5


def test_sandbox_answers_cost_explorer_as_aws_does(sandbox, run_tool):
    # Cost Explorer API Reference: GetDimensionValues answers DimensionValues, ReturnSize, TotalSize (and pages with
    # NextPageToken); GetCostAndUsage marks the open month Estimated, answers each metric as a MetricValue of its
    # own Amount and Unit (UsageQuantity in the usage's unit, not USD) and groups by USAGE_TYPE and INSTANCE_TYPE.
    ce = sandbox.client("ce")
    start = _dt.date(TODAY.year - (TODAY.month == 1), (TODAY.month - 2) % 12 + 1, 1).isoformat()  # last month
    period = {"Start": start, "End": TODAY.isoformat()}
    dims = ce.get_dimension_values(TimePeriod=period, Dimension="SERVICE")
    assert "Amazon Elastic Compute Cloud - Compute" in [v["Value"] for v in dims["DimensionValues"]]
    assert dims["ReturnSize"] == dims["TotalSize"] == len(dims["DimensionValues"])
    page = ce.get_dimension_values(TimePeriod=period, Dimension="SERVICE", MaxResults=2)
    rest = ce.get_dimension_values(TimePeriod=period, Dimension="SERVICE", MaxResults=2,
                                   NextPageToken=page["NextPageToken"])
    assert page["ReturnSize"] == 2 and rest["DimensionValues"][0] not in page["DimensionValues"]
    resp = ce.get_cost_and_usage(TimePeriod=period, Granularity="MONTHLY", Metrics=["UnblendedCost", "UsageQuantity"],
                                 GroupBy=[{"Type": "DIMENSION", "Key": "USAGE_TYPE"}])
    assert [r["Estimated"] for r in resp["ResultsByTime"]] == [False, True]  # last month final, this one open
    box = next(g for g in resp["ResultsByTime"][0]["Groups"] if g["Keys"] == ["BoxUsage:g5.xlarge"])
    assert box["Metrics"]["UnblendedCost"]["Unit"] == "USD" and box["Metrics"]["UsageQuantity"]["Unit"] == "Hrs"
    assert box["Metrics"]["UsageQuantity"]["Amount"] != box["Metrics"]["UnblendedCost"]["Amount"]
    types = ce.get_cost_and_usage(TimePeriod=period, Granularity="MONTHLY", Metrics=["UnblendedCost"],
                                  GroupBy=[{"Type": "DIMENSION", "Key": "INSTANCE_TYPE"}])
    assert {"g5.xlarge", "NoInstanceType"} <= {g["Keys"][0] for g in types["ResultsByTime"][0]["Groups"]}
    months = run_tool("costs", "--months", "1").json["data"]["months"]
    assert [m["estimated"] for m in months] == [False, True]


def test_sandbox_never_answers_cost_explorer_with_an_html_500(sandbox):
    # Cost Explorer API Reference, GetTags: Tags, ReturnSize, TotalSize for the period's cost allocation tags; an
    # operation the sandbox does not emulate is an AWS-shaped JSON error naming it, not moto's HTML page of HTTP 500
    from botocore.exceptions import ClientError

    ce = sandbox.client("ce")
    period = {"Start": _dt.date(TODAY.year, TODAY.month, 1).isoformat(), "End": TODAY.isoformat()}
    assert ce.get_tags(TimePeriod=period)["Tags"] == ["project"]
    assert {"llm", "vision"} <= set(ce.get_tags(TimePeriod=period, TagKey="project")["Tags"])
    with pytest.raises(ClientError) as exc:
        ce.get_savings_plans_coverage(TimePeriod=period)
    assert exc.value.response["Error"]["Code"] == "NotImplemented"
    assert "GetSavingsPlansCoverage" in exc.value.response["Error"]["Message"]
