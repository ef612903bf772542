#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "tomlkit>=0.13"]
# ///
"""Make a read-only cost auditor in this account (plan first, then --confirm TOKEN): an IAM user with an access
key, or with --mode role a role the lead's account may assume. Its entry goes into .state/fellows.toml (0600)."""

from __future__ import annotations

import json
import re
from typing import Annotated

import typer
from _awswiz import cli, guard
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
POLICY_NAME = "awswiz-cost-read"
# Only the read actions of Cost Explorer and Budgets (Service Authorization Reference: AWS Cost Explorer
# Service, AWS Budget Service); nothing that writes, nothing of any other service.
READ_ACTIONS = ["ce:Get*", "ce:Describe*", "ce:List*", "budgets:View*", "budgets:Describe*"]
# IAM user and role names: botocore's iam model, userNameType / roleNameType: pattern [\w+=,.@-]+, 1-64 characters.
# The pattern is AWS's (Java) regex, where \w is ASCII only; fullmatch, so no trailing newline slips through ($ would).
NAME_RE = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)


def policy() -> dict:
    return {"Version": "2012-10-17", "Statement": [{"Sid": "CostReadOnly", "Effect": "Allow",
                                                    "Action": READ_ACTIONS, "Resource": "*"}]}


def trust(account: str) -> dict:
    """Only the trusted account may assume the role (IAM User Guide: roles, cross-account trust policy)."""
    principal = {"AWS": f"arn:aws:iam::{account}:root"}
    return {"Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]}


def _exists(call, **kw) -> bool:
    try:
        call(**kw)
        return True
    except Exception as exc:  # noqa: BLE001 - NoSuchEntity is the answer we hope for
        if getattr(exc, "response", {}).get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise


def build(iam, name: str, mode: str, trusted: str | None) -> guard.Plan:
    kind = "iam:user" if mode == "user" else "iam:role"
    plan = guard.Plan(actions=[], scope={"ids": [name], "mode": mode, "trusted_account": trusted})
    found = _exists(iam.get_user, UserName=name) if mode == "user" else _exists(iam.get_role, RoleName=name)
    if found:
        from _awswiz.shell.errors import error_entry

        plan.errors.append(error_entry("AlreadyExists", f"{kind} {name} already exists; nothing planned",
                                       "choose another --name, or use the existing auditor"))
        return plan
    detail = {"policy": READ_ACTIONS} | ({"trusted_account": trusted} if trusted else {})
    plan.actions.append(guard.Action(op="create", type=kind, id=name, region="global", detail=detail,
                                     state={"exists": False}))
    plan.actions.append(guard.Action(op="put-policy", type="iam:policy", id=f"{name}/{POLICY_NAME}",
                                     region="global", target=name, state={"policy": policy()}))
    if mode == "user":
        plan.actions.append(guard.Action(op="create-access-key", type="iam:access-key", id=f"{name}/key",
                                         region="global", target=name,
                                         detail={"secret": "written to .state/fellows.toml (0600), never printed"}))
    return plan


@cli.command(app, "create_auditor")
def main(
    ctx: cli.Ctx,
    name: Annotated[str, typer.Option("--name", help="Name of the auditor (IAM user or role), e.g. the fellow's.")],
    mode: Annotated[str, typer.Option("--mode", metavar="user|role",
                                      help="user: IAM user with an access key (default); role: a role the "
                                           "--trusted-account may assume (no long-lived key).")] = "user",
    trusted_account: Annotated[str | None, typer.Option(
        "--trusted-account", metavar="ID", help="With --mode role: the lead's 12-digit account id.")] = None,
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Apply the plan printed by the run without --confirm.")] = None,
) -> Result:
    """Create a cost auditor (ce:Get*/Describe*/List*, budgets:View*/Describe* only). Without --confirm: the plan."""
    from _awswiz.money import fellows
    from _awswiz.shell import hints

    if not NAME_RE.fullmatch(name):
        raise BadInput(f"--name must be 1-64 ASCII letters, digits or +=,.@_- (got {name!r})",
                       "e.g. --name ada-auditor")
    if mode not in ("user", "role"):
        raise BadInput(f"--mode must be one of: user, role (got {mode!r})", "e.g. --mode role --trusted-account ID")
    if mode == "role" and not (trusted_account and re.fullmatch(r"\d{12}", trusted_account)):
        raise BadInput("--mode role needs --trusted-account with the lead's 12-digit account id",
                       "e.g. --mode role --trusted-account 123456789012")
    if mode == "user" and trusted_account:
        raise BadInput("--trusted-account goes with --mode role only", "add --mode role, or drop --trusted-account")
    fellows.load(required=False)  # a malformed fellows.toml is bad input now, not after the key was made
    iam = ctx.aws.client("iam")
    tags = [{"Key": "awswiz:managed", "Value": "true"}, {"Key": "awswiz:owner", "Value": "create_auditor"}]

    def do(action: guard.Action) -> dict | None:
        account = ctx.aws.account_id()
        if action.op == "create" and mode == "user":
            iam.create_user(UserName=name, Tags=tags)
        elif action.op == "create":
            iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust(trusted_account)), Tags=tags,
                            Description="AwsWiz cost auditor: Cost Explorer and Budgets reads only")
        elif action.op == "put-policy" and mode == "user":
            iam.put_user_policy(UserName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy()))
        elif action.op == "put-policy":
            iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(policy()))
        if action.op == "create-access-key":
            key = iam.create_access_key(UserName=name)["AccessKey"]
            entry = {"name": name, "account": account, "access_key_id": key["AccessKeyId"],
                     "secret_access_key": key["SecretAccessKey"]}
            fellows.upsert(entry)
            return {"fellow": fellows.public(entry), "written_to": str(fellows.path())}
        if action.op == "put-policy" and mode == "role":
            entry = {"name": name, "account": account, "role_arn": f"arn:aws:iam::{account}:role/{name}"}
            fellows.upsert(entry)
            return {"fellow": entry, "written_to": str(fellows.path())}
        return None

    verify = [hints.command(ctx, "fellow_costs")]
    return guard.run(ctx, lambda: build(iam, name, mode, trusted_account), do, confirm=confirm, max_count=1,
                     verify=verify)


if __name__ == "__main__":
    cli.main(app, "create_auditor")
