"""The fellows file, .state/fellows.toml: who to audit and how to reach their account. Read with tomllib; a
person owns and edits it, so it is changed with tomlkit, which keeps its comments, order and layout (a
rewrite from the parsed data would drop them), through state (0600, no links). A secret in it is never printed.

    [[fellow]]
    name = "ada"
    account = "210987654321"
    role_arn = "arn:aws:iam::210987654321:role/awswiz-auditor"   # or profile = "ada", or the two keys
    monthly_budget = 400.0                                       # optional, USD
    credits = 5000.0                                             # optional, USD granted
"""

from __future__ import annotations

import re
import tomllib

from _awswiz.shell import hints, state
from _awswiz.shell.errors import BadInput

FILE = "fellows.toml"
SECRET_KEYS = {"secret_access_key", "aws_secret_access_key"}
ACCOUNT_RE = re.compile(r"^\d{12}$")
TEMPLATE = """# .state/fellows.toml: one [[fellow]] table per account to audit
[[fellow]]
name = "ada"
account = "210987654321"
role_arn = "arn:aws:iam::210987654321:role/awswiz-auditor"  # made by create_auditor.py --mode role
monthly_budget = 400.0
credits = 5000.0

[[fellow]]
name = "grace"
account = "345678901234"
profile = "grace-auditor"  # or access_key_id = "..." and secret_access_key = "..."
"""


def path():
    return state.state_dir() / FILE


def _line_of(exc: tomllib.TOMLDecodeError) -> str:
    m = re.search(r"line (\d+)", str(exc))
    return m.group(1) if m else "?"


def load(required: bool = True, scope=None) -> list[dict]:
    """The fellows; scope: the run's (hints.Scope or ctx), for the hint when the file is missing."""
    p = path()
    if not p.exists():
        if not required:
            return []
        sandbox = hints.Scope(sandbox=hints.Scope.of(scope).sandbox)  # their account: their --profile, not ours
        raise BadInput(f"{p} does not exist; write one [[fellow]] table per account (template in data.template)",
                       "make an auditor in each fellow's account (with their --profile): "
                       + hints.command(sandbox, "create_auditor", "--name", "NAME"), data={"template": TEMPLATE})
    text = state.read_text(p)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInput(f"{p} is not valid TOML at line {_line_of(exc)}: {exc}",
                       f"fix line {_line_of(exc)} of {p}") from None
    fellows = doc.get("fellow", [])
    if not isinstance(fellows, list):
        raise BadInput(f"{p}: 'fellow' must be an array of tables ([[fellow]])", "see data.template",
                       data={"template": TEMPLATE})
    for i, f in enumerate(fellows, 1):
        problem = check(f)
        if problem:
            raise BadInput(f"{p}: fellow #{i} ({f.get('name', 'unnamed')}): {problem}", "see data.template",
                           data={"template": TEMPLATE})
    return fellows


def check(f: dict) -> str | None:
    if not f.get("name"):
        return "needs a name"
    if not ACCOUNT_RE.match(str(f.get("account", ""))):
        return "account must be a 12-digit AWS account id"
    ways = [bool(f.get("role_arn")), bool(f.get("profile")), bool(f.get("access_key_id"))]
    if sum(ways) != 1:
        return "needs exactly one of role_arn, profile, or access_key_id with secret_access_key"
    if f.get("access_key_id") and not f.get("secret_access_key"):
        return "access_key_id needs secret_access_key"
    for k in ("monthly_budget", "credits"):
        if k in f and (not isinstance(f[k], (int, float)) or f[k] < 0):
            return f"{k} must be a number >= 0"
    return None


def upsert(entry: dict) -> None:
    """Add the fellow as a new [[fellow]] table at the end, or update the one of the same name where it stands (its
    keys set to the entry's, its comments kept); every other line of the file stays as the person wrote it. Written
    atomically, 0600."""
    import tomlkit

    load(required=False)  # a malformed file is bad input, never overwritten
    p = path()
    doc = tomlkit.parse(state.read_text(p) if p.exists() else "")
    if "fellow" not in doc:
        doc.append("fellow", tomlkit.aot())
    tables = doc["fellow"]
    same = next((t for t in tables if t.get("name") == entry["name"]), None)
    if same is None and isinstance(tables, tomlkit.items.AoT):
        table = tomlkit.item(entry)
        table.trivia.indent = "\n" if len(tables) else ""  # a blank line before the new [[fellow]], as between others
        tables.append(table)
    elif same is None:  # fellow = [{...}, ...]: an inline array of tables
        tables.append(entry)
    else:
        for k in [k for k in same if k not in entry]:
            del same[k]
        same.update(entry)
    state.replace_text(p, tomlkit.dumps(doc))


def public(f: dict) -> dict:
    """The entry without its secret (what may be printed)."""
    return {k: ("***" if k in SECRET_KEYS else v) for k, v in f.items()}
