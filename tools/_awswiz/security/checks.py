"""Run the checks of checks.CHECKS across the account on one fan-out: every module submits the calls its
wanted checks need (follow-ups join the same pool), then tests the evidence. (scan imports only
network.py from here, so the modules are imported when a run needs them.)"""

from __future__ import annotations


def gather(aws, regions: list[str], want: set[str], scope,
           progress=None) -> tuple[list[dict], list[dict], list[str]]:
    """(findings with private keys, error entries, notes on what could not be judged) for the wanted check
    ids in the regions; scope: the run's hints.Scope, repeated in every fix command."""
    from _awswiz.aws.fanout import FanOut
    from _awswiz.security import ec2, iam, monitoring, s3

    fan = FanOut(aws.workers, progress)
    fan.submit("account", aws.account_id, aws.home_region, "sts:GetCallerIdentity")
    mods = [m for m in (ec2, s3, iam, monitoring) if m.CHECKS & want]
    for m in mods:
        m.submit(fan, aws, regions, want)
    results, errors = fan.wait()
    results.setdefault("account", None)
    found = [f for m in mods for f in m.evaluate(results, regions, want, scope)]
    notes = [n for m in mods if hasattr(m, "notes") for n in m.notes(results, want, scope)]
    return found, errors, notes
