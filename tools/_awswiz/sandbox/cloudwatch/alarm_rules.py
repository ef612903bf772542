"""PutMetricAlarm's period rules, which moto does not check (moto 5.2 accepts a Period of 45 and any length):
botocore cloudwatch model, PutMetricAlarm Period: "Valid values are 10, 20, 30, and any multiple of 60" and "Period
multiplied by EvaluationPeriods can't be more than 604,800 seconds. For alarms with a period of less than one hour
(3,600 seconds), the total evaluation period can't be longer than one day (86,400 seconds)"; the same for each
metric's MetricStat.Period of a metric math alarm. Refused as ValidationError, as CloudWatch refuses a bad
parameter; a good alarm goes on to moto."""

from __future__ import annotations

from ..handlers import PASS, ApiError, handles

SUB_MINUTE = (10, 20, 30)
WEEK, DAY, HOUR = 604800, 86400, 3600


def problem(period: int, evaluations: int) -> str | None:
    if period not in SUB_MINUTE and (period <= 0 or period % 60):
        return f"Period {period} is not 10, 20, 30 or a multiple of 60"
    total = period * evaluations
    if total > WEEK or (period < HOUR and total > DAY):
        return (f"Period x EvaluationPeriods ({total} s) is over {DAY if period < HOUR else WEEK} s, the longest "
                "evaluation an alarm of this period may have")
    return None


@handles("GraniteServiceVersion20100801.PutMetricAlarm")
def put_metric_alarm(params, region, state):
    evaluations = int(params.get("EvaluationPeriods") or 1)
    periods = [params["Period"]] if params.get("Period") is not None else []
    periods += [m["MetricStat"]["Period"] for m in params.get("Metrics") or [] if m.get("MetricStat")]
    for p in periods:
        if why := problem(int(p), evaluations):
            raise ApiError("ValidationError", why)
    return PASS
