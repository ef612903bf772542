"""Removers: how each type of the resource table is deleted, for terminate.py --type T.

One Remover per table type. A remover plans in one region at a time (regional.py merges regions and
finds the region of each id) and performs one action at a time; the guard does the rest (protection,
--max, tokens, audit). A type AwsWiz does not remove has a Remover with `unsupported` saying why, so the
error is as clear as the table (resources.Row.removal says the same).

    Remover(type="ec2:volume", id_pattern=..., id_example="vol-0123456789abcdef0",
            find=lambda ctx, region, ids: {...ids that exist in region},
            plan=lambda ctx, region, ids, opts: guard.Plan(actions=[...]),
            do=lambda ctx, action: {...result...})

Every module of this package is imported by registry() (found by walking the package: adding a type is adding
a module that calls register); two removers of one type are an error. Each type of inventory/types/ has one here
(or one with `unsupported`), in a module named as its type file (ec2_instance.py) or its family's (ebs.py): the
remover stays a floor up from its type, as it needs the guard and the teardown orders. tests/test_types.py pairs them.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass

from _awswiz.shell.errors import BadInput

ALIASES = {"ec2": "ec2:instance", "s3": "s3:bucket"}  # the manual's --type ec2|s3


@dataclass(frozen=True)
class Remover:
    type: str
    id_pattern: re.Pattern | None = None
    id_example: str = ""
    find: Callable | None = None     # (ctx, region, ids) -> set of the ids that region holds
    plan: Callable | None = None     # (ctx, region, ids, opts) -> guard.Plan for those ids (all exist there)
    do: Callable | None = None       # (ctx, action) -> dict | None
    scope: str = "regional"          # "global": ids are not per region (buckets); plan gets region None
    options: tuple[str, ...] = ()    # terminate flags this type accepts (e.g. "snapshot")
    unsupported: str | None = None   # why AwsWiz does not remove this type (and what to do instead)


_REGISTRY: dict[str, Remover] = {}


def register(*removers: Remover) -> None:
    for r in removers:
        if r.type in _REGISTRY and _REGISTRY[r.type] is not r:
            raise RuntimeError(f"two removers for {r.type}: {_REGISTRY[r.type].plan} and {r.plan}")
        _REGISTRY[r.type] = r


def registry() -> dict[str, Remover]:
    """Every remover: each module of this package is imported (once; a module imported directly before
    registers itself and is not imported twice)."""
    for m in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{m.name}")
    return _REGISTRY


def get(type_name: str) -> Remover:
    """The remover for a --type value (a table type or an alias). Unknown types and types AwsWiz does not
    remove are bad input naming the valid values."""
    from _awswiz.inventory.table import BY_TYPE

    name = ALIASES.get(type_name.strip(), type_name.strip())
    removable = sorted(t for t, r in registry().items() if not r.unsupported)
    if name not in BY_TYPE and name not in registry():
        raise BadInput(f"--type must be one of: {', '.join(sorted(ALIASES))}, {', '.join(removable)} "
                       f"(got {type_name!r})", "uv run tools/terminate.py --help")
    rem = registry().get(name)
    if rem is None or rem.unsupported:
        why = rem.unsupported if rem else "no remover is written for it yet"
        raise BadInput(f"{name} cannot be removed with AwsWiz: {why}",
                       f"removable types: {', '.join(removable)}")
    return rem


def check_ids(ctx, rem: Remover, ids: list[str]) -> list[str]:
    from _awswiz.guard.targets import check_ids as check

    if rem.id_pattern is not None:
        check(ctx, ids, rem.id_pattern, f"{rem.type} id", rem.id_example)
    return ids
