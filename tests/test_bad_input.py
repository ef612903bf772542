"""Bad input is exit 2 with a message naming the valid values, nothing sent, nothing changed (DESIGN.md, exit codes).

Every case here is refused before any call, so none needs the emulator: each tool runs against an endpoint that
nothing answers (conftest.Offline, a loopback listener counting the connections opened to it) and the test
asserts that none was opened and that the state directory is as it was. Bad input that AWS must be asked about
(a well-formed id that does not exist, a value that is not above the current quota) stays in the tool's own test
file, against the sandbox. This module must not request the `sandbox` fixture (test_house-style rule, checked
below)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _awswiz.shell import settings
from test_fellow_costs import ADA
from test_profile import CONFIG, CREDENTIALS
from test_reap import BAD_POLICIES, POLICY, write_policy

R = "ap-southeast-2"
IID = "i-0123456789abcdef0"  # well-formed; never looked up: each case is refused first


def tree(d: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(d)): (p.read_bytes() if p.is_file() else None) for p in sorted(d.rglob("*"))}


def refused(offline, state_dir: Path, tool: str, *args: str, env: dict | None = None) -> dict:
    """Run tool; exit 2, a BadInput envelope, no traceback, no connection, the state dir unchanged -> the envelope."""
    before = tree(state_dir)
    r = offline.run(tool, *args, env=env)
    assert r.code == 2, r.stdout + r.stderr
    doc = r.json
    assert doc["ok"] is False and doc["errors"][0]["code"] == "BadInput", doc
    assert "Traceback" not in r.stderr
    assert offline.connections == 0, f"{tool} {args}: sent something before refusing"
    assert tree(state_dir) == before  # no plan, no audit line, no key, no cache
    return doc


def message(doc: dict) -> str:
    return doc["errors"][0]["message"]


# --- changing tools: bad flags and ids of a bad form (issue 7: an empty selector never widens to everything) ----

@pytest.mark.parametrize("tool, args, words", [
    ("stop", ["--id", "i-123"], ["i-123"]), ("stop", ["--id", "vpc-12345678"], []), ("stop", [], []),
    ("stop", ["--tag", "novalue"], []), ("stop", ["--bogus"], ["--bogus"]),
    ("stop", ["--id", IID, "--region", "mars-1"], ["mars-1", "us-east-1"]),
    ("terminate", ["--type", "other", "--id", "x"], ["ec2", "s3"]),
    ("terminate", ["--type", "ec2", "--id", "i-zz"], []), ("terminate", ["--type", "ec2", "--id", "my-bucket"], []),
    ("terminate", ["--type", "s3", "--id", "Bad_Bucket"], []),
    ("terminate", ["--type", "s3"], []), ("terminate", ["--id", IID], []),
    ("terminate", ["--type", "s3", "--id", "awswiz-demo-datasets", "--snapshot"], ["--snapshot"]),
    ("terminate", ["--type", "ec2:image", "--id", "vol-0123456789abcdef0"], []),  # not an AMI id
    ("terminate", ["--type", "ec2:volume", "--id", "vol-0123456789abcdef0", "--snapshot"],
     ["--snapshot does not apply to --type ec2:volume"]),
    ("terminate", ["--type", "elb:load-balancer", "--id", "bad name!"], []),
    ("terminate", ["--type", "rds:db-instance", "--id", "1bad"], []),
    ("terminate", ["--type", "sagemaker:notebook", "--id", "no_such"], []),
    ("terminate", ["--type", "iam:role", "--id", "bad role"], []),
    ("terminate", ["--type", "rds:db-instance", "--id", "some-db", "--with-target-groups"], []),
    ("cleanup_vpc", ["--id", "vpc-nothex"], []), ("cleanup_vpc", ["--id", IID], []), ("cleanup_vpc", [], []),
    ("cleanup_vpc", ["--all", "--id", "vpc-0123456789abcdef0"], []),
    ("cleanup_sg", ["--region", "nowhere-1"], ["nowhere-1", "us-east-1"]), ("cleanup_sg", ["--max", "0"], ["--max"]),
    ("cleanup_sg", ["--region", "us-east-1,nowhere-1"], ["nowhere-1"]),
])
def test_changing_tools_refuse_bad_flags_and_ids(offline, state_dir, tool, args, words):
    region = [] if "--region" in args else ["--region", R]
    doc = refused(offline, state_dir, tool, *args, *region)
    assert all(w in message(doc) for w in words), message(doc)


@pytest.mark.parametrize("args", [
    ("terminate", "--type", "ec2", "--id", ""),      # was: planned (and on confirm terminated) every instance
    ("terminate", "--type", "ec2", "--id", ","),
    ("terminate", "--type", "ec2", "--id", " , "),
    ("stop", "--id", ""),
    ("stop", "--id", ","),
    ("stop", "--tag", "=x"),
    ("stop", "--tag", " =x"),
    ("cleanup_vpc", "--id", ""),
    ("terminate", "--type", "s3", "--id", ","),
    ("terminate", "--type", "ec2:volume", "--id", " , "),   # every remover type shares the one selector check
    ("terminate", "--type", "vpc:security-group", "--id", ""),
    ("cleanup_vpc", "--id", " , "),
    ("schedule", "set", "--id", ",", "--stop", "20:00", "--start", "08:00"),
    ("schedule", "set", "--tag", "=x", "--stop", "20:00", "--start", "08:00"),
    ("schedule", "remove", "--id", " "),
])
def test_empty_selector_is_bad_input_and_plans_nothing(offline, state_dir, args):
    # issue 7: an empty --id or --tag selected everything; now refused before anything is asked
    doc = refused(offline, state_dir, *args, "--region", R)
    assert doc["data"] is None


@pytest.mark.parametrize("args", [["--stop", "25:00", "--start", "08:00"], ["--stop", "8pm", "--start", "08:00"],
                                  ["--stop", "20:00"], ["--stop", "20:00", "--start", "08:00", "--tz", "Nowhere"]])
def test_bad_schedule_is_exit_2_naming_the_format(offline, state_dir, args):
    msg = message(refused(offline, state_dir, "schedule", "set", "--id", IID, "--region", R, *args))
    assert "HH:MM" in msg or "IANA" in msg, msg


# --- every AWSWIZ_* setting is checked before anything is sent (issue 7 item 7) ------------------------------

@pytest.mark.parametrize("name, value", [
    ("AWSWIZ_CONFIRM_TTL", "abc"),        # was: a traceback
    ("AWSWIZ_CONFIRM_TTL", "999999999"),  # was: a token valid for decades
    ("AWSWIZ_CONFIRM_TTL", "0"),          # was: an already-expired token, exit 0
    ("AWSWIZ_CONFIRM_TTL", "-5"),
    ("AWSWIZ_READ_TIMEOUT", "0"),
    ("AWSWIZ_MAX_ATTEMPTS", "1e9"),
    ("AWSWIZ_WORKERS", "-1"),
    ("AWSWIZ_TIMEOUT", "nan"),
])
def test_bad_settings_are_bad_input(offline, state_dir, name, value):
    msg = message(refused(offline, state_dir, "stop", "--id", IID, "--region", R, env={name: value}))
    s = settings.SETTINGS[name]
    assert name in msg and f"{s.low} to {s.high}" in msg


@pytest.mark.parametrize("value", ["2026-13-01", "yesterday", "2026-11-31"])
def test_a_bad_today_is_bad_input(offline, state_dir, value):
    # AWSWIZ_TODAY freezes the cost tools' calendar (the tests set it); a value that is not a real date is
    # exit 2 naming the form, before any call
    msg = message(refused(offline, state_dir, "costs", "--months", "1", env={"AWSWIZ_TODAY": value}))
    assert "AWSWIZ_TODAY" in msg and "YYYY-MM-DD" in msg


# --- read tools: bad flags, bad regions ------------------------------------------------------------------------

@pytest.mark.parametrize("tool, args, words", [
    ("ami", ["--framework", "jax"], ["pytorch", "tensorflow", "base"]),
    ("ami", ["--arch", "sparc"], ["x86_64", "arm64"]),
    ("ami", ["--type", "big"], ["--type"]),
    ("ami", ["--region", "us-mars-1"], ["us-mars-1"]),
    ("ami", ["--limit", "0"], ["--limit"]),
    ("list_instances", [], ["--filter", "--gpu"]),
    ("list_instances", ["--filter", "g5", "--region", "mars-1"], ["mars-1", "us-east-1"]),
    ("list_instances", ["--filters", "g5"], ["--filters"]),
    ("quota_check", ["--family", "q"], ["--family", "standard", "trn", "p5"]),
    ("quota_check", ["--need", ":2"], ["TYPE[:COUNT]", "MODEL[:COUNT]"]),
    ("quota_check", ["--need", "H100:0"], ["COUNT"]),
    ("quota_check", ["--need", "g5.xlarge:0"], ["COUNT"]),
    ("quota_check", ["--need", "g5.xlarge:many"], ["COUNT"]),
    ("quota_check", ["--region", "us-moon-1"], ["us-moon-1", "us-east-1"]),
    ("quota_check", ["--bogus"], ["--bogus"]),
    ("quota_status", ["--region", "nowhere-1"], ["nowhere-1"]),
    ("quota_status", ["--service", "no such"], []),
    ("quota_status", ["--every"], ["--every"]),
    ("costs", ["--group-by", "colour"], ["service, region, account, tag:KEY"]),
    ("costs", ["--group-by", "tag:"], ["service, region, account, tag:KEY"]),
    ("costs", ["--months", "0"], []),
    ("costs", ["--daily", "0"], []),
    ("connect", ["--id", "nope", "--", "true"], []),
    ("connect", ["--id", IID, "--region", "us-east-1"], []),
])
def test_read_tools_refuse_bad_flags(offline, state_dir, tool, args, words):
    msg = message(refused(offline, state_dir, tool, *args))
    assert all(w in msg for w in words), msg


@pytest.mark.parametrize("args", [
    ("--check", "sg-open-telnet"), ("--severity", "urgent"), ("--format", "xml"), ("--fix", "ami-public"),
    ("--fix", "sg-open-ssh", "--cidr", "10.0.0.0/8"), ("--fix", "sg-open-ssh", "--cidr", "nonsense"),
    ("--fix", "ec2-imdsv1", "--cidr", "198.51.100.7/32"), ("--id", "sg-0123"), ("--fix", "sg-open-ssh", "--id", ","),
    ("--region", "mars-1"), ("--check", ","), ("--fix", "ec2-imdsv1", "--severity", "high"),
])
def test_security_bad_input(offline, state_dir, args):
    assert message(refused(offline, state_dir, "security", *args))


# --- quota_request: validated before anything is sent (issue 7 item 8) ----------------------------------------

@pytest.mark.parametrize("args, words", [
    (["--code", "P", "--value", "64", "--region", "us-east-1"], ["L-XXXXXXXX", "L-417A185B"]),
    (["--code", "L-417A185B", "--value", "-1", "--region", "us-west-2"], ["positive"]),
    # non-finite, out of the API's range (botocore service-quotas model: QuotaValue is a double, min 0, max
    # 10000000000), or not whole for a count of vCPUs
    (["--code", "L-417A185B", "--value", "inf", "--region", "us-west-2"], ["finite", "inf"]),
    (["--code", "L-417A185B", "--value", "nan", "--region", "us-west-2"], ["finite", "nan"]),
    (["--code", "L-417A185B", "--value", "1e308", "--region", "us-west-2"], ["10000000000"]),
    (["--code", "L-417A185B", "--value", "100.5", "--region", "us-west-2"], ["whole number"]),
    (["--code", "L-417A185B", "--value", "500", "--region", "us-moon-1"], ["us-moon-1", "us-west-2"]),
    (["--value", "500", "--region", "us-east-1"], ["--code"]),
    (["--code", "L-417A185B", "--value", "lots"], ["--value"]),
])
def test_quota_request_bad_input(offline, state_dir, args, words):
    msg = message(refused(offline, state_dir, "quota_request", *args))
    assert all(w in msg for w in words), msg


# --- launch ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("args,needle", [
    (["--type", "g5.xlarge", "--ttl", "soon"], "--ttl"),
    (["--type", "g5.xlarge", "--init", "/nonexistent/setup.sh"], "--init"),
    (["--type", "g5.xlarge", "--count", "0"], "--count"),
    (["--type", "g5.xlarge", "--persistent"], "--spot"),
    (["--type", "g5.xlarge", "--spot", "--on-shutdown", "stop"], "one-time spot"),
    (["--type", "g5.xlarge", "--ssh-cidr", "everyone"], "--ssh-cidr"),
    # EC2 API Reference, SpotMarketOptions.MaxPrice: "it must be more than USD $0.001. Specifying a value below
    # USD $0.001 will result in an InvalidParameterValue error"; inf and nan are no price (strict JSON has neither)
    (["--type", "g5.xlarge", "--spot", "--max-price", "0.0005"], "at least 0.001"),
    (["--type", "g5.xlarge", "--spot", "--max-price", "inf"], "--max-price"),
    (["--type", "g5.xlarge", "--spot", "--max-price", "nan"], "--max-price"),
    # EC2 User Guide, "Persistent Spot Instance requests": the request is opened again after its instance is
    # terminated, and AWS launches a replacement with the same user data: a TTL or idle stop that terminates the
    # box would start a new one whose timer is already past (the sandbox does so: test_spot_rules.py)
    (["--type", "g5.xlarge", "--spot", "--persistent", "--on-shutdown", "terminate", "--ttl", "2h"],
     "AWS reopens the persistent request"),
    (["--type", "g5.xlarge", "--spot", "persistent", "--on-shutdown", "terminate", "--init", "idle_stop"],
     "--init idle_stop"),
])
def test_launch_bad_input_creates_nothing(offline, state_dir, args, needle):
    assert needle in message(refused(offline, state_dir, "launch", *args))


# --- budget, create_auditor, fellow_costs, reap: their inputs and files ------------------------------------------

@pytest.mark.parametrize("args", [["remove"], ["create", "--name", "x"], ["create", "--name", "a:b", "--amount", "5",
                                                                          "--email", "a@b.org"],
                                  ["create", "--name", "x", "--amount", "5", "--email", "not-an-address"],
                                  ["create", "--name", "x", "--amount", "5", "--email", "a@b.org", "--threshold", "0"],
                                  ["delete"],
                                  # AWS Budgets API Reference, Spend.Amount: a decimal number (inf is none)
                                  ["create", "--name", "x", "--amount", "inf", "--email", "a@b.org"],
                                  ["create", "--name", "x", "--amount", "nan", "--email", "a@b.org"],
                                  # NotificationWithSubscribers: "one SNS subscriber and up to 10 email subscribers"
                                  ["create", "--name", "x", "--amount", "5",
                                   *[a for i in range(11) for a in ("--email", f"u{i}@lab.org")]],
                                  # botocore budgets model, BudgetName: 1-100 characters, no "/action/"
                                  ["create", "--name", "a/action/b", "--amount", "5", "--email", "a@b.org"],
                                  ["create", "--name", "x" * 101, "--amount", "5", "--email", "a@b.org"]])
def test_budget_bad_input_sends_nothing(offline, state_dir, args):
    refused(offline, state_dir, "budget", *args)


@pytest.mark.parametrize("args", [["--name", "x", "--mode", "group"], ["--name", "x", "--mode", "role"],
                                  ["--name", "x", "--mode", "role", "--trusted-account", "12345"],
                                  ["--name", "x", "--trusted-account", "123456789012"], ["--name", "bad name!"],
                                  # botocore iam model, userNameType/roleNameType: pattern [\w+=,.@-]+ (ASCII \w),
                                  # 1-64 characters: a trailing newline, a non-ASCII letter, 65 characters are refused
                                  ["--name", "ada\n"], ["--name", "adä"], ["--name", "a" * 65]])
def test_create_auditor_bad_input_changes_nothing(offline, state_dir, args):
    refused(offline, state_dir, "create_auditor", *args)
    assert not (state_dir / "fellows.toml").exists()


def test_malformed_fellows_file_refused_before_any_change(offline, state_dir):
    (state_dir / "fellows.toml").write_text("[[fellow]\n")
    assert "line 1" in message(refused(offline, state_dir, "create_auditor", "--name", "aud-x"))


def test_fellow_costs_missing_file_gives_a_template(offline, state_dir):
    doc = refused(offline, state_dir, "fellow_costs")
    assert "fellows.toml does not exist" in message(doc) and "[[fellow]]" in doc["data"]["template"]


@pytest.mark.parametrize("text, words", [
    (ADA + '\n[[fellow]]\nname = "x\naccount = "1"\n', "line 9"),
    ('[[fellow]]\nname = "x"\naccount = "12"\nprofile = "p"\n', "12-digit"),
])
def test_fellow_costs_bad_file_names_the_fault(offline, state_dir, text, words):
    (state_dir / "fellows.toml").write_text(text)
    (state_dir / "fellows.toml").chmod(0o600)
    assert words in message(refused(offline, state_dir, "fellow_costs"))


@pytest.mark.parametrize("case", sorted(BAD_POLICIES))
def test_bad_policy_is_bad_input_and_changes_nothing(offline, state_dir, tmp_path, case):
    text, mode, words = BAD_POLICIES[case]
    path = write_policy(tmp_path, text, mode)
    if case == "symlink":
        os.symlink(path, tmp_path / "link.toml")
        path = tmp_path / "link.toml"
    assert words in message(refused(offline, state_dir, "reap", "--policy", str(path)))


def test_policy_and_confirm_together_are_bad_input(offline, state_dir, tmp_path):
    doc = refused(offline, state_dir, "reap", "--policy", str(write_policy(tmp_path, POLICY)), "--confirm", "0" * 16)
    assert "do not go together" in message(doc)


def test_unknown_profile_is_exit_2_naming_the_profiles(offline, state_dir, tmp_path):
    # Issue 11 item 7; botocore raises ProfileNotFound for a profile its config and credentials files do not hold
    # (AWS CLI User Guide, "Configuration and credential file settings")
    (tmp_path / "config").write_text(CONFIG)
    (tmp_path / "credentials").write_text(CREDENTIALS)
    env = {"AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials")}
    for tool, args in (("scan", ["--region", "us-east-1"]), ("stop", ["--id", IID, "--region", "us-east-1"])):
        msg = message(refused(offline, state_dir, tool, *args, "--profile", "nosuch", env=env))
        assert "'nosuch'" in msg and all(p in msg for p in ("default", "lab-admin", "ci-reader"))


def test_this_module_starts_no_emulator():
    """What the module promises: no test here asks for the sandbox (or run_tool, which starts it)."""
    import ast

    tree_ = ast.parse(Path(__file__).read_text())
    params = {a.arg for f in ast.walk(tree_) if isinstance(f, ast.FunctionDef) and f.name.startswith("test_")
              for a in f.args.args}
    assert not params & {"sandbox", "run_tool", "faulty"}, params


# issue 23 and 24's changing tools, and export: an empty or blank selector is bad input and sends nothing
@pytest.mark.parametrize("tool, args", [
    ("secret", ["put", "--name", ""]), ("secret", ["put", "--name", " "]), ("secret", ["delete", "--name", ""]),
    ("alarms", ["delete", "--name", ""]), ("alarms", ["delete", "--name", " "]),
    ("alarms", ["idle-stop", "--id", "", "--duration", "1h"]),
    ("alarms", ["idle-stop", "--id", " ", "--duration", "1h"]),
    ("network", ["create", "--name", "", "--cidr", "10.9.0.0/16"]),
    ("network", ["create", "--name", " ", "--cidr", "10.9.0.0/16"]),
    ("export", ["--vpc", "", "--region", R]), ("export", ["--tag", "=x", "--region", R]),
    ("export", ["--id", " ", "--region", R]),
])
def test_new_tools_refuse_an_empty_selector(offline, state_dir, tool, args):
    refused(offline, state_dir, tool, *args)
