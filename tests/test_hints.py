"""Hints work as printed (DESIGN.md, Output): every `next` repeats the run's --sandbox and --profile, and
the envelope always carries `next`, an empty list when there is nothing to suggest."""

from __future__ import annotations

from _awswiz import cli
from mutation_helpers import instance

REGION = "ap-northeast-2"


def use_running_sandbox(sandbox, state_dir) -> None:
    """--sandbox finds the test's sandbox through the state dir's sandbox.json, as a user's run would."""
    info = state_dir / "sandbox.json"
    info.write_text((sandbox.state / "sandbox.json").read_text())
    info.chmod(0o600)


def test_every_next_of_a_sandbox_run_repeats_sandbox(sandbox, run_tool, state_dir):
    use_running_sandbox(sandbox, state_dir)
    iid = instance(sandbox.client("ec2", REGION))
    plan = run_tool("stop", "--id", iid, "--region", REGION, "--sandbox")
    assert plan.code == 0, plan.stdout
    (confirm_cmd,) = plan.json["next"]
    assert "--sandbox" in confirm_cmd.split() and "--confirm" in confirm_cmd
    done = run_tool("stop", *confirm_cmd.split()[3:])  # uv run tools/stop.py ARGS, exactly as printed
    assert done.code == 0, done.stdout
    assert done.json["next"] == [f"uv run tools/scan.py --region {REGION} --service ec2:instance --sandbox"]


def test_next_is_always_present(run_tool):
    r = run_tool("stop", "--id", "i-0123456789abcdef0", "--region", REGION)
    assert r.code == 2 and r.json["next"] == []


def test_with_scope_adds_profile_and_sandbox_once():
    class C:
        sandbox, profile = False, "lab admin"

    scoped = cli.with_scope("uv run tools/scan.py --region x", C)
    assert scoped == "uv run tools/scan.py --region x --profile 'lab admin'"
    assert cli.with_scope("uv run tools/scan.py --profile p", C) == "uv run tools/scan.py --profile p"
    C.sandbox, C.profile = True, None
    assert cli.with_scope("uv run tools/scan.py", C) == "uv run tools/scan.py --sandbox"
    assert cli.with_scope("aws ec2 modify-instance-attribute", C) == "aws ec2 modify-instance-attribute"
    C.region_spec = "us-east-1,eu-west-1"  # the run's region scope, unless the hint names its own region
    assert cli.with_scope("uv run tools/scan.py", C) == "uv run tools/scan.py --region us-east-1,eu-west-1 --sandbox"
    own = "uv run tools/stop.py --region eu-west-1"
    assert cli.with_scope(own, C) == f"{own} --sandbox"
