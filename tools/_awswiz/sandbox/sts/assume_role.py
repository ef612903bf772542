"""sts:AssumeRole into a member account of the sandbox Organization, refused as AWS refuses it.

moto lets any AssumeRole through: "these Roles do not need to exist. Moto will only extract the account ID from the
role, and create access credentials for that account" (moto docs, Multi-Account support, "Configure an account using
STS"); its credentials then act in that account (the access key picks the account). AWS answers AccessDenied ("User:
... is not authorized to perform: sts:AssumeRole on resource: ROLE") when the role does not exist or its trust
policy does not allow the caller (IAM User Guide, "Troubleshoot IAM roles": "I can't assume a role"), and when the
trust policy has a Condition on sts:ExternalId that the request does not match (IAM User Guide, "Access to AWS
accounts owned by third parties": the external ID). So in the member accounts of the sandbox's Organization
(lab/org.py), a role that does not exist, or an external id its trust policy does not name, is refused here; every
other account keeps moto's leniency (the fellows' auditor roles of costs/ledger.py are not seeded).
"""

from __future__ import annotations

import json

from .. import handlers as H
from ..handlers import PASS, ApiError, handles


def _members() -> set[str]:
    from moto.organizations.models import organizations_backends

    out: set[str] = set()
    for by_partition in list(organizations_backends.values()):
        for backend in list(by_partition.values()):
            out |= {a.id for a in backend.accounts if backend.org is not None and a.id != backend.org.master_account_id}
    return out


def _role(account: str, name: str):
    from moto.iam.models import iam_backends

    iam = iam_backends[account]["global"]
    return next((r for r in iam.roles.values() if r.name == name), None)


def _external_ids(policy: str) -> set[str]:
    """The sts:ExternalId values a trust policy's Allow statements require (empty: none required)."""
    try:
        doc = json.loads(policy)
    except (TypeError, ValueError):
        return set()
    statements = doc.get("Statement", [])
    out: set[str] = set()
    for st in statements if isinstance(statements, list) else [statements]:
        for cond in (st.get("Condition") or {}).values():
            value = cond.get("sts:ExternalId") if isinstance(cond, dict) else None
            out |= set(value if isinstance(value, list) else [value] if value else [])
    return out


@handles("sts:AssumeRole")
def assume_role(params: dict, region: str, state: dict):
    arn = params.get("RoleArn", "")
    parts = arn.split(":")
    if len(parts) < 6 or not parts[5].startswith("role/"):
        return PASS
    account, name = parts[4], parts[5].rsplit("/", 1)[-1]
    if account not in _members():
        return PASS
    role = _role(account, name)
    wanted = _external_ids(role.assume_role_policy_document) if role is not None else set()
    if role is None or (wanted and params.get("ExternalId") not in wanted):
        raise ApiError("AccessDenied", f"User: arn:aws:iam::{H.account()}:user/sandbox is not authorized to perform: "
                                       f"sts:AssumeRole on resource: {arn}", 403)
    return PASS
