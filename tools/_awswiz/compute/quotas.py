"""EC2 vCPU quotas per region: applied values (or the AWS default), usage as AWS counts it (running instances,
unused Capacity Reservations, open spot requests), headroom; and the Service Quotas requests (submit, pending,
history)."""

from __future__ import annotations

import datetime as _dt

from _awswiz.compute.quota_codes import BY_CODE, QUOTAS, SERVICE, console_link, quota_for_type

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


# What counts against EC2 vCPU quotas (AWS, EC2 User Guide):
# - "On-Demand Instance quotas": running instances; "Instances that are in the pending, stopping, stopped, and
#   hibernated states do not count"; "Capacity Reservations count toward your On-Demand Instance quotas, even if
#   they are unused".
# - "Reserve compute capacity with EC2 On-Demand Capacity Reservations" (Quotas): reservations in the assessing,
#   scheduled, pending, active and delayed states count; a running instance that uses a reservation fills it
#   (AvailableInstanceCount drops), so a reservation adds only its unused instances on top of the running ones.
# - "Spot Instance quotas": running Spot Instances plus open Spot Instance requests (a fulfilled request no
#   longer counts: its running instance does).
# - Capacity Blocks for ML have their own quotas ("Amazon EC2 instance type quotas", Capacity Blocks quotas:
#   concurrent Capacity Blocks per account); no AWS page counts them against the Running On-Demand quotas, so
#   their reservations and instances (lifecycle capacity-block) are listed apart, not added.
RESERVATION_STATES = ("assessing", "scheduled", "pending", "active", "delayed")


def _slot(out: dict, code: str) -> dict:
    return out.setdefault(code, {"vcpus": 0, "instances": 0, "reserved": 0, "open_spot": 0})


def listing(ec2, states: tuple[str, ...] = ("running",), at_once: bool = False
            ) -> tuple[list[dict], list[dict], list[str]]:
    """(instances in these states, Capacity Reservations in a counted state, the types of open spot requests): the
    three list calls usage() reads, at_once: sent together (they do not depend on each other)."""
    from concurrent.futures import ThreadPoolExecutor

    def instances() -> list[dict]:
        return [i for page in ec2.get_paginator("describe_instances").paginate(
            Filters=[{"Name": "instance-state-name", "Values": list(states)}])
            for res in page["Reservations"] for i in res["Instances"]]

    def reservations() -> list[dict]:
        return [c for page in ec2.get_paginator("describe_capacity_reservations").paginate(
            Filters=[{"Name": "state", "Values": list(RESERVATION_STATES)}]) for c in page["CapacityReservations"]]

    def open_spot() -> list[str]:
        return [r["LaunchSpecification"]["InstanceType"] for page in
                ec2.get_paginator("describe_spot_instance_requests").paginate(
                    Filters=[{"Name": "state", "Values": ["open"]}])
                for r in page["SpotInstanceRequests"] if r.get("LaunchSpecification", {}).get("InstanceType")]

    if not at_once:
        return instances(), reservations(), open_spot()
    with ThreadPoolExecutor(max_workers=3) as pool:
        parts = [pool.submit(f) for f in (instances, reservations, open_spot)]
        return parts[0].result(), parts[1].result(), parts[2].result()


def usage(ec2, listed: tuple[list[dict], list[dict], list[str]] | None = None, describe=None) -> dict:
    """{"quotas": {code: {vcpus, instances, reserved, open_spot}}, "capacity_blocks": [...]}: what counts against
    each vCPU quota as AWS counts it (see the rules above). listed: listing()'s answer when the caller has it (with
    instances in other states too: only the running ones count); describe(ec2, names) -> {type: spec}: how the
    types' vCPUs are asked (default: one DescribeInstanceTypes; launch passes type_specs.get)."""
    from _awswiz.inventory import instance_types

    insts, reservations, open_spot = listed or listing(ec2)
    running = [(i["InstanceType"], i.get("InstanceLifecycle") or "on-demand") for i in insts
               if not listed or i.get("State", {}).get("Name") == "running"]
    names = [t for t, _ in running] + [c["InstanceType"] for c in reservations] + open_spot
    specs = (describe or instance_types.describe)(ec2, names) if names else {}

    def vcpus(itype: str) -> int:
        return (specs.get(itype) or {}).get("vcpus") or 0

    out: dict = {}
    blocks = []
    for itype, lifecycle in running:
        if lifecycle == "capacity-block":
            continue  # counted by its Capacity Block, below
        q = quota_for_type(itype, "spot" if lifecycle == "spot" else "on-demand")
        if q:
            slot = _slot(out, q.code)
            slot["vcpus"] += vcpus(itype)
            slot["instances"] += 1
    for c in reservations:
        if c.get("ReservationType") == "capacity-block":
            blocks.append({"id": c["CapacityReservationId"], "type": c["InstanceType"], "state": c["State"],
                           "instances": c.get("TotalInstanceCount"), "end": _when(c.get("EndDate"))})
            continue
        q = quota_for_type(c["InstanceType"], "on-demand")
        # a future-dated reservation may show its committed count before its total (CommitmentInfo)
        committed = (c.get("CommitmentInfo") or {}).get("CommittedInstanceCount") or 0
        total = max(c.get("TotalInstanceCount") or 0, committed)
        in_use = (c.get("TotalInstanceCount") or 0) - (c.get("AvailableInstanceCount") or 0)
        if q and total > in_use:
            slot = _slot(out, q.code)
            slot["reserved"] += (total - in_use) * vcpus(c["InstanceType"])
            slot["vcpus"] += (total - in_use) * vcpus(c["InstanceType"])
    for itype in open_spot:
        q = quota_for_type(itype, "spot")
        if q:
            slot = _slot(out, q.code)
            slot["open_spot"] += vcpus(itype)
            slot["vcpus"] += vcpus(itype)
    return {"quotas": out, "capacity_blocks": blocks}


def num(v):
    """1024.0 -> 1024 (Service Quotas answers floats); other values unchanged."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def rows(region: str, applied: dict, defaults: dict | None, used: dict | None, groups: list[str],
         pending: dict | None = None) -> list[dict]:
    """One row per quota of the table: value (applied, else AWS default, else the table's), usage (running,
    unused reservations, open spot requests), headroom, and the increase requests still open for it."""
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
        u = (used or {}).get("quotas", {}).get(q.code, {"vcpus": 0, "instances": 0, "reserved": 0, "open_spot": 0})
        value = num(value)
        row = {"region": region, "family": q.group, "market": q.market, "code": q.code, "value": value,
               "source": source, "used": u["vcpus"] if used is not None else None,
               "instances": u["instances"] if used is not None else None,
               "headroom": value - u["vcpus"] if used is not None and value is not None else None,
               "pending": (pending or {}).get(q.code, [])}
        if used is not None and (u["reserved"] or u["open_spot"]):
            row["reserved"], row["open_spot"] = u["reserved"], u["open_spot"]
        out.append(row)
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


def pending_by_code(sq, region: str, service: str = SERVICE) -> dict[str, list[dict]]:
    """{code: [open requests]} for the service in this region (one paginated call; open = pending or a support
    case opened), each entry compact: id, desired, status, case_id, created."""
    out: dict[str, list[dict]] = {}
    for page in sq.get_paginator("list_requested_service_quota_change_history").paginate(ServiceCode=service):
        for r in page["RequestedQuotas"]:
            if r.get("Status") in OPEN_STATUSES:
                out.setdefault(r["QuotaCode"], []).append(
                    {"id": r.get("Id"), "desired": num(r.get("DesiredValue")), "status": r.get("Status"),
                     "case_id": r.get("CaseId"), "created": _when(r.get("Created"))})
    return out


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
