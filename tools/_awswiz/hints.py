"""Pieces of the `next` commands a tool prints: each must work as printed, so it repeats the run's scope."""

from __future__ import annotations


def scope(ctx) -> str:
    """The run's --sandbox and --profile, to append to a next command (which names its own --region)."""
    return (" --sandbox" if ctx.sandbox else "") + (f" --profile {ctx.profile}" if ctx.profile else "")
