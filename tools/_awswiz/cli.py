"""One typer app per tool, the common options declared once, and the runner that turns whatever the
tool returns or raises into the envelope, the rendering and the exit code."""

from __future__ import annotations

import inspect
import os
import sys
import typing
from collections.abc import Callable
from typing import Annotated

import typer

from _awswiz.shell.errors import EXIT_BAD_INPUT, EXIT_FAILED, AwsWizError, BadInput, classify, is_expected
from _awswiz.shell.output import Result, emit_json, emit_pretty, envelope, warn

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

    @property
    def aws(self):
        if self._aws is None:
            from _awswiz.aws.client import Aws

            self._aws = Aws(profile=None if self.sandbox else self.profile)
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


def command(app: typer.Typer, tool: str):
    """Register fn(ctx, **own options) as the tool's command, adding the common options once."""

    def decorate(fn: Callable[..., Result]):
        sig = inspect.signature(fn)
        hints = typing.get_type_hints(fn, include_extras=True)  # real objects, not PEP 563 strings
        own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
               for p in list(sig.parameters.values())[1:]]

        def wrapper(**kwargs):
            common = {k: kwargs.pop(k) for k in COMMON_NAMES}
            run(tool, fn, common, kwargs)

        wrapper.__signature__ = sig.replace(parameters=own + COMMON, return_annotation=inspect.Signature.empty)
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


def run(tool: str, fn: Callable[..., Result], common: dict, kwargs: dict) -> None:
    ctx = Ctx(tool, **common)
    try:
        from _awswiz.shell import deadline, settings

        settings.check_all()  # a bad AWSWIZ_* variable is bad input before anything is sent
        if ctx.sandbox:
            if ctx.profile:  # checked against the machine's profiles before the sandbox replaces them
                from _awswiz.aws.client import check_profile

                check_profile(ctx.profile, sandbox=True)
            _activate_sandbox()
        if ctx.region_spec and ctx.region_spec.strip() not in ("all", "auto"):  # auto: launch picks (launch_plan)
            ctx.regions()  # a bad --region is bad input before anything is sent (botocore's data, no call)
        deadline.start(ctx.timeout or settings.get("AWSWIZ_TIMEOUT"))
        result = fn(ctx, **kwargs)
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
    finish(tool, result, _account_after_calls(ctx, result), ctx.sandbox, ctx.pretty)


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


