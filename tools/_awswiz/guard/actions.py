"""The guard's vocabulary: an Action (one change, with the resource it changes and what it touches, each with its
own tags), a Plan, and the one protection rule. No AWS, no screen."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from _awswiz.shell.errors import BadInput

DEFAULT_MAX = 10
SHOWN_WHEN_REFUSED = 10  # a refused plan over --max shows counts and this many actions, not thousands
PROD_VALUES = {"prod", "production"}
ENV_KEYS = {"env", "environment", "stage"}
PROTECTED_KEY = "awswiz:protected"
TRUE_VALUES = {"true", "yes", "1"}
SELECTOR_KEYS = ("ids", "tags", "names", "all")


@dataclass
class Action:
    op: str                      # the verb shown to the human: stop, terminate, delete, revoke, ...
    type: str                    # ec2:instance, s3:bucket, vpc:security-group, ...
    id: str
    region: str
    name: str | None = None
    tags: dict = field(default_factory=dict)
    state: Any = None            # the live state the plan relies on (hashed into the token, not shown)
    detail: dict = field(default_factory=dict)  # what the human should know: cost, leftovers, rules
    target: str | None = None    # the resource the user asked about (what --max counts); default: id
    blocked: str | None = None   # why it must not run
    # what else this change reaches, each with ITS OWN tags: the resources containing this one ("VPC vpc-0abc",
    # "instance i-0abc") and those it changes as a side effect ("instance i-0abc the address is associated
    # with", "subnet subnet-0abc the route table serves"). The guard refuses the action when any is protected
    # (the rule lives here, once: a tool lists what it touches, it never judges protection itself).
    touches: dict[str, dict] = field(default_factory=dict)
    account: str | None = None   # a run of several accounts (issue 22): the account the change is made in

    @property
    def target_id(self) -> str:
        return self.target or self.id

    @property
    def key(self) -> tuple[str | None, str]:
        """The target in its account: what --max counts and what fails or is blocked as a whole (an IAM role
        of one name in two accounts is two targets)."""
        return self.account, self.target_id

    def view(self) -> dict:
        """The compact form shown in the plan (agents pay per token)."""
        d = {"action": self.op, "type": self.type, "id": self.id, "region": self.region}
        if self.account:
            d["account"] = self.account
        if self.name:
            d["name"] = self.name
        if self.tags:
            d["tags"] = self.tags
        if self.detail:
            d["detail"] = self.detail
        if self.target and self.target != self.id:
            d["target"] = self.target
        if self.blocked:
            d["blocked"] = self.blocked
        return d


@dataclass
class Plan:
    actions: list[Action]
    skipped: list[dict] = field(default_factory=list)  # {id, region, reason, ...}: seen, not acted on
    scope: dict = field(default_factory=dict)          # what was searched: region, ids, tags, all, ...
    errors: list[dict] = field(default_factory=list)   # things asked for that cannot be done


# --- protection: the one rule ---------------------------------------------------------------------

def _norm(value) -> str:
    return str(value).strip().casefold()


def protection(tags: dict | None) -> str | None:
    """Why a resource with these tags is protected, or None.

    Keys and values are compared stripped and case-folded: awswiz:protected = true/yes/1, or an
    environment tag (env, environment, stage) = prod/production. So "prod ", " Prod", "production\t",
    a key "Env " and AWSWIZ:PROTECTED=Yes all protect.
    """
    for k, v in (tags or {}).items():
        key, value = _norm(k), _norm(v)
        if (key == PROTECTED_KEY and value in TRUE_VALUES) or (key in ENV_KEYS and value in PROD_VALUES):
            return f"protected: tag {k!r}={v!r}" if (k, v) != (key, value) else f"protected: tag {k}={v}"
    return None


def inherited_protection(tags: dict | None, containers: dict[str, dict] | None = None) -> str | None:
    """Protection of a resource or of what contains it: containers maps a label ("VPC vpc-0abc",
    "instance i-0abc") to its tags. A VPC's parts, an instance's volumes and interfaces inherit."""
    if reason := protection(tags):
        return reason
    for label, ctags in (containers or {}).items():
        if reason := protection(ctags):
            return f"{label} is {reason}"
    return None


def check_selector(scope: dict) -> None:
    """An empty selector is bad input, never "everything": a scope that names selectors (ids, tags,
    names, all) must have at least one of them non-empty."""
    present = [k for k in SELECTOR_KEYS if k in scope]
    if present and not any(scope[k] for k in present):
        raise BadInput(f"the selection is empty ({', '.join(f'--{k}' for k in present)} matched nothing after "
                       "parsing): AwsWiz never reads an empty selection as everything",
                       "name what to change, e.g. --id ID or --tag KEY=VALUE")
