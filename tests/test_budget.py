"""budget.py: a monthly cost budget with e-mail alerts, created and deleted through the guard."""

from __future__ import annotations

import uuid

import pytest


def apply(run_tool, *args):
    plan = run_tool("budget", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    assert plan.json["data"]["applied"] is False
    done = run_tool("budget", *args, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    return done


def test_create_list_delete(sandbox, run_tool, state_dir):
    name = f"lab-{uuid.uuid4().hex[:6]}"
    budgets = sandbox.client("budgets")
    plan = run_tool("budget", "create", "--name", name, "--amount", "500", "--email", "lead@lab.org",
                    "--threshold", "50,100")
    assert name not in {b["BudgetName"] for b in budgets.describe_budgets(AccountId="123456789012")["Budgets"]}
    assert plan.json["next"][0].endswith(f"--confirm {plan.json['data']['confirm']}")
    apply(run_tool, "create", "--name", name, "--amount", "500", "--email", "lead@lab.org", "--threshold", "50,100")
    # AWS Budgets API Reference, CreateBudget: BudgetLimit Spend {Amount, Unit}, TimeUnit MONTHLY, BudgetType
    # COST; NotificationsWithSubscribers: ACTUAL GREATER_THAN Threshold (PERCENTAGE) with EMAIL subscribers
    b = budgets.describe_budget(AccountId="123456789012", BudgetName=name)["Budget"]
    assert (b["BudgetType"], b["TimeUnit"], float(b["BudgetLimit"]["Amount"])) == ("COST", "MONTHLY", 500.0)
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012", BudgetName=name)["Notifications"]
    assert sorted(n["Threshold"] for n in notes) == [50.0, 100.0]
    assert {n["NotificationType"] for n in notes} == {"ACTUAL"}
    # moto 5 has no DescribeSubscribersForNotification (HTTP 500): the subscribers are checked in the plan only
    assert plan.json["data"]["plan"][0]["detail"]["emails"] == ["lead@lab.org"]
    listed = run_tool("budget", "list").json["data"]["budgets"]
    assert next(x for x in listed if x["name"] == name)["alerts"] == ["actual > 50%", "actual > 100%"]
    assert "CreateBudget" in (state_dir / "audit.jsonl").read_text()
    dup = run_tool("budget", "create", "--name", name, "--amount", "5", "--email", "a@b.org")
    assert dup.code == 1 and dup.json["errors"][0]["code"] == "DuplicateRecord"
    apply(run_tool, "delete", "--name", name)
    assert name not in {b["BudgetName"] for b in budgets.describe_budgets(AccountId="123456789012")["Budgets"]}


@pytest.mark.parametrize("args", [["remove"], ["create", "--name", "x"], ["create", "--name", "a:b", "--amount", "5",
                                                                          "--email", "a@b.org"],
                                  ["create", "--name", "x", "--amount", "5", "--email", "not-an-address"],
                                  ["create", "--name", "x", "--amount", "5", "--email", "a@b.org", "--threshold", "0"],
                                  ["delete"]])
def test_bad_input_sends_nothing(sandbox, run_tool, args):
    mark = sandbox.mark()
    r = run_tool("budget", *args)
    assert r.code == 2 and r.json["errors"][0]["code"] == "BadInput"
    assert not [c for c in sandbox.calls(mark) if c["action"] and "Budget" in c["action"]]


def test_delete_unknown_budget(sandbox, run_tool):
    r = run_tool("budget", "delete", "--name", "no-such-budget")
    assert r.code == 1 and r.json["errors"][0]["code"] == "NotFound"
