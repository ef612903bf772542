"""The audit log: every mutating AWS call a tool sends, appended to .state/audit.jsonl.

Recorded in one place, a botocore event hook on every client Aws.client() makes once the log is
attached (`audit.attach(ctx)`, which the guard does for every tool that changes anything), so no tool
can forget a call. Two lines per call, both appended and fsync'ed:

    {"phase": "sent", "id": ..., "time", "tool", "account", "sandbox": bool, "region", "service",
     "operation", "resources": [...], "params": {... JSON values, secrets redacted ...}, "confirm": token}
    {"phase": "done", "id": ..., "time", "outcome": "ok"|"error", "error": {code, message}|null,
     "duration_ms", "created": [...]}   (a Create/Run/Allocate/Import/Copy/Register/Request call: the ids of
                                          what it made; any other call: "returned", the ids its answer names)

The "sent" line is on disk before the request leaves, so a crash mid-operation still leaves a true
record: a "sent" line with no "done" line means "sent, outcome unknown" (read_calls() reports it so).
Mutating means an operation name with a changing verb (MUTATING_PREFIXES). DryRun calls change
nothing and are not recorded.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import threading
import time
import uuid
from pathlib import Path

from _awswiz.shell import state
from _awswiz.shell.state import state_dir

MUTATING_PREFIXES = (
    "Create", "Delete", "Terminate", "Stop", "Start", "Run", "Modify", "Put", "Attach", "Detach",
    "Associate", "Disassociate", "Revoke", "Authorize", "Release", "Allocate", "Request", "Update",
    "Replace", "Tag", "Untag", "Reboot", "Cancel", "Copy", "Import", "Register", "Deregister", "Enable",
    "Disable", "Reset", "Restore", "Accept", "Reject", "Add", "Remove", "Set", "Upload", "Complete",
    "Abort", "Purchase", "Apply", "Change", "Assign", "Unassign", "Send", "Invoke", "Publish", "Deactivate",
    "Subscribe", "Unsubscribe",  # SNS: an e-mail subscription is a change (alarms.py notify)
)
CREATING = ("Create", "Run", "Allocate", "Import", "Copy", "Register", "Request")
# HttpTokens (IMDSv2 "required"/"optional") is a setting, not a token
SECRET_KEY_RE = re.compile(r"password|secret|(?<!http)token|private|credential|signature|keymaterial|userdata|"
                           r"accesskey|passphrase|authorization|sessionkey|^body$", re.IGNORECASE)
RESOURCE_KEY_RE = re.compile(r"(Id|Ids|Bucket|Arn|GroupName|UserName|RoleName)$")
LIST_LIMIT = 20


def is_mutating(operation: str) -> bool:
    return operation.startswith(MUTATING_PREFIXES)


def redact(value, key: str = ""):
    """A JSON-safe copy of value with secrets (by key name) replaced and long lists shortened."""
    if key and SECRET_KEY_RE.search(key):
        return "<redacted>"
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        out = [redact(v, key) for v in value[:LIST_LIMIT]]
        if len(value) > LIST_LIMIT:
            out.append(f"... {len(value) - LIST_LIMIT} more")
        return out
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (_dt.datetime, _dt.date)):
        return value.isoformat()
    return f"<{type(value).__name__}>"


def resource_ids(params: dict) -> list[str]:
    """The resource ids a call names (top-level *Id, *Ids, Bucket, ... parameters)."""
    ids: list[str] = []
    for k, v in params.items():
        if RESOURCE_KEY_RE.search(k):
            ids.extend(str(x) for x in (v if isinstance(v, list) else [v]) if isinstance(x, (str, int)))
    return ids[:LIST_LIMIT]


def returned_ids(parsed, depth: int = 2, keep=lambda key: True) -> list[str]:
    """Ids a response names (VpcId, SnapshotId, AllocationId, ...), outermost first; keep(key) filters."""
    if depth < 0 or not isinstance(parsed, dict):
        return []
    items = [(k, v) for k, v in parsed.items() if k not in ("ResponseMetadata", "OwnerId", "RequestId")]
    out = [v for k, v in items if isinstance(v, str) and k.endswith("Id") and "-" in v and keep(k)]
    for _, v in items:
        for item in ([v] if isinstance(v, dict) else v[:LIST_LIMIT] if isinstance(v, list) else []):
            out.extend(returned_ids(item, depth - 1, keep))
    return list(dict.fromkeys(out))[:LIST_LIMIT]


def _last_word(name: str) -> str:
    words = re.findall(r"[A-Z][a-z0-9]*", name) or [name]
    w = words[-1]
    return w[:-1] if w.endswith("s") and not w.endswith("ss") else w


def made_ids(operation: str, parsed) -> list[str] | None:
    """The ids a creating call made (None for any other call): those of its own noun, not the ones it only
    refers to (RunInstances makes InstanceId, not the ImageId or SubnetId in its answer; AllocateAddress
    makes an AllocationId; RequestSpotInstances a SpotInstanceRequestId)."""
    verb = next((v for v in CREATING if operation.startswith(v)), None)
    if verb is None:
        return None
    noun = _last_word(operation[len(verb):])

    def own(key: str) -> bool:
        stem = _last_word(key[:-2])
        return (stem == noun or (verb == "Allocate" and key == "AllocationId")
                or (verb == "Request" and stem == "Request"))

    return returned_ids(parsed, keep=own)



def log_path() -> Path:
    return state_dir() / "audit.jsonl"


class AuditLog:
    """Appends audit records; install(client) hooks a botocore client."""

    def __init__(self, tool: str, account_fn=lambda: None, path: Path | None = None, sandbox: bool = False):
        self.tool = tool
        self.sandbox = sandbox
        self.account_fn = account_fn
        self.path = path or log_path()
        self.confirm: str | None = None  # set by the guard while it executes a confirmed plan
        self._lock = threading.Lock()

    def for_account(self, account: str) -> AuditLog:
        """The same log for the clients of another account of the run (issue 22): its lines name that account."""
        other = AuditLog(self.tool, lambda: account, self.path, self.sandbox)
        other._lock = self._lock
        other._parent = self  # its confirm token is the run's, set by the guard on this log
        return other

    def write(self, record: dict) -> None:
        line = json.dumps(record, separators=(",", ":"), default=str, allow_nan=False) + "\n"
        with self._lock:
            state.append_line(self.path, line)

    @staticmethod
    def _now() -> str:
        return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")

    def install(self, client) -> None:
        events = client.meta.events
        events.register("before-parameter-build", self._capture, unique_id="awswiz-audit-params")
        events.register("before-call", self._sent, unique_id="awswiz-audit-sent")
        events.register("after-call", self._done, unique_id="awswiz-audit-done")
        events.register("after-call-error", self._failed, unique_id="awswiz-audit-failed")
        events.register("needs-retry", self._attempt, unique_id="awswiz-audit-attempt")

    # botocore handlers; `context` is the one dict botocore passes to every event of one API call.
    def _capture(self, params, model, context, **_):
        if is_mutating(model.name) and not params.get("DryRun"):
            context["awswiz_audit"] = {"params": params}

    def _sent(self, model, context, **_):
        rec = context.get("awswiz_audit")
        if rec is None:
            return None
        rec.update(id=uuid.uuid4().hex[:16], start=time.monotonic())
        params = rec.pop("params")
        rec["operation"] = model.name
        self.write({"phase": "sent", "id": rec["id"], "time": self._now(), "tool": self.tool,
                    "account": self.account_fn(), "sandbox": self.sandbox, "region": context.get("client_region"),
                    "service": model.service_model.service_name, "operation": model.name,
                    "resources": resource_ids(params), "params": redact(params),
                    "confirm": (getattr(self, "_parent", None) or self).confirm})
        return None  # never answer the call ourselves (before-call is emit_until_response)

    def _finish(self, context, outcome: str, error: dict | None, parsed=None) -> None:
        rec = context.pop("awswiz_audit", None)
        if rec is None or "id" not in rec:
            return
        made = made_ids(rec.get("operation", ""), parsed or {})
        ids = {"created": made} if made is not None else {"returned": returned_ids(parsed or {})}
        self.write({"phase": "done", "id": rec["id"], "time": self._now(), "outcome": outcome, "error": error,
                    "attempts": (context.get("retries") or {}).get("attempt", 1),
                    "duration_ms": round((time.monotonic() - rec["start"]) * 1000, 1), **ids})

    def _attempt(self, attempts, response, caught_exception, request_dict, **_):
        """One line per failed attempt (throttled, 5xx, timeout), so a retried call is never ambiguous:
        the "done" line says how many attempts there were and how the last one ended."""
        rec = (request_dict.get("context") or {}).get("awswiz_audit")
        if rec is None or "id" not in rec:
            return None
        if caught_exception is not None:
            error = {"code": type(caught_exception).__name__, "message": str(caught_exception)}
        elif response is not None and response[0].status_code >= 300:
            err = (response[1] or {}).get("Error", {}) if isinstance(response[1], dict) else {}
            error = {"code": err.get("Code") or str(response[0].status_code), "message": err.get("Message")}
        else:
            return None
        self.write({"phase": "attempt", "id": rec["id"], "time": self._now(), "attempt": attempts,
                    "error": error})
        return None  # never decide the retry ourselves

    def _done(self, http_response, parsed, context, **_):
        if getattr(http_response, "status_code", 200) >= 300:
            err = parsed.get("Error", {}) if isinstance(parsed, dict) else {}
            self._finish(context, "error", {"code": err.get("Code"), "message": err.get("Message")})
        else:
            self._finish(context, "ok", None, parsed)

    def _failed(self, exception, context, **_):
        self._finish(context, "error", {"code": type(exception).__name__, "message": str(exception)})


def attach(ctx) -> AuditLog:
    """Record every mutating call made through ctx.aws from now on (idempotent)."""
    aws = ctx.aws
    if getattr(aws, "audit", None) is None:
        log = AuditLog(ctx.tool, aws.account_id_or_none, sandbox=bool(getattr(ctx, "sandbox", False)))
        state.check_not_link(log.path)  # a log we cannot write safely fails now, before any call
        aws.enable_audit(log)
    return aws.audit


def read_calls(path: Path | None = None) -> list[dict]:
    """One entry per call: the "sent" record merged with its "done" record (outcome "unknown" if none)."""
    path = path or log_path()
    calls: dict[str, dict] = {}
    if not path.exists():
        return []
    for line in state.read_text(path).splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash mid-write
        if rec.get("phase") == "sent":
            calls[rec["id"]] = {**rec, "outcome": "unknown"}
        elif rec.get("phase") == "done" and rec.get("id") in calls:
            done = {k: v for k, v in rec.items() if k not in ("phase", "id", "time")}
            calls[rec["id"]].update(done, finished=rec["time"])
    return list(calls.values())


REMOVING = ("Delete", "Terminate", "Deregister", "Release")


def removed(ids: list[str], account: str | None, path: Path | None = None) -> dict[str, dict]:
    """Of ids, those an earlier run removed: a removing call (DeleteX, TerminateX, DeregisterX, ReleaseX) in
    this account that named the id and that AWS answered ok. {id: {operation, region, time, tool}}, the
    latest call each. What this log does not show (a typo, another machine's run) is not here."""
    wanted = set(ids)
    out: dict[str, dict] = {}
    for call in read_calls(path) if wanted and account else []:
        if call.get("outcome") != "ok" or call.get("account") != account \
                or not str(call.get("operation", "")).startswith(REMOVING):
            continue
        for rid in set(call.get("resources") or []) & wanted:
            out[rid] = {k: call.get(k) for k in ("operation", "region", "time", "tool")}
    return out
