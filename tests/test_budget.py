"""budget.py: a monthly cost budget with e-mail alerts, created and deleted through the guard."""

from __future__ import annotations

import uuid

import pytest


def apply(guarded, *args):
    """plan (nothing changed), confirm (the audit log equals what the server saw)."""
    return guarded("budget", *args).run()[1]


def test_create_list_delete(sandbox, run_tool, state_dir, guarded):
    name = f"lab-{uuid.uuid4().hex[:6]}"
    budgets = sandbox.client("budgets")
    plan = run_tool("budget", "create", "--name", name, "--amount", "500", "--email", "lead@lab.org",
                    "--threshold", "50,100")
    assert name not in {b["BudgetName"] for b in budgets.describe_budgets(AccountId="123456789012")["Budgets"]}
    assert plan.json["next"][0].endswith(f"--confirm {plan.json['data']['confirm']}")
    apply(guarded, "create", "--name", name, "--amount", "500", "--email", "lead@lab.org", "--threshold", "50,100")
    # AWS Budgets API Reference, CreateBudget: BudgetLimit Spend {Amount, Unit}, TimeUnit MONTHLY, BudgetType
    # COST; NotificationsWithSubscribers: ACTUAL GREATER_THAN Threshold (PERCENTAGE) with EMAIL subscribers
    b = budgets.describe_budget(AccountId="123456789012", BudgetName=name)["Budget"]
    assert (b["BudgetType"], b["TimeUnit"], float(b["BudgetLimit"]["Amount"])) == ("COST", "MONTHLY", 500.0)
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012", BudgetName=name)["Notifications"]
    assert sorted(n["Threshold"] for n in notes) == [50.0, 100.0]
    assert {n["NotificationType"] for n in notes} == {"ACTUAL"}
    # AWS Budgets API Reference, DescribeSubscribersForNotification (the sandbox answers it; moto 5 does not)
    subs = budgets.describe_subscribers_for_notification(AccountId="123456789012", BudgetName=name,
                                                         Notification=notes[0])["Subscribers"]
    assert subs == [{"SubscriptionType": "EMAIL", "Address": "lead@lab.org"}]
    assert plan.json["data"]["plan"][0]["detail"]["emails"] == ["lead@lab.org"]
    listed = run_tool("budget", "list").json["data"]["budgets"]
    assert next(x for x in listed if x["name"] == name)["alerts"] == ["actual > 50%", "actual > 100%"]
    assert "CreateBudget" in (state_dir / "audit.jsonl").read_text()
    # gross, as fellow_costs' budget_used: AWS Budgets API Reference, CostTypes (IncludeCredit, IncludeRefund default
    # true) false here; and the budget carries the tools' tags (ListTagsForResource, arn:aws:budgets::ACCT:budget/N)
    assert (b["CostTypes"]["IncludeCredit"], b["CostTypes"]["IncludeRefund"]) == (False, False)
    assert next(x for x in listed if x["name"] == name)["counts"] == "gross"
    tags = budgets.list_tags_for_resource(ResourceARN=f"arn:aws:budgets::123456789012:budget/{name}")["ResourceTags"]
    assert {"Key": "awswiz:managed", "Value": "true"} in tags
    dup = run_tool("budget", "create", "--name", name, "--amount", "5", "--email", "a@b.org")
    assert dup.code == 1 and dup.json["errors"][0]["code"] == "DuplicateRecord"
    apply(guarded, "delete", "--name", name)
    assert name not in {b["BudgetName"] for b in budgets.describe_budgets(AccountId="123456789012")["Budgets"]}


def test_delete_unknown_budget(sandbox, run_tool, guarded):
    name = f"lab-{uuid.uuid4().hex[:6]}"
    apply(guarded, "create", "--name", name, "--amount", "5", "--email", "a@b.org")
    mark = sandbox.mark()
    r = run_tool("budget", "delete", "--name", "no-such-budget")
    assert r.code == 2 and r.json["errors"][0]["code"] == "BadInput"
    assert name in r.json["errors"][0]["message"]  # names the budgets there are
    assert r.json["account"] == "123456789012"  # it asked AWS, so it names the account
    assert not [c for c in sandbox.calls(mark) if c["action"] == "DeleteBudget"]
    apply(guarded, "delete", "--name", name)


def test_sandbox_refuses_what_aws_budgets_refuses(sandbox):
    # AWS Budgets API Reference, NotificationWithSubscribers: "A notification can have one SNS subscriber and up to
    # 10 email subscribers, for a total of 11 subscribers"; botocore budgets model, BudgetName pattern (no "/action/")
    from botocore.exceptions import ClientError

    budgets, name = sandbox.client("budgets"), f"lab-{uuid.uuid4().hex[:6]}"

    def create(budget_name, subscribers):
        budgets.create_budget(AccountId="123456789012", Budget={
            "BudgetName": budget_name, "BudgetLimit": {"Amount": "5", "Unit": "USD"}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST"}, NotificationsWithSubscribers=[{"Notification": {
                "NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80},
                "Subscribers": subscribers}])

    emails = [{"SubscriptionType": "EMAIL", "Address": f"u{i}@lab.org"} for i in range(11)]
    sns = [{"SubscriptionType": "SNS", "Address": f"arn:aws:sns:us-east-1:123456789012:t{i}"} for i in range(2)]
    for budget_name, subs in [(name, emails), (name, emails[:9] + sns), ("a/action/b", emails[:1])]:
        with pytest.raises(ClientError) as exc:
            create(budget_name, subs)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterException"
    create(name, emails[:10] + sns[:1])  # 10 e-mails and 1 SNS: accepted
    budgets.delete_budget(AccountId="123456789012", BudgetName=name)


def test_protected_budget_is_not_deleted(sandbox, run_tool):
    # the budget's own tags (Budgets ListTagsForResource) reach the guard: awswiz:protected refuses the delete
    budgets, name = sandbox.client("budgets"), f"lab-{uuid.uuid4().hex[:6]}"
    budgets.create_budget(AccountId="123456789012", Budget={
        "BudgetName": name, "BudgetLimit": {"Amount": "5", "Unit": "USD"}, "TimeUnit": "MONTHLY",
        "BudgetType": "COST"}, ResourceTags=[{"Key": "awswiz:protected", "Value": "true"}])
    mark = sandbox.mark()
    r = run_tool("budget", "delete", "--name", name)
    assert r.code == 4, r.stdout
    assert not [c for c in sandbox.calls(mark) if c["action"] == "DeleteBudget"]
    assert budgets.describe_budget(AccountId="123456789012", BudgetName=name)["Budget"]["BudgetName"] == name
    budgets.delete_budget(AccountId="123456789012", BudgetName=name)


def test_every_page_of_budgets(sandbox, run_tool):
    # AWS Budgets API Reference, DescribeBudgets: MaxResults "The default is 100", NextToken for the rest. 101
    # budgets in an account of their own (AWS STS AssumeRole: credentials in the role's account)
    account = "444455556666"
    creds = sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/awswiz-auditor",
                                              RoleSessionName="test-budgets")["Credentials"]
    env = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
           "AWS_SESSION_TOKEN": creds["SessionToken"]}
    import boto3

    budgets = boto3.client("budgets", region_name="us-east-1", endpoint_url=sandbox.url,
                           aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
    names = [f"b{i:03d}" for i in range(101)]
    for n in names:
        budgets.create_budget(AccountId=account, Budget={"BudgetName": n, "BudgetLimit": {"Amount": "5", "Unit": "USD"},
                                                         "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    first = budgets.describe_budgets(AccountId=account)
    assert len(first["Budgets"]) == 100 and first["NextToken"]
    listed = run_tool("budget", "list", env=env)
    assert listed.code == 0 and [b["name"] for b in listed.json["data"]["budgets"]] == names
    plan = run_tool("budget", "delete", "--name", names[-1], env=env)  # on the second page
    assert plan.code == 0 and plan.json["data"]["plan"][0]["id"] == names[-1]


def test_budget_spend_is_what_costs_reports(sandbox, run_tool):
    # issue 25 item 5: the sandbox agrees with itself. AWS Budgets API Reference, CalculatedSpend: ActualSpend "The
    # actual cost or usage that you've incurred during the budget period" (a MONTHLY budget: this month to date);
    # CostTypes IncludeCredit / IncludeRefund "The default value is true" (net), false as budget.py makes them (gross).
    # costs.py's month to date is Cost Explorer's (GetCostAndUsage), from the same ledger in the sandbox.
    budgets = sandbox.client("budgets")
    names = {"net": f"net-{uuid.uuid4().hex[:6]}", "gross": f"gross-{uuid.uuid4().hex[:6]}"}
    gross_types = {"IncludeCredit": False, "IncludeRefund": False}
    for kind, name in names.items():
        budgets.create_budget(AccountId="123456789012", Budget={
            "BudgetName": name, "BudgetLimit": {"Amount": "5000", "Unit": "USD"}, "TimeUnit": "MONTHLY",
            "BudgetType": "COST", **({"CostTypes": gross_types} if kind == "gross" else {})})
    try:
        listed = {b["name"]: b for b in run_tool("budget", "list").json["data"]["budgets"]}
        mtd = run_tool("costs", "--months", "1").json["data"]["month_to_date"]
        for kind, name in names.items():
            actual, unit = listed[name]["actual"].split()
            assert unit == "USD" and listed[name]["counts"] == kind
            assert float(actual) == pytest.approx(mtd[kind], abs=0.01) and mtd[kind] > 0
        # the lab lives on credits (30%): net below gross, as the bill shows
        assert mtd["net"] < mtd["gross"]
        # the forecast is the month to date plus Cost Explorer's forecast of the rest of the month (net)
        forecast, _ = listed[names["net"]]["forecast"].split()
        assert float(forecast) == pytest.approx(mtd["forecast_month_net"], abs=0.01)
    finally:
        for name in names.values():
            budgets.delete_budget(AccountId="123456789012", BudgetName=name)
