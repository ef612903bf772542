#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Security posture: open security groups, IMDSv1, unencrypted or public EBS, public buckets, IAM MFA and
keys, root use, admin policies, open trusts, CloudTrail and GuardDuty; guarded fixes for the fixable ones."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
FORMATS = ["json", "sarif"]


def _render(console, data: dict) -> None:
    from _awswiz.shell.fit import Col
    from _awswiz.shell.output import plural, table
    from rich.markup import escape

    if "checks" in data:
        console.print(table(f"Checks ({len(data['checks'])}; severity as Prowler's)",
                            ["id", "severity", "title", "fix", "prowler"],
                            [[c["id"], c["severity"], c["title"], "yes" if c["fix"] else "", c["prowler"]]
                             for c in data["checks"]]))
        for c in data["checks"]:
            if c.get("prowler_differs"):
                console.print(f"[yellow]{c['id']}[/] differs from Prowler: {escape(c['prowler_differs'])}")
        return
    counts = ", ".join(f"{n} {s}" for s, n in data["counts"].items() if n)
    console.print(f"[bold]Security findings: {counts or 'none'}[/] ({len(data['checks_run'])} checks, "
                  f"{plural(len(data['regions']), 'region')})")
    # each check's explanation and fix are lines (wrapped, never cut: a file keeps them whole); its resources a table
    for g in data["findings"]:
        console.print(f"\n[bold]{escape(g['severity'])} {escape(g['check'])}[/]: {escape(g['title'])} ({g['count']})"
                      + (f" [dim]Prowler {escape(g['prowler'])}[/]" if g.get("prowler") else ""))
        if g.get("remedy"):
            console.print(f"  remedy: {escape(g['remedy'])}")
        if "regions" in g:
            console.print(f"  regions: {escape(', '.join(g['regions']))}")
            console.print(f"  evidence: {escape(_short(g.get('evidence', g.get('evidence_by_region')), 10**6))}")
            if g.get("fix"):
                console.print(f"  fix: {escape(g['fix'])}", soft_wrap=True)
            continue
        rows = [[r["id"], r.get("region"), r.get("name") if r.get("name") != r["id"] else None,
                 escape(_short(r.get("evidence", {})))] for r in g["resources"]]
        console.print(table("", [Col("resource", 95), Col("region", 80), Col("name", 10), Col("evidence", 20)], rows))
        for r in g["resources"]:
            if r.get("fix"):
                console.print(f"  fix: {escape(r['fix'])}", soft_wrap=True)
    for note in data.get("not_checked", []):
        console.print(f"[yellow]not checked:[/] {escape(note)}")


def _short(ev: dict, most: int = 120) -> str:
    import json

    text = json.dumps(ev, separators=(",", ":"), default=str)
    return text if len(text) <= most else text[:most - 3] + "..."


def _choose(check: str | None, severity: str | None) -> list[str]:
    from _awswiz.security.table import BY_ID, CHECKS, SEVERITIES

    if severity is not None and severity not in SEVERITIES:
        from _awswiz.shell.errors import BadInput

        raise BadInput(f"--severity must be one of: {', '.join(SEVERITIES)} (got {severity!r})",
                       "e.g. --severity high (high and critical)")
    ids = cli.parse_list(check, list(BY_ID), "--check")
    if check is not None and not ids:
        from _awswiz.shell.errors import BadInput

        raise BadInput("--check was given but names no check", "e.g. --check sg-open-ssh (see --list)")
    ids = ids or [c.id for c in CHECKS]
    if severity:
        top = SEVERITIES.index(severity)
        ids = [i for i in ids if SEVERITIES.index(BY_ID[i].severity) <= top]
    return ids


@cli.command(app, "security", accounts="each")
def main(
    ctx: cli.Ctx,
    check: Annotated[str | None, typer.Option(
        "--check", metavar="ID,...", help="Only these checks (ids from --list).")] = None,
    severity: Annotated[str | None, typer.Option(
        "--severity", metavar="LEVEL",
        help="Only checks of this severity or worse: critical, high, medium, low.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="Print the check table (no AWS call): severity as Prowler "
                                        "rates the same check, and where ours differs from it.")] = False,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="json|sarif", help="json (the envelope, default) or sarif (SARIF 2.1.0 for CI).")] = "json",
    fix: Annotated[str | None, typer.Option(
        "--fix", metavar="ID", help="Fix the findings of this check (plan, then --confirm TOKEN): sg-open-ssh, "
        "sg-open-rdp, sg-open-db, sg-open-all, ec2-imdsv1, ebs-default-encryption-off, s3-account-pab-off, "
        "iam-key-old, iam-key-unused.")] = None,
    id_: Annotated[list[str] | None, typer.Option(
        "--id", metavar="ID", help="With --fix: only these resources (repeatable or a,b).")] = None,
    cidr: Annotated[str | None, typer.Option(
        "--cidr", metavar="A.B.C.D/32", help="With --fix sg-open-*: keep the rule for this one address.")] = None,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the --fix run without --confirm.")] = None,
    max_: Annotated[int, typer.Option("--max", min=1, help="With --fix: refuse to change more resources.")] = 10,
) -> Result:
    """Run the security checks across the account (default --region all) concurrently; each finding names its
    check, severity, resource, region, evidence, Prowler id and the command that fixes it."""
    from _awswiz.security.table import CHECKS, FIXABLE, SEVERITIES, public
    from _awswiz.shell.errors import BadInput

    if fmt not in FORMATS:
        raise BadInput(f"--format must be one of: {', '.join(FORMATS)} (got {fmt!r})", "e.g. --format sarif")
    if list_:
        return Result(data={"checks": [{"id": c.id, "title": c.title, "severity": c.severity, "service": c.service,
                                        "scope": c.scope, "calls": list(c.calls), "test": c.test, "fix": c.fix,
                                        "prowler": c.prowler, **({"prowler_differs": c.differs} if c.differs else {}),
                                        "doc": c.doc} for c in CHECKS]}, render=_render)
    if fix is None and (id_ or cidr or confirm):
        raise BadInput("--id, --cidr and --confirm go with --fix ID", f"e.g. --fix sg-open-ssh --id sg-0abc "
                       f"(fixable: {', '.join(FIXABLE)})")
    if fix is not None and (check or severity or fmt != "json"):
        raise BadInput("--fix ID fixes one check; --check, --severity and --format go with a check run",
                       "run the fix alone, then verify with the `next` command it prints")
    scope = hints.Scope.of(ctx)
    if fix is not None:
        return _fix(ctx, fix, id_, cidr, confirm, max_, scope)
    wanted = _choose(check, severity)
    regions, skipped = ctx.regions()
    from _awswiz.security.checks import gather

    with ctx.progress("checking", 0) as bar:
        found, errors, notes = gather(ctx.aws, regions, set(wanted), scope, bar)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    found = sorted((public(f) for f in found),
                   key=lambda f: (rank[f["severity"]], f["check"], f["region"], f["resource"]))
    counts = {s: sum(f["severity"] == s for f in found) for s in SEVERITIES}  # findings: one per resource
    if fmt == "sarif":
        _print_sarif(ctx, found, wanted, errors)
    from _awswiz.security.grouped import fixes, group

    groups = group(found, scope)
    data = {"regions": regions, "skipped_regions": skipped, "checks_run": wanted, "counts": counts,
            "findings": groups, "not_checked": notes}
    nxt = list(dict.fromkeys(fixes(groups)))[:5]
    return Result(data=data, errors=errors, next=nxt, render=_render, records=("findings",))


def _print_sarif(ctx, found, wanted, errors) -> None:
    """--format sarif: stdout carries the SARIF document instead of the envelope; errors go to stderr."""
    import sys

    from _awswiz.security import sarif
    from _awswiz.shell.output import dumps, warn

    sys.stdout.write(dumps(sarif.document(found, ctx.account, wanted)) + "\n")
    sys.stdout.flush()
    for err in errors:
        warn(f"security: {err['code']}: {err['message']}")
    from _awswiz.aws.fanout import STATS

    # the envelope's exit codes: 0 all answered, 3 some regions failed (the rest is in the document), 1 none did
    raise SystemExit(0 if not errors else (3 if STATS["ok"] else 1))


def _fix(ctx, check, ids, cidr, confirm, max_, scope) -> Result:
    from _awswiz import guard
    from _awswiz.guard import targets
    from _awswiz.security import fixes
    from _awswiz.security.table import FIXABLE
    from _awswiz.shell.errors import BadInput

    if check not in FIXABLE:
        raise BadInput(f"--fix must be one of: {', '.join(FIXABLE)} (got {check!r})",
                       "the other checks say what to do in their remedy")
    if cidr is not None and not check.startswith("sg-open-"):
        raise BadInput("--cidr goes with --fix sg-open-ssh, sg-open-rdp, sg-open-db or sg-open-all",
                       "drop --cidr, or fix an sg-open-* check")
    cidr = fixes.parse_cidr(cidr)
    explicit = bool(ids)  # resources named by --id are refused when protected; others are skipped
    ids = targets.split_ids(ctx, ids)
    regions, _ = ctx.regions()
    verify = [hints.command(scope, "security", "--check", check)]
    return guard.run(ctx, lambda: fixes.plan(ctx.aws, check, regions, ids, cidr, scope),
                     lambda a: fixes.do(ctx.aws, a), confirm=confirm, max_count=max_, explicit=explicit,
                     verify=verify)


if __name__ == "__main__":
    cli.main(app, "security")
