"""The sandbox's one cost source: a ledger of daily line items (several months, services, regions, a project tag,
credits and refunds) for the lab account and fellow accounts, rebuilt from AWSWIZ_TODAY at every reset.
costs/explorer.py answers GetCostAndUsage, GetCostForecast, GetDimensionValues and GetTags from it, and
budgets/budgets.py a budget's CalculatedSpend, so Budgets and Cost Explorer agree (issue 25 item 5).

The fellows: assume awswiz-auditor there (moto allows). Organizations cases: a member account without Cost
Explorer (NO_CE: its management account has not enabled it), one whose credits are applied at the payer and so
invisible to it (HIDDEN_CREDITS), and a young account (YOUNG) with YOUNG_DAYS of data.
"""

from __future__ import annotations

import datetime as _dt
import os

from .handlers import LAB, seeder

LAB_ACCOUNT = LAB
# assume awswiz-auditor there (moto allows); the last three are the Organizations and young-account cases
FELLOW_ACCOUNTS = {"210987654321": "ada", "345678901234": "grace", "456789012345": "linus",
                   "567890123456": "mary", "678901234567": "kath"}
YOUNG, YOUNG_DAYS = "456789012345", 9  # a young account: 9 days of data
NO_CE = "567890123456"  # Cost Explorer not enabled for this member account by its management account
HIDDEN_CREDITS = "678901234567"  # its credits are applied at the payer, invisible to it
MONTHS_OF_DATA = 6  # whole months before the current one
EC2 = "Amazon Elastic Compute Cloud - Compute"
# What each service's usage is, for USAGE_TYPE, INSTANCE_TYPE and UsageQuantity: (usage type, instance type,
# unit, USD per unit). A usage type carries its region's prefix (none in us-east-1, USW2-, EU-), as in AWS bills;
# the instance type is "NoInstanceType" for what is no EC2 instance.
USAGE = {EC2: ("BoxUsage:g5.xlarge", "g5.xlarge", "Hrs", 1.006),
         "EC2 - Other": ("EBS:VolumeUsage.gp3", "NoInstanceType", "GB-Mo", 0.08 / 30),
         "Amazon Simple Storage Service": ("TimedStorage-ByteHrs", "NoInstanceType", "GB-Mo", 0.023 / 30),
         "Amazon SageMaker": ("Notebk:ml.g5.xlarge", "NoInstanceType", "Hrs", 1.41),
         "Amazon Relational Database Service": ("InstanceUsage:db.t3.medium", "NoInstanceType", "Hrs", 0.068)}
REGION_PREFIX = {"us-east-1": "", "us-west-2": "USW2-", "eu-west-1": "EU-"}

# Per account: (service, region, project tag, USD per day in the oldest month, growth per month).
PROFILES = {
    LAB_ACCOUNT: [(EC2, "us-east-1", "llm", 40.0, 0.10), (EC2, "us-west-2", "vision", 25.0, -0.05),
                  ("EC2 - Other", "us-east-1", "llm", 6.0, 0.02), ("Amazon Simple Storage Service", "us-west-2", "",
                                                                   2.5, 0.15),
                  ("Amazon SageMaker", "us-west-2", "vision", 8.0, 0.20),
                  ("Amazon Relational Database Service", "eu-west-1", "", 4.0, 0.0)],
    "210987654321": [(EC2, "us-east-1", "protein", 30.0, 0.25), ("Amazon Simple Storage Service", "us-east-1",
                                                                 "protein", 1.5, 0.05)],
    "345678901234": [(EC2, "eu-west-1", "speech", 12.0, -0.10), ("Amazon SageMaker", "eu-west-1", "speech", 5.0,
                                                                 0.0)],
    YOUNG: [(EC2, "us-east-1", "", 20.0, 0.0)],
    NO_CE: [(EC2, "us-east-1", "", 10.0, 0.0)],
    HIDDEN_CREDITS: [(EC2, "us-west-2", "genome", 18.0, 0.0)],
}
# share of usage paid by credits (none visible to HIDDEN_CREDITS: applied at its payer)
CREDIT_SHARE = {LAB_ACCOUNT: 0.30, "210987654321": 1.0, "345678901234": 0.5, YOUNG: 1.0, NO_CE: 0.0,
                HIDDEN_CREDITS: 0.0}
REFUNDS = {LAB_ACCOUNT: (2, EC2, "us-east-1", -25.0), "345678901234": (1, EC2, "eu-west-1", -10.0)}
LEDGER: list[dict] = []


def today() -> _dt.date:
    """AWSWIZ_TODAY=YYYY-MM-DD freezes the ledger's today, as it does the cost tools' (the tests set it)."""
    raw = os.environ.get("AWSWIZ_TODAY", "").strip()
    return _dt.date.fromisoformat(raw) if raw else _dt.datetime.now(_dt.UTC).date()


def month_start(d: _dt.date, back: int = 0) -> _dt.date:
    y, m = d.year, d.month - back
    while m < 1:
        y, m = y - 1, m + 12
    return _dt.date(y, m, 1)


@seeder
def seed_ledger(_state: dict) -> None:
    """Daily items from MONTHS_OF_DATA months back to yesterday (Cost Explorer lags about a day)."""
    LEDGER.clear()
    now = today()
    first = month_start(now, MONTHS_OF_DATA)
    day = first
    while day < now:
        back = (now.year - day.year) * 12 + now.month - day.month  # 0: this month
        age = MONTHS_OF_DATA - back
        for account, rows in PROFILES.items():
            if account == YOUNG and (now - day).days > YOUNG_DAYS:
                continue
            for service, region, project, base, growth in rows:
                usage = round(base * (1 + growth * age), 4)
                item = _item(day, account, service, region, project)
                LEDGER.append({**item, "record": "Usage", "amount": usage, "quantity": usage / USAGE[service][3]})
                credit = round(-usage * CREDIT_SHARE[account], 4)
                if credit:
                    LEDGER.append({**item, "record": "Credit", "amount": credit})
            if account in REFUNDS and back == REFUNDS[account][0] and day.day == 15:
                _, service, region, amount = REFUNDS[account]
                LEDGER.append({**_item(day, account, service, region, ""), "record": "Refund", "amount": amount})
        day += _dt.timedelta(days=1)


FORECAST_MIN_DAYS = 30  # a young account (YOUNG) has less: no forecast
FORECAST_DAYS = 14  # the forecast carries the mean of the ledger's last 14 days forward


def can_forecast(account: str) -> bool:
    """Enough history for a forecast (AWS: "Insufficient amount of historical data" otherwise)."""
    mine = [i["date"] for i in LEDGER if i["account"] == account]
    return bool(mine) and (today() - min(mine)).days >= FORECAST_MIN_DAYS


def daily_mean(account: str, keep) -> float:
    """USD per day over the last FORECAST_DAYS of the ledger, of the account's items keep(item) accepts: the
    forecast's model (AWS's model is its own; the shape of the answers is AWS's)."""
    lo = today() - _dt.timedelta(days=FORECAST_DAYS)
    return sum(i["amount"] for i in LEDGER if i["account"] == account and lo <= i["date"] < today() and keep(i)) \
        / FORECAST_DAYS


def _item(day: _dt.date, account: str, service: str, region: str, project: str) -> dict:
    usage_type, instance_type, unit, _ = USAGE[service]
    return {"date": day, "account": account, "service": service, "region": region,
            "tags": {"project": project} if project else {}, "usage_type": REGION_PREFIX[region] + usage_type,
            "instance_type": instance_type, "unit": unit, "quantity": 0.0}
