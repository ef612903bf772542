"""Many accounts in one run (issue 22): the selection, checked once before any call, and each account entered
once per run.

    --accounts org|ID,ID   every ACTIVE account of the Organization (the management account's ListAccounts), or these
    --assume-role NAME     the role entered in each (default OrganizationAccountAccessRole: the role Organizations
                           creates in an account it creates)
    --external-id ID       when the role's trust policy asks for one (sts:ExternalId)
    --profile a,b          several named profiles instead (each its own credentials, e.g. a role_arn profile)
    --skip-self            leave the caller's own account out

An account that cannot be entered (the role is missing, its trust refuses us, the external id is wrong) is that
account's error entry (exit 3 with the rest in data), never a silent gap.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from _awswiz.shell.errors import BadInput, classify

DEFAULT_ROLE = "OrganizationAccountAccessRole"
# Organizations API Reference, Account.Id: "The regex pattern for an account ID string requires exactly 12 digits."
ACCOUNT_ID = re.compile(r"\d{12}")
# IAM API Reference, CreateRole RoleName: pattern [\w+=,.@-]+, 1-64 characters
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
# STS API Reference, AssumeRole ExternalId: pattern [\w+=,.@:/-]*, 2-1224 characters
EXTERNAL_ID = re.compile(r"[\w+=,.@:/-]{2,1224}")
ID_FORM = "org, or 12-digit account ids separated by commas (111122223333,444455556666)"


@dataclass(frozen=True)
class Selection:
    """Which accounts a run reads: the Organization's (org), these ids, or these profiles."""

    org: bool = False
    ids: tuple[str, ...] = ()
    role: str = DEFAULT_ROLE
    external_id: str | None = None
    profiles: tuple[str, ...] = ()
    skip_self: bool = False

    def words(self) -> list[str]:
        """The flags a command repeats to keep this selection (--profile a,b is the scope's own)."""
        if self.profiles:
            return []
        words = ["--accounts", "org" if self.org else ",".join(self.ids)]
        words += ["--assume-role", self.role] if self.role != DEFAULT_ROLE else []
        words += ["--external-id", self.external_id] if self.external_id else []
        return words + (["--skip-self"] if self.skip_self else [])

    def one(self, account: str, own: str | None) -> list[str]:
        """The flags of a command about one account of this run (a finding's next): that account alone."""
        if self.profiles:
            return []
        words = ["--accounts", account]
        words += ["--assume-role", self.role] if self.role != DEFAULT_ROLE and account != own else []
        words += ["--external-id", self.external_id] if self.external_id and account != own else []
        return words + (["--skip-self"] if account != own else [])


def parse(accounts: str | None, assume_role: str | None, external_id: str | None, profile: str | None,
          skip_self: bool) -> Selection | None:
    """The selection of the common options, or None for a run of one account. Malformed input is BadInput naming
    the form; nothing has been sent."""
    profiles = [p.strip() for p in (profile or "").split(",") if p.strip()] if profile and "," in profile else []
    if profile and "," in profile and len(profiles) < 2:
        raise BadInput(f"--profile takes NAME or several names a,b (got {profile!r})", "e.g. --profile lab,fellow")
    if accounts is None and not profiles:
        extra = [f for f, v in (("--assume-role", assume_role), ("--external-id", external_id),
                                ("--skip-self", skip_self)) if v]
        if extra:
            raise BadInput(f"{', '.join(extra)} only work with --accounts {ID_FORM}", "e.g. --accounts org")
        return None
    if accounts is not None and profiles:
        raise BadInput("use either --accounts or several --profile names, not both",
                       "e.g. --accounts org, or --profile lab,fellow")
    if profiles and (assume_role or external_id or skip_self):
        raise BadInput("--assume-role, --external-id and --skip-self go with --accounts, not with --profile a,b "
                       "(each profile brings its own credentials)", "e.g. --profile lab,fellow")
    role = DEFAULT_ROLE if assume_role is None else assume_role.strip()
    if not ROLE_NAME.fullmatch(role):
        raise BadInput(f"--assume-role must be an IAM role name: 1-64 letters, digits or +=,.@_- (got {role!r})",
                       f"e.g. --assume-role {DEFAULT_ROLE}")
    if external_id is not None and not EXTERNAL_ID.fullmatch(external_id):
        raise BadInput(f"--external-id must be 2-1224 letters, digits or +=,.@:/_- (got {len(external_id)} "
                       "characters that are not)", "the external id the role's trust policy names")
    if profiles:
        return Selection(profiles=tuple(dict.fromkeys(profiles)))
    spec = accounts.strip()
    if spec.lower() == "org":
        return Selection(org=True, role=role, external_id=external_id, skip_self=skip_self)
    ids = [a.strip() for a in spec.split(",") if a.strip()]
    bad = [a for a in ids if not ACCOUNT_ID.fullmatch(a)]
    if bad or not ids:
        raise BadInput(f"--accounts must be {ID_FORM} (got {', '.join(map(repr, bad)) or repr(accounts)})",
                       "e.g. --accounts org")
    return Selection(ids=tuple(dict.fromkeys(ids)), role=role, external_id=external_id, skip_self=skip_self)


@dataclass
class Member:
    """One account of the run: its id, its Aws (None when it could not be entered), the profile it came from."""

    account: str | None
    aws: object = None
    profile: str | None = None
    name: str | None = None
    extra: dict = field(default_factory=dict)


def org_accounts(aws) -> list[dict]:
    """Every ACTIVE account of the caller's Organization (ListAccounts, from the management account or a delegated
    administrator). Account.State replaces Account.Status (retired September 9, 2026: Organizations API
    Reference, Account); either says ACTIVE."""
    from _awswiz.aws.client import paginate

    found = paginate(aws.client("organizations"), "list_accounts", "Accounts")
    return [a for a in found if (a.get("State") or a.get("Status")) == "ACTIVE"]


def enter(aws, sel: Selection, tool: str) -> tuple[list[Member], list[dict]]:
    """The members of the run (the caller's account first unless --skip-self) and an error entry per account that
    could not be entered. AssumeRole once per account, all at once on a bounded pool; the credentials refresh
    themselves before they expire (client.Aws.assumed)."""
    if sel.profiles:
        return _profiles(aws, sel.profiles)
    own = aws.account_id()
    names: dict[str, str] = {}
    if sel.org:
        try:
            listed = org_accounts(aws)
        except Exception as exc:  # noqa: BLE001 - the selection cannot be known: the run fails, saying why
            from _awswiz.shell.errors import AwsWizError

            err = classify(exc, None, "organizations:ListAccounts")
            raise AwsWizError(f"--accounts org: {err['message']}", "run it with the management account's "
                              "credentials, or name the accounts: --accounts 111122223333,444455556666",
                              code=err["code"]) from None
        ids = [a["Id"] for a in listed]
        names = {a["Id"]: a.get("Name") for a in listed}
    else:
        ids = list(sel.ids)
    members = [] if sel.skip_self else [Member(own, aws, name=names.get(own))]
    others = [i for i in dict.fromkeys(ids) if i != own]
    errors: list[dict] = []
    partition = aws.partition()

    def one(account: str):
        arn = f"arn:{partition}:iam::{account}:role/{sel.role}"
        return aws.assumed(account, arn, sel.external_id, f"awswiz-{tool}")

    with ThreadPoolExecutor(max_workers=max(1, min(aws.workers, len(others) or 1))) as pool:
        entered = list(pool.map(_attempt(one), others))
    for account, (value, exc) in zip(others, entered, strict=True):
        if exc is None:
            members.append(Member(account, value, name=names.get(account)))
        else:
            e = classify(exc, None, f"sts:AssumeRole {sel.role}")
            errors.append(dict(e, message=f"account {account}: cannot enter it: {e['message']}",
                               hint=f"check that role {sel.role} exists in {account} and trusts account {own}"
                                    + (" with this --external-id" if sel.external_id else "")
                                    + ", or name it with --assume-role NAME", account=account))
    return members, errors


def _attempt(fn):
    def call(arg):
        try:
            return fn(arg), None
        except Exception as exc:  # noqa: BLE001 - that account's error, not the run's
            return None, exc

    return call


def _profiles(aws, profiles: tuple[str, ...]) -> tuple[list[Member], list[dict]]:
    from _awswiz.aws.client import Aws

    def one(profile: str):
        member = Aws(profile=profile, workers=aws.workers)
        member.account_id()
        return member

    members, errors = [], []
    with ThreadPoolExecutor(max_workers=len(profiles)) as pool:
        entered = list(pool.map(_attempt(one), profiles))
    for profile, (value, exc) in zip(profiles, entered, strict=True):
        if exc is None:
            members.append(Member(value.account_id(), value, profile=profile))
        elif isinstance(exc, BadInput):
            raise exc
        else:
            e = classify(exc, None, f"--profile {profile}")
            errors.append(dict(e, profile=profile))
    seen: set[str] = set()  # two profiles of one account: read once
    members = [m for m in members if not (m.account in seen or seen.add(m.account))]
    return members, errors


def regions_of(members: list[Member], spec: str) -> tuple[list[tuple[str, object, list[str]]], list[str], list[dict]]:
    """([(account, aws, its regions)], the regions skipped somewhere, errors) for --region SPEC in each member. With
    `all`, each account's own enabled regions (opt-in regions are enabled per account: one DescribeRegions each, all
    at once); a named list is the same in every account (checked before any call)."""
    if spec.strip() != "all":
        regions, skipped = members[0].aws.resolve_regions(spec) if members else ([], [])
        return [(m.account, m.aws, regions) for m in members], skipped, []
    with ThreadPoolExecutor(max_workers=max(1, min(len(members), 32))) as pool:
        found = list(pool.map(_attempt(lambda m: m.aws.enabled_regions()), members))
    out, skipped, errors = [], set(), []
    for m, (value, exc) in zip(members, found, strict=True):
        if exc is None:
            out.append((m.account, m.aws, value[0]))
            skipped |= set(value[1])
        else:
            e = classify(exc, None, "ec2:DescribeRegions")
            errors.append(dict(e, message=f"account {m.account}: {e['message']}", account=m.account))
    return out, sorted(skipped), errors


def summary(members: list[Member], records: list[dict]) -> list[dict]:
    """data.accounts of a run of several: each account read, its name (from the Organization) and its count."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r.get("account")] = counts.get(r.get("account"), 0) + 1
    return [{"account": m.account, **({"name": m.name} if m.name else {}), **({"profile": m.profile} if m.profile
                                                                              else {}),
             "count": counts.get(m.account, 0)} for m in members]
