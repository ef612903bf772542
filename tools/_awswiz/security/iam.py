"""IAM evidence and tests: users (console password, MFA, access keys and their last use), the root user
(account summary, credential report), customer managed policies and role trust policies.

Nothing secret is read: access key ids are identifiers (AWS prints them in the console and CloudTrail), the
secret part of a key is never returned by these calls, and of the credential report only the root row's
dates are kept. The credential report is read, never generated (GenerateCredentialReport is left to the
human: security.py without --fix changes nothing).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from urllib.parse import unquote

from _awswiz.aws.client import paginate
from _awswiz.security.table import finding, fix_command
from _awswiz.shell import hints

CHECKS = {"iam-user-no-mfa", "iam-key-old", "iam-key-unused", "iam-root-access-key", "iam-root-recent-use",
          "iam-policy-admin", "iam-inline-policy-admin", "iam-role-open-trust"}
KEY_DAYS = 90
ROOT_DAYS = 30


def _code(exc) -> str:
    return (getattr(exc, "response", None) or {}).get("Error", {}).get("Code", "")


def _login_profile(iam, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
        return True
    except Exception as exc:
        if _code(exc) == "NoSuchEntity":
            return False
        raise


def _credential_report(iam) -> dict | None:
    """The <root_account> row's dates, or None when no report has been generated (ReportNotPresent)."""
    try:
        content = iam.get_credential_report()["Content"]
    except Exception as exc:
        if _code(exc) in ("ReportNotPresent", "ReportExpired", "ReportInProgress"):
            return None  # IAM API Reference: GetCredentialReport (Errors)
        raise
    text = content.decode() if isinstance(content, bytes) else content
    for row in csv.DictReader(io.StringIO(text)):
        if row.get("user") == "<root_account>":
            return {k: row.get(k) for k in ("password_last_used", "access_key_1_last_used_date",
                                            "access_key_2_last_used_date")}
    return {}  # a report without a root row (moto's has none): root use cannot be judged


def submit(fan, aws, regions: list[str], want: set[str]) -> None:
    iam = aws.client("iam")

    def users():
        listed = paginate(iam, "list_users", "Users")
        for u in listed:
            name = u["UserName"]
            if "iam-user-no-mfa" in want:
                fan.submit(("iam", "login", name), lambda n=name: _login_profile(iam, n), None, f"iam user {name}")
                fan.submit(("iam", "mfa", name), lambda n=name: paginate(iam, "list_mfa_devices", "MFADevices",
                                                                         UserName=n), None, f"iam user {name}")
            if want & {"iam-key-old", "iam-key-unused"}:
                fan.submit(("iam", "keys", name), lambda n=name: keys(n), None, f"iam user {name}")
            if "iam-inline-policy-admin" in want:
                fan.submit(("iam", "inline", "user", name), lambda n=name: inline("user", n), None, f"iam user {name}")
        return listed

    def roles():
        listed = paginate(iam, "list_roles", "Roles")
        if "iam-inline-policy-admin" in want:
            for r in listed:
                name = r["RoleName"]
                fan.submit(("iam", "inline", "role", name), lambda n=name: inline("role", n), None, f"iam role {name}")
        return listed

    def inline(kind: str, name: str):
        """The inline policies of a user or role: {policy name: document}."""
        key = "UserName" if kind == "user" else "RoleName"
        names = paginate(iam, f"list_{kind}_policies", "PolicyNames", **{key: name})
        return {p: getattr(iam, f"get_{kind}_policy")(**{key: name, "PolicyName": p})["PolicyDocument"]
                for p in names}

    def keys(user: str):
        found = paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user)
        for k in found:
            if "iam-key-unused" in want:
                kid = k["AccessKeyId"]
                fan.submit(("iam", "last_used", kid), lambda kid=kid: iam.get_access_key_last_used(
                    AccessKeyId=kid).get("AccessKeyLastUsed", {}), None, f"iam key of {user}")
        return found

    def policies():
        listed = paginate(iam, "list_policies", "Policies", Scope="Local")
        for p in listed:
            fan.submit(("iam", "policy", p["Arn"]), lambda p=p: iam.get_policy_version(
                PolicyArn=p["Arn"], VersionId=p["DefaultVersionId"])["PolicyVersion"]["Document"], None,
                f"iam policy {p['PolicyName']}")
        return listed

    tasks = {"users": (users, {"iam-user-no-mfa", "iam-key-old", "iam-key-unused", "iam-inline-policy-admin"}),
             "summary": (lambda: iam.get_account_summary()["SummaryMap"], {"iam-root-access-key"}),
             "report": (lambda: _credential_report(iam), {"iam-root-recent-use"}),
             "policies": (policies, {"iam-policy-admin"}),
             "roles": (roles, {"iam-role-open-trust", "iam-inline-policy-admin"})}
    for kind, (fn, serves) in tasks.items():
        if serves & want:
            fan.submit(("iam", kind), fn, None, f"iam {kind}")


def _doc(d) -> dict:
    if isinstance(d, str):
        return json.loads(unquote(d))
    return d or {}


def _statements(doc: dict) -> list[dict]:
    s = doc.get("Statement", [])
    return s if isinstance(s, list) else [s]


def _listify(v) -> list:
    return v if isinstance(v, list) else [v]


def _admin(doc) -> list[dict]:
    """Allow statements with Action "*" and Resource "*" (IAM User Guide: Security best practices in IAM)."""
    return [s for s in _statements(_doc(doc)) if s.get("Effect") == "Allow" and "*" in _listify(s.get("Action"))
            and "*" in _listify(s.get("Resource"))]


def _days(when, now) -> float | None:
    if not when or when in ("N/A", "no_information"):
        return None
    if isinstance(when, str):
        when = dt.datetime.fromisoformat(when.replace("Z", "+00:00"))
    return (now - when).total_seconds() / 86400


def notes(results: dict, want: set[str], scope) -> list[str]:
    """What could not be judged, said rather than passed over in silence."""
    if "iam-root-recent-use" not in want or ("iam", "report") not in results:
        return []
    report = results[("iam", "report")]
    if report is None:
        return ["iam-root-recent-use: no current credential report (security.py reads it, never generates it): "
                f"generate one with `{hints.aws_cli(scope, 'iam', 'generate-credential-report')}`, then run again"]
    if not report:
        return ["iam-root-recent-use: the credential report has no <root_account> row, so root use was not judged"]
    return []


def evaluate(results: dict, regions: list[str], want: set[str], scope) -> list[dict]:
    now = dt.datetime.now(dt.UTC)
    out = []
    for u in results.get(("iam", "users")) or []:
        name = u["UserName"]
        mfa = results.get(("iam", "mfa", name))
        if results.get(("iam", "login", name)) and mfa is not None and not mfa:
            out.append(finding("iam-user-no-mfa", name, "global", {"console_password": True, "mfa_devices": 0},
                               rtype="iam:user"))
        for k in results.get(("iam", "keys", name)) or []:
            if k.get("Status") != "Active":
                continue
            kid, age = k["AccessKeyId"], _days(k.get("CreateDate"), now)
            ev = {"user": name, "created": k.get("CreateDate"), "age_days": round(age) if age is not None else None}
            if age is not None and age > KEY_DAYS:
                out.append(finding("iam-key-old", kid, "global", ev, rtype="iam:access-key",
                                   fix=fix_command("iam-key-old", kid, "global", scope), user=name))
            last = results.get(("iam", "last_used", kid))
            if last is not None:
                idle = _days(last.get("LastUsedDate"), now)
                idle = age if idle is None else idle
                if idle is not None and idle > KEY_DAYS:
                    out.append(finding("iam-key-unused", kid, "global",
                                       {**ev, "last_used": last.get("LastUsedDate"), "idle_days": round(idle)},
                                       rtype="iam:access-key", fix=fix_command("iam-key-unused", kid, "global", scope),
                                       user=name))
    summary = results.get(("iam", "summary"))
    if summary and summary.get("AccountAccessKeysPresent"):
        out.append(finding("iam-root-access-key", "root", "global",
                           {"account_access_keys_present": summary["AccountAccessKeysPresent"]}, rtype="iam:root"))
    report = results.get(("iam", "report"))
    if report:
        used = {k: v for k, v in report.items() if (d := _days(v, now)) is not None and d <= ROOT_DAYS}
        if used:
            out.append(finding("iam-root-recent-use", "root", "global", used, rtype="iam:root"))
    for p in results.get(("iam", "policies")) or []:
        admin = _admin(results.get(("iam", "policy", p["Arn"])))
        if admin:
            out.append(finding("iam-policy-admin", p["Arn"], "global",
                               {"statements": admin, "attachments": p.get("AttachmentCount", 0)},
                               rtype="iam:policy", name=p.get("PolicyName")))
    for key, docs in results.items():
        if isinstance(key, tuple) and key[:2] == ("iam", "inline"):
            for pname, doc in (docs or {}).items():
                if admin := _admin(doc):
                    out.append(finding("iam-inline-policy-admin", f"{key[2]}/{key[3]}/{pname}", "global",
                                       {key[2]: key[3], "policy": pname, "statements": admin},
                                       rtype="iam:inline-policy", name=pname))
    for r in results.get(("iam", "roles")) or []:
        stmts = []
        for s in _statements(_doc(r.get("AssumeRolePolicyDocument"))):
            p = s.get("Principal")
            anyone = p == "*" or (isinstance(p, dict) and "*" in _listify(p.get("AWS", [])))
            if s.get("Effect") == "Allow" and anyone and not s.get("Condition"):
                stmts.append(s)
        if stmts:
            out.append(finding("iam-role-open-trust", r["RoleName"], "global", {"statements": stmts},
                               rtype="iam:role"))
    return [f for f in out if f["check"] in want]
