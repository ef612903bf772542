"""Hints work as printed (DESIGN.md, Output): every `next` repeats the run's --sandbox and --profile, and
the envelope always carries `next`, an empty list when there is nothing to suggest."""

from __future__ import annotations

import ast
import re
import shlex

from _awswiz import cli
from conftest import TOOLS
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
    assert done.json["next"] == [f"uv run tools/scan.py --service ec2:instance --region {REGION} --sandbox"]


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


# --- one builder (issue 20, item 3): every suggested command is built by shell/hints.py ----------------

CORE = TOOLS / "_awswiz"
BUILDER = CORE / "shell" / "hints.py"
HAND_BUILT = re.compile(r"uv run tools/(?![\w{}]+\.py --help\b)")  # --help needs no scope: it may be written out
AWS_CLI = re.compile(r"(?<![\w-])aws [a-z0-9-]+ [a-z]+-[a-z-]+")  # aws SERVICE VERB-NOUN
ALLOWED = {
    ("waste.py", "uv run tools/terminate.py"),  # reads a next's tool (startswith), builds nothing
    # errors.classify's hint for refused credentials, written once for every error (no run scope there): advice
    # on how to see whose credentials they are, not a command to follow
    ("errors.py", "check the credentials for this profile and region (aws sts get-caller-identity), "
                  "or enable the region in the account settings"),
}


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
    return out


def _texts(tree: ast.AST):
    """(line, text) of every string literal and f-string (placeholders as {}), docstrings left out."""
    docs = _docstrings(tree)
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield node.lineno, "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
              and id(node) not in inner):
            yield node.lineno, node.value


def hand_built(sources) -> list[str]:
    out = []
    for path in sources:
        tree = ast.parse(path.read_text(), str(path))
        for line, text in _texts(tree):
            if (HAND_BUILT.search(text) or AWS_CLI.search(text)) and (path.name, text) not in ALLOWED:
                out.append(f"{path.name}:{line}: {text[:90]!r}")
    return out


def test_every_suggested_command_comes_from_the_one_builder():
    """A `next`, a hint, a fix or verify step that names an AwsWiz command (uv run tools/...) or an AWS CLI
    command is built by shell/hints.py, which quotes every word and repeats the run's --sandbox, --profile
    and region: one written out by hand (an f-string or a literal) is the fifth way that forgets one."""
    sources = [p for p in [*TOOLS.glob("*.py"), *CORE.rglob("*.py")]
               if p != BUILDER and CORE / "sandbox" not in p.parents]
    assert len(sources) > 100
    found = hand_built(sources)
    assert not found, "\n".join(found)  # (path names: grep -rn for the text)


def test_the_walk_finds_a_hand_built_command(tmp_path):
    """The walk above cannot pass by seeing nothing: each way of writing one by hand is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text('"""uv run tools/scan.py in a docstring is prose."""\n'
                   'a = "uv run tools/scan.py --sandbox"\n'
                   'b = f"uv run tools/terminate.py --id {1}"\n'
                   'c = f"end it with: aws ec2 terminate-instances --instance-ids {2}"\n'
                   'd = "uv run tools/scan.py --help"\n')
    assert [h.split(":")[1] for h in hand_built([bad])] == ["2", "3", "4"]


def test_a_one_region_tool_given_two_names_them_in_a_hint_that_runs(sandbox, run_tool, state_dir):
    """Issue 25 item 5: a tool that changes one region at a time, given --region a,b, said "e.g. --region
    us-east-1" whatever was given; the hint names the regions given and is the same command in the first."""
    use_running_sandbox(sandbox, state_dir)
    mark = sandbox.mark()
    args = ("--code", "L-DB2E81BA", "--value", "16", "--region", "us-west-2,eu-west-1", "--sandbox")
    r = run_tool("quota_request", *args)
    assert r.code == 2, r.stdout
    err = r.json["errors"][0]
    assert "eu-west-1, us-west-2" in err["message"]
    assert err["hint"] == ("name one of eu-west-1, us-west-2: uv run tools/quota_request.py --code L-DB2E81BA "
                           "--value 16 --sandbox --region eu-west-1")
    assert sandbox.calls(mark) == []  # region names are checked against botocore's data: nothing sent
    words = shlex.split(err["hint"].split(": ", 1)[1])
    assert run_tool(words[2].removeprefix("tools/").removesuffix(".py"), *words[3:]).code == 0  # a plan: exit 0


def test_builder_quotes_every_word_and_repeats_the_scope(monkeypatch):
    from _awswiz.shell import hints

    ctx = hints.Scope(sandbox=True, profile="lab admin", region_spec="us-east-1,eu-west-1")
    assert hints.command(ctx, "stop", "--tag", "project=a b") == (
        "uv run tools/stop.py --tag 'project=a b' --region us-east-1,eu-west-1 --sandbox --profile 'lab admin'")
    assert hints.command(ctx, "stop", "--id", "i-1", region="us-west-2").endswith("--region us-west-2 --sandbox "
                                                                                   "--profile 'lab admin'")
    assert hints.command(ctx.without_region(), "security", "--fix", "iam-key-old").count("--region") == 0
    connect = hints.command(ctx, "connect", "--id", "i-1", after=("nvidia-smi",))
    assert connect.endswith("--sandbox --profile 'lab admin' -- nvidia-smi")
    assert cli.with_scope(connect, ctx) == connect  # the door adds nothing after `--` (the remote command)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert hints.aws_cli(ctx, "rds", "delete-db-snapshot", "--db-snapshot-identifier", "s;rm", region="us-east-1") == (
        "env AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing aws rds delete-db-snapshot "
        "--db-snapshot-identifier 's;rm' --region us-east-1 --endpoint-url http://127.0.0.1:5000")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    real = hints.Scope(profile="ci reader")
    assert hints.aws_cli(real, "iam", "generate-credential-report") == (
        "aws iam generate-credential-report --profile 'ci reader'")
