#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Secrets in AWS Secrets Manager, for boxes that fetch them with their instance role (launch.py --secret
NAME=ENV_VAR): put a value (from standard input or --file, never a flag; never echoed, logged or audited), list
names and dates (never values), delete (plan first, then --confirm TOKEN). One region: --region, default the home
region. Named secret.py, not secrets.py: a tool file named like a standard-library module shadows it."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.compute import secret_store
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
ACTIONS = ["put", "list", "delete"]
# Secrets Manager API Reference, DeleteSecret RecoveryWindowInDays: "from 7 to 30 days"; the secret can be restored
# (RestoreSecret) until then
RECOVERY_DAYS = 7


def render(console, data) -> None:
    from _awswiz.shell.output import table

    console.print(table("Secrets", ["name", "created", "changed", "managed", "deleting"],
                        [[s["name"], s.get("created"), s.get("changed"), s.get("managed"), s.get("deleted_at") or ""]
                         for s in data["secrets"]]))


def listing(sm) -> list[dict]:
    """ListSecrets (metadata only: ListSecrets never returns values), every page."""
    from _awswiz.aws.client import paginate

    out = []
    for s in paginate(sm, "list_secrets", "SecretList", IncludePlannedDeletion=True):
        tags = {t["Key"]: t["Value"] for t in s.get("Tags", [])}
        out.append({k: v for k, v in {
            "name": s["Name"], "arn": s["ARN"], "created": guard.iso(s["CreatedDate"].timestamp())
            if s.get("CreatedDate") else None,
            "changed": guard.iso(s["LastChangedDate"].timestamp()) if s.get("LastChangedDate") else None,
            "managed": tags.get("awswiz:managed") == "true",
            "deleted_at": guard.iso(s["DeletedDate"].timestamp()) if s.get("DeletedDate") else None}.items()
            if v is not None})
    return sorted(out, key=lambda s: s["name"])


@cli.command(app, "secret")
def main(
    ctx: cli.Ctx,
    action: Annotated[str, typer.Argument(metavar="put|list|delete", help="What to do.")],
    name: Annotated[str | None, typer.Option("--name", help="Secret name (put, delete), e.g. hf/token.")] = None,
    file: Annotated[str | None, typer.Option("--file", metavar="PATH", help="put: read the value from this file "
                                              "(default: standard input).")] = None,
    confirm: Annotated[str | None, typer.Option("--confirm", metavar="TOKEN",
                                                help="Apply the plan printed by the run without --confirm.")] = None,
) -> Result:
    """list: names and dates; put --name (value on stdin or --file); delete --name. Changes are guarded."""
    from _awswiz.shell import hints

    if action not in ACTIONS:
        raise BadInput(f"the action must be one of: {', '.join(ACTIONS)} (got {action!r})", "e.g. secret.py list")
    if action != "list":
        secret_store.check_name(name)
    if file and action != "put":
        raise BadInput("--file applies to put only", "e.g. secret.py put --name hf/token --file token.txt")
    value = secret_store.read_value(file, hints.command(ctx, "secret", "put", "--name", name)) \
        if action == "put" else None
    regions, _ = ctx.regions(default=ctx.aws.home_region)
    if len(regions) != 1:
        raise BadInput(f"secret.py works in one region (got {', '.join(regions)})", "e.g. --region us-east-1")
    region = regions[0]
    sm = ctx.aws.client("secretsmanager", region)
    if action == "list":
        return Result(data={"region": region, "secrets": listing(sm)}, render=render)
    listed = hints.command(ctx, "secret", "list", region=region)

    def build() -> guard.Plan:
        found = secret_store.describe(sm, name)
        if action == "delete" and found is None:
            raise BadInput(f"no secret named {name!r} in {region}", listed)
        if action == "delete" and found.get("DeletedDate"):
            # a delete already asked (a confirm killed after DeleteSecret, or a second delete): nothing to do, and
            # never a second DeleteSecret (AWS refuses one on a secret marked deleted: InvalidRequestException) nor
            # a forced one; the recovery window the first call set stands
            return guard.Plan(actions=[], scope={"names": [name], "action": action}, skipped=[{
                "id": name, "region": region, "type": "secretsmanager:secret", "name": name,
                "reason": "already scheduled for deletion (DeletedDate "
                          f"{guard.iso(found['DeletedDate'].timestamp())}); restorable until then with "
                          + hints.aws_cli(ctx, "secretsmanager", "restore-secret", "--secret-id", name,
                                          region=region)}])
        if found and found.get("DeletedDate"):
            raise BadInput(f"secret {name!r} in {region} is scheduled for deletion; AWS refuses a new value until "
                           "it is restored or gone", hints.aws_cli(ctx, "secretsmanager", "restore-secret",
                                                                   "--secret-id", name, region=region))
        tags = {t["Key"]: t["Value"] for t in (found or {}).get("Tags", [])}
        op = "delete" if action == "delete" else ("put-value" if found else "create")
        detail = {"value": "from " + ("--file" if file else "standard input") + " (never shown)"} if value else \
            {"recovery_window_days": RECOVERY_DAYS, "note": f"restorable for {RECOVERY_DAYS} days (RestoreSecret)"}
        if op == "put-value":
            detail["note"] = "a new version of an existing secret; boxes read it at their next boot"
        return guard.Plan(actions=[guard.Action(op=op, type="secretsmanager:secret", id=name, region=region,
                                                name=name, tags=tags, detail=detail,
                                                state={"arn": (found or {}).get("ARN")})],
                          scope={"names": [name], "action": action})

    def do(a: guard.Action) -> dict:
        if a.op == "delete":
            out = sm.delete_secret(SecretId=name, RecoveryWindowInDays=RECOVERY_DAYS)
            return {"deletion_date": guard.iso(out["DeletionDate"].timestamp()) if out.get("DeletionDate") else None}
        if a.op == "put-value":
            out = sm.put_secret_value(SecretId=name, SecretString=value)
        else:
            out = sm.create_secret(Name=name, SecretString=value, Tags=[
                {"Key": "awswiz:managed", "Value": "true"}, {"Key": "awswiz:owner", "Value": "secret"},
                {"Key": "awswiz:created-at", "Value": guard.iso(time.time())}])
        return {"arn": out["ARN"], "version": out.get("VersionId")}

    return guard.run(ctx, build, do, confirm=confirm, max_count=1, verify=[listed])


if __name__ == "__main__":
    cli.main(app, "secret")
