#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Remove what AwsWiz launched once its awswiz:expires-at has passed, and apply awswiz:schedule tags
(plan first, then --confirm TOKEN; or unattended within a --policy file)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


@cli.command(app, "reap", accounts=True)
def main(
    ctx: cli.Ctx,
    schedules: Annotated[bool, typer.Option(
        "--schedules/--no-schedules", help="Also stop/start instances as their awswiz:schedule tag says.")] = True,
    policy: Annotated[str | None, typer.Option(
        "--policy", metavar="FILE", help="Unattended (CI): apply at once, without a token, what this TOML policy "
        "pre-approves (types = [...], regions = [...] or \"all\", max = N, schedules = true|false); only "
        "expired, managed, unprotected resources ever. Audit-logged with the file's sha256.")] = None,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="Refuse to touch more resources than this.")] = 10,
) -> Result:
    """Reap expired resources across every enabled region (--region a,b narrows): those tagged
    awswiz:managed=true whose awswiz:expires-at (ISO 8601 with offset) has passed, each removed as terminate.py
    removes its type. Unmanaged, unexpired, protected and malformed-expiry resources are never touched (the
    last are listed in skipped with the reason). Instances tagged by schedule.py are stopped or started as
    their schedule says now (a spot instance AWS cannot stop, or one a spot interruption stopped: only EC2
    restarts it, is skipped, with why)."""
    from _awswiz.inventory.table import BY_TYPE
    from _awswiz.removal import policy as policies
    from _awswiz.removal import reap as reap_plan

    if policy is not None and confirm is not None:
        raise BadInput("--policy and --confirm do not go together: a policy run applies at once, a confirm "
                       "applies a plan shown before", "drop one of them")
    pol = policies.load(policy, BY_TYPE) if policy is not None else None
    if pol is not None and pol.regions and not ctx.region_spec:
        ctx.region_spec = ",".join(pol.regions)
    from _awswiz.guard import accounts

    reapers: dict[int, reap_plan.Reaper] = {}

    def build_in(c, _ids) -> guard.Plan:  # one account's plan (across accounts: each member's, merged)
        regions, _ = c.regions(default="all")
        reapers[id(c)] = reap_plan.Reaper(c, regions, policy=pol, with_schedules=schedules)
        return reapers[id(c)].build()

    build, do = accounts.across(ctx, build_in, lambda c, a: reapers[id(c)].do(a))
    verify = reap_plan.Reaper(ctx, [], policy=pol, with_schedules=schedules).verify()
    return guard.run(ctx, build, do, confirm=confirm, explicit=False, verify=verify,
                     max_count=min(max_, pol.max) if pol else max_, preapproved=pol)


if __name__ == "__main__":
    cli.main(app, "reap")
