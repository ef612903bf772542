"""Changes across several accounts (issue 22): one plan, one token, each action naming its account.

    build, do = accounts.across(ctx, build_in, do_in, ids, find, "instance")
    return guard.run(ctx, build, do, ...)

build_in(ctx_of_one_account, ids) builds that account's plan as the tool always did; do_in(ctx_of_one_account,
action) makes one change there. In a run of one account, across() just binds them to ctx. In a run of several
(--accounts), `--id`s are first looked up in each account (find(ctx, region, ids): the ids a region holds), each
account plans only its own, and the plans are merged: every action and skipped entry names its account, the scope
names the accounts, and the guard's rules, --max and the token count all of them together. An id found in no account
is bad input naming the accounts searched; one found in two is bad input too (never act on two resources for one
id). An account that could not be entered is an error of the plan (exit 3), never a silent gap.
"""

from __future__ import annotations

from collections.abc import Callable

from _awswiz.guard import regional
from _awswiz.guard.actions import Plan
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput


def across(ctx, build_in: Callable, do_in: Callable, ids: list[str] | None = None,
           find: Callable | None = None, what: str = "resource"):
    if not getattr(ctx, "multi", False):
        def do_one(action):
            return do_in(ctx, action)

        do_one.ctx_of = lambda _account: ctx
        return (lambda: build_in(ctx, ids)), do_one
    subs: dict[str, object] = {}

    def build() -> Plan:
        members, entry_errors = ctx.members()
        plan = Plan(actions=[], scope={"accounts": [m.account for m in members]}, errors=list(entry_errors))
        where: dict[str, list[str]] = {}
        for m in members:
            sub = subs[m.account] = ctx.sub(m)
            mine = ids
            if ids:
                found, _ = regional.fan_out(sub, regional.searched(sub), lambda r, sub=sub: set(find(sub, r, ids)),
                                            f"looking up {what} ids", strict=False)
                mine = [i for i in ids if any(i in f for f in found.values())]
                for i in mine:
                    where.setdefault(i, []).append(m.account)
                if not mine:
                    continue
            part = build_in(sub, mine)
            for a in part.actions:
                a.account = m.account
            plan.actions += part.actions
            plan.skipped += [dict(s, account=m.account) for s in part.skipped]
            plan.errors += [dict(e, account=m.account) for e in part.errors]
            plan.scope.setdefault("per_account", {})[m.account] = part.scope
        twice = {i: accts for i, accts in where.items() if len(accts) > 1}
        if twice:
            i, accts = next(iter(twice.items()))
            raise BadInput(f"{what} {i} exists in {len(accts)} accounts ({', '.join(accts)}): say which one",
                           f"name it: --accounts {accts[0]} --skip-self")
        missing = [i for i in ids or [] if i not in where]
        if missing:
            raise BadInput(f"{what} {', '.join(missing)} not found in any of the {len(members)} accounts searched "
                           f"({', '.join(m.account for m in members)})", "check the id: "
                           + hints.command(ctx, "scan", "--service", what if ":" in what else "ec2:instance"),
                           data={"searched": [m.account for m in members]})
        return plan

    def do(action):
        return do_in(subs[action.account], action)

    do.ctx_of = subs.get  # the Ctx of an account of the plan, for a step after the apply (stop --wait)
    return build, do


def only_one(ctx, what: str):
    """The Ctx of the one account a selection names, for a change not planned across accounts (terminate --id of a
    global type): several accounts are bad input naming how to pick one."""
    members, errors = ctx.members()
    if len(members) == 1 and not errors:
        return ctx.sub(members[0])
    raise BadInput(f"{what} plan in one account at a time ({len(members)} selected): name it with "
                   "--accounts ID --skip-self", "e.g. --accounts 111122223333 --skip-self")
