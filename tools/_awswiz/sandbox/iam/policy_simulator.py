"""SimulatePrincipalPolicy for roles, which moto lacks (moto 5.2 answers 500): IAM's policy simulator, as far as
identity policies decide (IAM API Reference, SimulatePrincipalPolicy: "Simulate how a set of IAM policies attached
to an IAM entity works with a list of API operations and Amazon Web Services resources"; EvalDecision "allowed",
"explicitDeny" or "implicitDeny").

Evaluated as IAM's policy evaluation logic says for one account's identity policies (IAM User Guide, "Policy
evaluation logic"): an explicit Deny wins, else an Allow allows, else implicitDeny. Action and NotAction match with
the wildcards * and ? case-insensitively, Resource and NotResource case-sensitively ("IAM JSON policy elements").
Not modelled here (so never used to prove an Allow): Condition blocks (a statement with one is not applied),
permissions boundaries, SCPs, resource policies. The role's inline policies and its attached managed policies'
default versions are read from moto's store."""

from __future__ import annotations

import fnmatch
import json
import re
import urllib.parse
from xml.sax.saxutils import escape

from ..handlers import ApiError, backend, handles

NS = "https://iam.amazonaws.com/doc/2010-05-08/"


def _role(arn: str):
    from moto.iam.models import iam_backends

    role = next((r for r in backend(iam_backends).roles.values() if r.arn == arn), None)  # the caller's account's
    if role is None:
        raise ApiError("NoSuchEntity", f"Role {arn} not found", 404)
    return role


def _documents(role) -> list[dict]:
    docs = list(role.policies.values())
    for p in role.managed_policies.values():
        docs += [v.document for v in p.versions if v.is_default]
    return [json.loads(urllib.parse.unquote(d) if isinstance(d, str) and d.startswith("%7B") else d)
            if isinstance(d, str) else d for d in docs]


def _listed(value) -> list[str]:
    return value if isinstance(value, list) else [value]


def _match(patterns, value: str, fold: bool) -> bool:
    def one(p: str) -> bool:
        rx = fnmatch.translate(p.lower() if fold else p)  # * and ?, IAM's two wildcards
        return re.match(rx, value.lower() if fold else value) is not None
    return any(one(p) for p in _listed(patterns))


def _applies(stmt: dict, action: str, resource: str) -> bool:
    if "Condition" in stmt:
        return False
    acts = _match(stmt["Action"], action, True) if "Action" in stmt else not _match(stmt.get("NotAction", []),
                                                                                      action, True)
    res = _match(stmt["Resource"], resource, False) if "Resource" in stmt else not _match(
        stmt.get("NotResource", []), resource, False)
    return acts and res


def decide(docs: list[dict], action: str, resource: str) -> str:
    stmts = [s for d in docs for s in _listed(d.get("Statement", []))]
    if any(s.get("Effect") == "Deny" and _applies(s, action, resource) for s in stmts):
        return "explicitDeny"
    if any(s.get("Effect") == "Allow" and _applies(s, action, resource) for s in stmts):
        return "allowed"
    return "implicitDeny"


def _members(params: dict, name: str) -> list[str]:
    out, i = [], 1
    while f"{name}.member.{i}" in params:
        out.append(params[f"{name}.member.{i}"])
        i += 1
    return out


@handles("iam:SimulatePrincipalPolicy")
def simulate_principal_policy(params: dict, region: str, state: dict) -> str:
    docs = _documents(_role(params.get("PolicySourceArn", "")))
    actions, resources = _members(params, "ActionNames"), _members(params, "ResourceArns") or ["*"]
    items = "".join(
        f"<member><EvalActionName>{escape(a)}</EvalActionName><EvalResourceName>{escape(r)}</EvalResourceName>"
        f"<EvalDecision>{decide(docs, a, r)}</EvalDecision></member>" for a in actions for r in resources)
    return (f'<SimulatePrincipalPolicyResponse xmlns="{NS}"><SimulatePrincipalPolicyResult><EvaluationResults>'
            f"{items}</EvaluationResults><IsTruncated>false</IsTruncated></SimulatePrincipalPolicyResult>"
            "<ResponseMetadata><RequestId>sandbox</RequestId></ResponseMetadata></SimulatePrincipalPolicyResponse>")
