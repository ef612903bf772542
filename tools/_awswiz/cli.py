"""One typer app per tool, the common options declared once, and the runner that turns whatever the
tool returns or raises into the envelope, the rendering and the exit code."""

from __future__ import annotations

import inspect
import os
import sys
import typing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated

import typer

from _awswiz.shell.errors import EXIT_BAD_INPUT, EXIT_FAILED, AwsWizError, BadInput, classify, is_expected
from _awswiz.shell.output import Result, emit_json, emit_pretty, envelope, warn

ACCOUNTS_AT_ONCE = 8  # accounts a read of several runs at once (each with its own pool of AWSWIZ_WORKERS threads)

COMMON = [
    inspect.Parameter("profile", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--profile", metavar="NAME",
                                 help="AWS profile (default: the standard credential chain).")]),
    inspect.Parameter("region", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--region", metavar="REGION|a,b|all", help="REGION, a,b,c or all.")]),
    inspect.Parameter("pretty", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--pretty", help="Rich tables on stdout, progress on stderr (default: JSON).")]),
    inspect.Parameter("sandbox", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--sandbox", help="Use the local AWS sandbox (started on demand).")]),
    inspect.Parameter("timeout", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        float | None, typer.Option("--timeout", metavar="SECONDS", min=1, max=86400,
                                   help="Overall deadline for discovery; what is unfinished then is reported "
                                        "as Timeout errors (default 60, or AWSWIZ_TIMEOUT).")]),
]
COMMON_NAMES = [p.name for p in COMMON]
# the account selection (issue 22), on the tools that read or change several accounts in one run (aws/accounts.py)
ACCOUNTS = [
    inspect.Parameter("accounts", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--accounts", metavar="org|ID,ID",
                                 help="Several accounts: every ACTIVE account of the Organization (org), or these "
                                      "12-digit ids; the caller's own account too unless --skip-self.")]),
    inspect.Parameter("assume_role", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--assume-role", metavar="NAME",
                                 help="With --accounts: the role entered in each (default "
                                      "OrganizationAccountAccessRole).")]),
    inspect.Parameter("external_id", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=Annotated[
        str | None, typer.Option("--external-id", metavar="ID",
                                 help="With --accounts: the external id the role's trust policy asks for.")]),
    inspect.Parameter("skip_self", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=Annotated[
        bool, typer.Option("--skip-self", help="With --accounts: leave the caller's own account out.")]),
]
ACCOUNT_NAMES = [p.name for p in ACCOUNTS]

# the read tools that list resources: what AWS made by itself (inventory/defaults.py) is counted, not listed,
# unless asked for
IncludeDefaults = Annotated[bool, typer.Option(
    "--include-defaults", help="Also list what AWS made by itself (default VPCs, their default subnets, main "
    "route tables, default security groups), marked default: true; otherwise counted in data.defaults.")]


class Ctx:
    """What a tool body receives: the common options and lazy access to AWS."""

    def __init__(self, tool: str, profile: str | None, region: str | None, pretty: bool, sandbox: bool,
                 timeout: float | None = None):
        self.tool = tool
        self.profile = profile
        self.region_spec = region
        self.pretty = pretty
        self.sandbox = sandbox
        self.timeout = timeout
        self._aws = None
        self.selection = None  # aws.accounts.Selection of a run of several accounts (accounts=True tools)
        self._members = None

    @property
    def multi(self) -> bool:
        return self.selection is not None

    def sub(self, member) -> Ctx:
        """A Ctx for one account of a run of several: its Aws, the run's other options."""
        sub = Ctx(self.tool, member.profile or (None if self.selection.profiles else self.profile), self.region_spec,
                  self.pretty, self.sandbox, self.timeout)
        sub._aws = member.aws
        return sub

    def members(self):
        """(members, errors) of a run of several accounts, entered once (aws/accounts.py)."""
        if self._members is None:
            from _awswiz.aws.accounts import enter

            self._members = enter(self.aws, self.selection, self.tool)
        return self._members

    @property
    def aws(self):
        if self._aws is None:
            from _awswiz.aws.client import Aws

            several = self.selection is not None and self.selection.profiles  # each member has its own
            self._aws = Aws(profile=None if self.sandbox or several else self.profile)
        return self._aws

    @property
    def account(self) -> str | None:
        return self._aws.account_id_or_none() if self._aws is not None else None

    def regions(self, default: str = "all") -> tuple[list[str], list[str]]:
        """(regions to use, regions skipped because they are not enabled) for --region."""
        return self.aws.resolve_regions(self.region_spec or default)

    def progress(self, description: str, total: int):
        """A progress bar on stderr with --pretty, a no-op otherwise."""
        from _awswiz.shell.progress import make_progress

        return make_progress(description, total, enabled=self.pretty)


def make_app(help_text: str) -> typer.Typer:
    # rich_markup_mode=None: plain click help, without importing typer.rich_utils (rich.markdown,
    # markdown_it): --help comes back in about half the time.
    return typer.Typer(help=help_text, add_completion=False, pretty_exceptions_show_locals=False,
                       no_args_is_help=False, rich_markup_mode=None)


def command(app: typer.Typer, tool: str, accounts: bool | str = False):
    """Register fn(ctx, **own options) as the tool's command, adding the common options once (and the account
    selection where the tool reads several accounts: accounts=True, the tool fans them out itself; "each": the
    runner runs the tool once per account and merges the results, shell/several.py)."""
    extra = ACCOUNTS if accounts else []

    def decorate(fn: Callable[..., Result]):
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=True)  # real objects, not PEP 563 strings
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
               for p in list(sig.parameters.values())[1:]]

        def wrapper(**kwargs):
            common = {k: kwargs.pop(k) for k in COMMON_NAMES}
            selection = {k: kwargs.pop(k) for k in ACCOUNT_NAMES if k in kwargs}
            run(tool, fn, common, kwargs, selection, each=accounts == "each")

        wrapper.__signature__ = sig.replace(parameters=own + COMMON + extra, return_annotation=inspect.Signature.empty)
        wrapper.__name__ = fn.__name__
        wrapper.__doc__ = fn.__doc__
        app.command(help=fn.__doc__)(wrapper)
        return fn

    return decorate


def _activate_sandbox() -> None:
    from _awswiz.aws.client import import_ahead
    from _awswiz.shell.sandbox_client import ensure_sandbox

    endpoint = ensure_sandbox(while_starting=import_ahead)  # boto3 imported while a sandbox starts, not after
    for k in list(os.environ):
        if k.startswith("AWS_ENDPOINT_URL_") or k in ("AWS_PROFILE", "AWS_SESSION_TOKEN",
                                                          "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
            del os.environ[k]
    os.environ.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    })


def run(tool: str, fn: Callable[..., Result], common: dict, kwargs: dict, selection: dict | None = None,
        each: bool = False) -> None:
    ctx = Ctx(tool, **common)
    try:
        from _awswiz.shell import deadline, settings

        settings.check_all()  # a bad AWSWIZ_* variable is bad input before anything is sent
        if selection:
            from _awswiz.aws.accounts import parse

            ctx.selection = parse(profile=ctx.profile, **selection)
        elif ctx.profile and "," in ctx.profile:
            from _awswiz.shell.hints import ACCOUNT_TOOLS

            raise BadInput(f"{tool}.py reads one account: --profile takes one NAME (got {ctx.profile!r}); the tools "
                           f"that read several: {', '.join(sorted(ACCOUNT_TOOLS))}",
                           f"e.g. --profile {ctx.profile.split(',')[0].strip() or 'NAME'}")
        if ctx.profile and (ctx.sandbox or (ctx.selection and ctx.selection.profiles)):
            # checked against the machine's profiles before the sandbox replaces them (each of a,b)
            from _awswiz.aws.client import check_profile

            for name in (ctx.selection.profiles if ctx.selection and ctx.selection.profiles else [ctx.profile]):
                check_profile(name, sandbox=ctx.sandbox)
        if ctx.sandbox:
            _activate_sandbox()
        if ctx.region_spec and ctx.region_spec.strip() not in ("all", "auto"):  # auto: launch picks (launch_plan)
            ctx.regions()  # a bad --region is bad input before anything is sent (botocore's data, no call)
        deadline.start(ctx.timeout or settings.get("AWSWIZ_TIMEOUT"))
        result = _each_account(ctx, fn, kwargs) if each and ctx.multi else fn(ctx, **kwargs)
        result = _nothing_answered(result)
        result.next = [with_scope(cmd, ctx) for cmd in result.next]
    except AwsWizError as exc:
        result = Result(data=exc.data, errors=[exc.entry()], exit_code=exc.exit_code)
    except KeyboardInterrupt:
        result = Result(errors=[{"code": "Interrupted", "message": "interrupted", "hint": ""}],
                        exit_code=130)
    except Exception as exc:  # noqa: BLE001 - expected AWS failures become envelopes, others too (no locals)
        if not is_expected(exc):
            import traceback

            traceback.print_exc(limit=-3)
        result = Result(errors=[classify(exc)], exit_code=EXIT_FAILED)
    finish(tool, result, _accounts_read(ctx) or _account_after_calls(ctx, result), ctx.sandbox, ctx.pretty)


def _each_account(ctx: Ctx, fn: Callable[..., Result], kwargs: dict) -> Result:
    """A tool of one account run once per account of the selection (several at once: each run fans out its own
    regions), the results merged in the accounts' order (shell/several.py): records and errors name their account,
    commands keep to it."""
    from _awswiz.shell import several
    from _awswiz.shell.hints import Scope

    members, entry_errors = ctx.members()
    if len(members) > 1 and any(kwargs.get(k) for k in ("fix", "confirm")):
        raise BadInput("a change is planned and confirmed in one account at a time: name it with --accounts ID "
                       "--skip-self (or leave --accounts out for your own)", "e.g. --accounts 111122223333 --skip-self")
    own = None if ctx.selection.profiles else ctx.aws.account_id()  # profiles: no caller of their own
    scope = Scope.of(ctx)
    parts, errors, nxt, codes, render = [], list(entry_errors), [], [], None
    def one(m) -> tuple:
        sub = ctx.sub(m)
        try:
            return sub, fn(sub, **kwargs)
        except AwsWizError as exc:
            if exc.exit_code in (EXIT_BAD_INPUT, 4):
                raise
            return sub, Result(errors=[exc.entry()], exit_code=exc.exit_code)

    # several accounts at once (each run fans out its own regions), at most ACCOUNTS_AT_ONCE; --pretty in turn
    # (one progress bar on the terminal at a time)
    at_once = 1 if ctx.pretty else min(ACCOUNTS_AT_ONCE, len(members)) or 1
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        runs = list(pool.map(one, members))
    for m, (sub, r) in zip(members, runs, strict=True):
        there = scope.in_account(m.account, own, ctx.selection, m.profile)
        keep = m.account == own or bool(m.profile)
        r.next = several.rescope([with_scope(c, sub) for c in r.next], there, keep)
        codes.append(r.code())
        render = render or r.render
        if r.data is not None:
            parts.append((m, several.rescope(r.data, there, keep)))
        errors += [dict(e, account=m.account, message=f"account {m.account}: {e['message']}") for e in r.errors]
        nxt += [c for c in r.next if c not in nxt]
    data = several.merge([(m.account, d) for m, d in parts]) if parts else None
    if data is not None:
        from _awswiz.aws.accounts import summary

        data = {"accounts": summary(members, [x for x in data.values() if isinstance(x, list)
                                              for x in x if isinstance(x, dict)]), **data}
    return Result(data=data, errors=errors, next=nxt[:5], exit_code=several.exit_code(codes, entry_errors, bool(parts)),
                  render=several.render_each(render, [(m.account, m.name, d) for m, d in parts]))


def _accounts_read(ctx: Ctx) -> list[str] | str | None:
    """A run of several accounts names those it read: the list when there are several, the one id when one."""
    if ctx._members is None:
        return None
    ids = [m.account for m in ctx._members[0] if m.account]
    return ids if len(ids) > 1 else (ids[0] if ids else None)


def _account_after_calls(ctx: Ctx, result: Result) -> str | None:
    """The envelope's account: what the run's GetCallerIdentity said. A tool that called AWS without asking it
    (each tool asks it alongside its first calls: nothing extra) is still named: asked here, once, at the end."""
    if result.account or ctx.account or ctx._aws is None or not getattr(ctx._aws, "_clients", None):
        return ctx.account
    if result.code() in (EXIT_FAILED, 130):  # failed (no credentials, no endpoint) or interrupted: not asked again
        return None
    try:
        return ctx._aws.account_id()
    except Exception:  # noqa: BLE001 - best effort: the envelope says null rather than fail the run
        return None


def with_scope(cmd: str, ctx: Ctx) -> str:
    """A hint works as printed: an AwsWiz command repeats the run's --sandbox, --profile and --region
    scope (a command that names its own --region keeps it: a finding's region is where the resource is).
    Every `next` goes through here once, so none can forget it: hints.command (the one builder) adds
    what the command does not name yet."""
    from _awswiz.shell import hints

    if not cmd.startswith(hints.PREFIX):
        return cmd
    import shlex

    words = shlex.split(cmd)
    end = words.index("--") if "--" in words else len(words)  # what follows -- is connect's remote command
    return hints.command(ctx, words[2].removeprefix("tools/"), *words[3:end], after=tuple(words[end + 1:]))


def _nothing_answered(result: Result) -> Result:
    """A fan-out in which every call failed (expired credentials everywhere, a dead endpoint) is a
    failure (exit 1), not a partial result (exit 3)."""
    from _awswiz.aws.fanout import STATS

    if result.exit_code is None and result.errors and STATS["failed"] and not STATS["ok"]:
        result.exit_code = EXIT_FAILED
    return result


def finish(tool: str, result: Result, account: str | None = None, sandbox: bool = False,
           pretty: bool = False) -> None:
    """Print the envelope (or its rendering), each error once more on stderr, and exit with its code."""
    env = envelope(tool, account, sandbox, result)
    if pretty:
        emit_pretty(env, result)
    else:
        emit_json(env)
        for err in result.errors:
            hint = f" ({err['hint']})" if err.get("hint") else ""
            warn(f"{tool}: {err['code']}: {err['message']}{hint}")
    from _awswiz.shell.deadline import was_hit

    if was_hit():  # threads still blocked on a dead endpoint would hold the exit: leave without them
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(result.code())
    raise SystemExit(result.code())


def main(app: typer.Typer, tool: str) -> None:
    """Entry point: click usage errors become a BadInput envelope with exit 2."""
    try:  # typer >= 0.29 vendors click as typer._click; older typer uses click itself
        from typer._click import exceptions as click_exc
    except ImportError:  # pragma: no cover
        from click import exceptions as click_exc

    try:
        code = app(standalone_mode=False)
    except click_exc.UsageError as exc:
        from _awswiz.shell.hints import command as hint

        usage = hint(None, tool, "--help")  # --help needs no scope
        result = Result(errors=[BadInput(exc.format_message(), usage).entry()],
                        exit_code=EXIT_BAD_INPUT)
        finish(tool, result, sandbox="--sandbox" in sys.argv, pretty="--pretty" in sys.argv)
    except KeyboardInterrupt:
        raise SystemExit(130) from None
    raise SystemExit(code or 0)


def parse_tags(values: list[str] | None, strict: bool = False) -> dict[str, str]:
    """--tag KEY=VALUE (repeatable) into a dict; malformed input is BadInput. strict (a selection that changes
    things: stop, terminate): the VALUE must be non-empty too, neither may start or end with a space, and a KEY
    given twice must not differ: a tag that is blank or mistyped never selects by accident."""
    tags: dict[str, str] = {}
    for v in values or []:
        key, sep, val = v.partition("=")
        blank = strict and (not val or key != key.strip() or val != val.strip())
        if not sep or not key.strip() or blank:
            form = " and VALUE, without spaces around either" if strict else ""
            raise BadInput(f"--tag must look like KEY=VALUE with a non-empty KEY{form} (got {v!r})",
                           "e.g. --tag project=llm")
        if strict and tags.get(key, val) != val:
            raise BadInput(f"--tag {key} is given twice with different values ({tags[key]!r}, {val!r}): a resource "
                           "carries one value per key", f"keep one: --tag {key}={tags[key]}")
        tags[key] = val
    return tags


def parse_list(value: str | None, valid: list[str], flag: str) -> list[str]:
    """A comma-separated flag value checked against the valid values (named in the error)."""
    if not value:
        return []
    items = [v.strip() for v in value.split(",") if v.strip()]
    bad = [v for v in items if v not in valid]
    if bad:
        raise BadInput(f"{flag} must be one or more of: {', '.join(valid)} (got {', '.join(bad)})",
                       f"e.g. {flag} {valid[0]}")
    return items


