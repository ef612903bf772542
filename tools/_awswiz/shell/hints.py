"""Pieces of the `next` commands a tool prints: each must work as printed, so it repeats the run's scope."""

from __future__ import annotations


def scope(ctx) -> str:
    """The run's --sandbox and --profile, to append to a next command (which names its own --region)."""
    return (" --sandbox" if ctx.sandbox else "") + (f" --profile {ctx.profile}" if ctx.profile else "")


def command(ctx, tool: str, *args: str, region: str | None = None) -> str:
    """An AwsWiz command that repeats the run's --region (given), --sandbox and --profile."""
    import shlex

    parts = ["uv", "run", f"tools/{tool}.py", *args]
    parts += ["--region", region] if region else []
    parts += ["--sandbox"] if ctx.sandbox else []
    parts += ["--profile", ctx.profile] if ctx.profile else []
    return shlex.join(parts)
