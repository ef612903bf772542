"""The sandbox agrees with itself (issue 25 item 5): its quota requests were made before its today, the day its cost
ledger and the tools take as today (AWSWIZ_TODAY, frozen by the tests). Service Quotas API reference,
ListRequestedServiceQuotaChangeHistory: Created is "the date and time when the quota increase request was
received", LastUpdated "the date and time of the most recent change": neither can be later than now."""

import datetime as dt

from conftest import DUMMY_ENV


def test_quota_request_times_are_not_after_the_sandbox_today(sandbox):
    end_of_today = dt.datetime.combine(dt.date.fromisoformat(DUMMY_ENV["AWSWIZ_TODAY"]) + dt.timedelta(days=1),
                                       dt.time(), dt.UTC)
    seen = []
    for region in ("us-east-1", "us-west-2"):
        sq = sandbox.client("service-quotas", region)
        for r in sq.list_requested_service_quota_change_history(ServiceCode="ec2")["RequestedQuotas"]:
            seen.append(r["Id"])
            assert r["Created"] <= r["LastUpdated"] < end_of_today, r
    assert len(seen) >= 2  # the lab's pending and approved requests
