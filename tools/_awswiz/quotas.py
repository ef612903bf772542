"""EC2 vCPU quotas per region: applied values (or the AWS default), usage of running and pending instances
by family group and market, headroom; and the Service Quotas requests (submit, pending, history)."""

from __future__ import annotations

import datetime as _dt

from . import instance_types
from .quota_codes import BY_CODE, QUOTAS, SERVICE, console_link, group_of

OPEN_STATUSES = ("PENDING", "CASE_OPENED")
ALL_STATUSES = ("PENDING", "CASE_OPENED", "APPROVED", "DENIED", "CASE_CLOSED", "NOT_APPROVED", "INVALID_REQUEST")


def _values(sq, call: str, service: str) -> dict[str, float]:
    pages = sq.get_paginator(call).paginate(ServiceCode=service)
    return {q["QuotaCode"]: q.get("Value") for page in pages for q in page["Quotas"]}


def applied_values(sq, service: str = SERVICE) -> dict[str, float]:
    """{code: applied value} for every quota of the service that has one (one paginated call)."""
    return _values(sq, "list_service_quotas", service)


def default_values(sq, service: str = SERVICE) -> dict[str, float]:
    """{code: AWS default value} for every quota of the service (one paginated call)."""
    return _values(sq, "list_aws_default_service_quotas", service)


def usage(ec2) -> dict[tuple[str, str], dict]:
    """{(group, market): {vcpus, instances}} over running and pending instances (stopped ones do not count)."""
    found: list[tuple[str, str]] = []
    pages = ec2.get_paginator("describe_instances").paginate(
        Filters=[{"Name": "instance-state-name", "Values": ["pending", "running"]}])
    for page in pages:
        for res in page["Reservations"]:
            for i in res["Instances"]:
                market = "spot" if i.get("InstanceLifecycle") == "spot" else "on-demand"
                found.append((i["InstanceType"], market))
    specs = _specs(ec2, [t for t, _ in found]) if found else {}
    out: dict[tuple[str, str], dict] = {}
    for itype, market in found:
        group = group_of(itype)
        if group is None:
            continue
        slot = out.setdefault((group, market), {"vcpus": 0, "instances": 0})
        slot["vcpus"] += (specs.get(itype) or {}).get("vcpus") or 0
        slot["instances"] += 1
    return out


def num(v):
    """1024.0 -> 1024 (Service Quotas answers floats); other values unchanged."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _specs(ec2, names: list[str]) -> dict[str, dict]:
    """Specs of the running types; if the region no longer lists one of them, every type (cached)."""
    from botocore.exceptions import ClientError

    try:
        return instance_types.describe(ec2, names)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "InvalidInstanceType":
            raise
        return instance_types.all_specs(ec2)


def rows(region: str, applied: dict, defaults: dict | None, used: dict | None, groups: list[str]) -> list[dict]:
    """One row per quota of the table: value (applied, else AWS default, else the table's), usage, headroom."""
    out = []
    for q in QUOTAS:
        if groups and q.group not in groups:
            continue
        if q.code in applied:
            value, source = applied[q.code], "applied"
        elif defaults is not None and q.code in defaults:
            value, source = defaults[q.code], "default"
        else:
            value, source = q.default, "table"
        u = (used or {}).get((q.group, q.market), {"vcpus": 0, "instances": 0})
        value = num(value)
        out.append({"region": region, "family": q.group, "market": q.market, "code": q.code, "value": value,
                    "source": source, "used": u["vcpus"] if used is not None else None,
                    "instances": u["instances"] if used is not None else None,
                    "headroom": value - u["vcpus"] if used is not None and value is not None else None})
    return out


def current_value(sq, code: str, service: str = SERVICE) -> tuple[float, str, str | None]:
    """(value, source, quota name) for one quota: applied, else the AWS default. Raises if unknown."""
    from botocore.exceptions import ClientError

    try:
        q = sq.get_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
        return q["Value"], "applied", q.get("QuotaName")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NoSuchResourceException":
            raise
    q = sq.get_aws_default_service_quota(ServiceCode=service, QuotaCode=code)["Quota"]
    return q["Value"], "default", q.get("QuotaName")


def _when(v) -> str | None:
    if isinstance(v, _dt.datetime):
        return v.astimezone(_dt.UTC).isoformat(timespec="seconds")
    return v


def request_entry(r: dict, region: str) -> dict:
    """A Service Quotas RequestedQuota as we print it, with console links."""
    code, service = r.get("QuotaCode"), r.get("ServiceCode")
    entry = {"id": r.get("Id"), "case_id": r.get("CaseId"), "region": region, "service": service, "code": code,
             "name": r.get("QuotaName") or (BY_CODE[code].name if code in BY_CODE else None),
             "desired": num(r.get("DesiredValue")), "status": r.get("Status"), "created": _when(r.get("Created")),
             "updated": _when(r.get("LastUpdated")),
             "console": f"https://{region}.console.aws.amazon.com/servicequotas/home/requests",
             "quota_console": console_link(region, code, service or SERVICE)}
    if r.get("CaseId"):
        entry["case_console"] = f"https://support.console.aws.amazon.com/support/home#/case/?displayId={r['CaseId']}"
    return entry


def history(sq, region: str, service: str | None = None) -> list[dict]:
    """Every quota request of the region (one paginated call), newest first."""
    kw = {"ServiceCode": service} if service else {}
    out = []
    for page in sq.get_paginator("list_requested_service_quota_change_history").paginate(**kw):
        out.extend(request_entry(r, region) for r in page["RequestedQuotas"])
    return sorted(out, key=lambda e: e["created"] or "", reverse=True)


def open_requests(sq, region: str, code: str, service: str = SERVICE) -> list[dict]:
    """Requests for this quota that are still open (pending, or a support case opened)."""
    pages = sq.get_paginator("list_requested_service_quota_change_history_by_quota")
    out = []
    for page in pages.paginate(ServiceCode=service, QuotaCode=code):
        out.extend(request_entry(r, region) for r in page["RequestedQuotas"] if r.get("Status") in OPEN_STATUSES)
    return out


def submit(sq, region: str, code: str, value: float, service: str = SERVICE) -> dict:
    r = sq.request_service_quota_increase(ServiceCode=service, QuotaCode=code, DesiredValue=float(value))
    return request_entry(r["RequestedQuota"], region)
