"""The one builder of the commands a tool suggests (`next`, an error's hint, a plan's fix or verify step).

Each must work as printed (DESIGN.md, Output), so each repeats the run's --sandbox, --profile and region scope,
and every word is quoted (shlex): a name read from AWS never becomes two shell words. Code that has the run's
ctx passes it; code that has not is handed a Scope (Scope.of(ctx)), never a pasted string.

    command(ctx, "stop", "--id", iid, region=r)   uv run tools/stop.py --id i-0abc --region r --sandbox
    again(confirm=token)                          the run's own command line, with --confirm TOKEN
    aws_cli(ctx, "rds", "modify-db-instance", ..., region=r)   what AwsWiz cannot do, with --region,
                                                  --profile (and the sandbox's --endpoint-url)

tests/test_hints.py walks the code and fails on a command built anywhere else.
"""

from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass

PREFIX = "uv run tools/"
# the tools that take the account selection (cli.command(..., accounts=True)); tests/test_accounts.py keeps it true
ACCOUNT_TOOLS = frozenset({"scan", "waste", "security", "quota_check", "instance_status", "costs", "stop",
                           "terminate", "reap"})


@dataclass(frozen=True)
class Scope:
    """What every suggested command repeats of the run: --sandbox, --profile and --region as given, and the account
    selection (--accounts ...: aws/accounts.py Selection.words) of a run of several accounts."""

    sandbox: bool = False
    profile: str | None = None
    region_spec: str | None = None
    accounts: tuple[str, ...] = ()

    @classmethod
    def of(cls, ctx) -> Scope:
        """The scope of a Ctx (or of anything with sandbox/profile/region_spec; a Scope is itself)."""
        if isinstance(ctx, Scope):
            return ctx
        sel = getattr(ctx, "selection", None)
        return cls(bool(getattr(ctx, "sandbox", False)), getattr(ctx, "profile", None) or None,
                   getattr(ctx, "region_spec", None) or None, tuple(sel.words()) if sel is not None else ())

    def without_region(self) -> Scope:
        """For a command about something global (IAM, the account): no --region to repeat."""
        return Scope(self.sandbox, self.profile, None, self.accounts)

    def in_account(self, account: str, own: str | None, selection, profile: str | None = None) -> Scope:
        """For a command about one account's resource in a run of several: that account alone (--accounts ID, with
        --skip-self when it is not the caller's), or its own profile of --profile a,b."""
        if profile:
            return Scope(self.sandbox, profile, self.region_spec)
        return Scope(self.sandbox, self.profile, self.region_spec, tuple(selection.one(account, own)))


def _has(words: list[str], flag: str) -> bool:
    return any(w == flag or w.startswith(flag + "=") for w in words)


def command(ctx, tool: str, *args, region: str | None = None, after: tuple[str, ...] = ()) -> str:
    """`uv run tools/TOOL.py ARGS --region R --sandbox --profile P [-- AFTER]`, every word quoted. region: where
    this command acts (a finding's own region); None: the run's --region, if it gave one. A flag already in
    ARGS is not repeated. after: the words after `--` (connect's remote command). ctx: the run's Ctx or a
    Scope."""
    s = Scope.of(ctx)
    words = [str(a) for a in args]
    region = region or s.region_spec
    words += ["--region", region] if region and not _has(words, "--region") else []
    words += ["--sandbox"] if s.sandbox and "--sandbox" not in words else []
    words += ["--profile", s.profile] if s.profile and not _has(words, "--profile") else []
    tool = tool.removesuffix(".py")
    if s.accounts and tool in ACCOUNT_TOOLS and not _has(words, "--accounts"):
        words += list(s.accounts)
    words += ["--", *after] if after else []
    return shlex.join(["uv", "run", f"tools/{tool}.py", *words])


def again(confirm: str | None = None, drop_ids: set[str] | None = None, region: str | None = None) -> str | None:
    """The run's own command as the user typed it (it holds the run's scope already), without any --confirm;
    confirm: with --confirm TOKEN; drop_ids: without these --id values (None if no id is left); region: with
    --region REGION instead of the run's ("": without --region)."""
    args, it = [], iter(sys.argv[1:])
    kept_ids = False
    for a in it:
        if a in ("--confirm", "--region") and (a == "--confirm" or region is not None):
            next(it, None)
            continue
        if a.startswith("--confirm=") or (region is not None and a.startswith("--region=")):
            continue
        if drop_ids is not None and (a == "--id" or a.startswith("--id=")):
            raw = a[5:] if a.startswith("--id=") else next(it, "")
            left = [v for v in (x.strip() for x in raw.split(",")) if v and v not in drop_ids]
            if left:
                args += ["--id", ",".join(left)]
                kept_ids = True
            continue
        args.append(a)
    if drop_ids is not None and not kept_ids:
        return None
    args += ["--region", region] if region else []
    args += ["--confirm", confirm] if confirm else []
    return command(Scope(), os.path.basename(sys.argv[0]), *args)


def aws_cli(ctx, service: str, operation: str, *args, region: str | None = None) -> str:
    """An AWS CLI command, for what AwsWiz does not do: every word quoted, with --region (given; IAM and other
    global services need none), the run's --profile and its endpoint (AWS_ENDPOINT_URL, when set). In the
    sandbox it names the sandbox's endpoint and dummy keys instead (as --sandbox does), so it changes the
    sandbox, never a real account."""
    s = Scope.of(ctx)
    words = ["aws", service, operation, *(str(a) for a in args)]
    words += ["--region", region] if region else []
    url = os.environ.get("AWS_ENDPOINT_URL")  # the sandbox's for a --sandbox run (cli._activate_sandbox)
    words += ["--endpoint-url", url] if url else []
    if not s.sandbox:
        return shlex.join(words + (["--profile", s.profile] if s.profile else []))
    keys = ["AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing"]  # not secrets: the sandbox's own
    return shlex.join(["env", *keys, *words])
