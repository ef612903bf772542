"""Service Quotas (moto 5.2 only answers two operations, for a few VPC defaults): every operation of botocore's
service-quotas model answers as AWS does, or with the error AWS gives an account like the sandbox's.

- ec2: applied values that differ by region, the AWS defaults, and quota increase requests (one pending, one
  approved, and whatever tools submit). The codes, names and defaults are the sandbox's own (quota_fixture.py,
  from AWS's documentation). vpc: moto's default values, applied as they are.
- Quotas carry the ServiceQuota members AWS gives (botocore ServiceQuota: QuotaArn, Unit, Adjustable,
  GlobalQuota, UsageMetric, QuotaAppliedAtLevel); lists are paged (MaxResults 1..100, NextToken).
- Templates need an AWS Organization; the sandbox's account is in none (NoAvailableOrganizationException).
- Quotas are each account's own (botocore ServiceQuota QuotaAppliedAtLevel ACCOUNT; a request names its account in
  RequestedServiceQuotaChange.Requester): the lab's applied values and requests are the lab's; another account (an
  Organization member, entered with an assumed role) starts at the AWS defaults with no request, and sees only what
  it asks itself.
"""

from __future__ import annotations

import datetime as _dt
import time

from ..answers import page
from ..handlers import LAB, ApiError, account, handles, next_serial, own, seeder
from ..snapshot import today
from .quota_fixture import SERVICE, SERVICE_NAME, VCPU_QUOTAS, default, name

P = "ServiceQuotasV20190624."
DAY = 86400
# Applied values (vCPUs) where the lab account has raised a quota; everything else is at the AWS default.
APPLIED = {
    "us-east-1": {"L-1216C47A": 640, "L-34B43A08": 640, "L-DB2E81BA": 64, "L-3819A6DF": 32,
                  "L-417A185B": 192, "L-7212CCBC": 96, "L-C4BD4855": 192},
    "us-west-2": {"L-1216C47A": 256, "L-34B43A08": 256, "L-DB2E81BA": 128, "L-3819A6DF": 64,
                  "L-417A185B": 96},
    "eu-west-1": {"L-1216C47A": 32, "L-DB2E81BA": 8, "L-417A185B": 0},
}


ERRORS = ("IllegalArgumentException", "InvalidPaginationTokenException")  # botocore: a bad MaxResults, token
VPC_NAME = "Amazon Virtual Private Cloud (Amazon VPC)"


def _quota(code: str, region: str, value: float, adjustable: bool = True) -> dict:
    return {"ServiceCode": SERVICE, "ServiceName": SERVICE_NAME,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{account()}:{SERVICE}/{code}", "QuotaCode": code,
            "QuotaName": name(code), "Value": float(value), "Unit": "None", "Adjustable": adjustable,
            "GlobalQuota": False, "UsageMetric": {"MetricNamespace": "AWS/Usage", "MetricName": "ResourceCount"},
            "QuotaAppliedAtLevel": "ACCOUNT"}


def _vpc_quotas(region: str) -> list[dict]:
    """moto's VPC defaults, with this region and account in their ARNs (moto's name eu-west-1 and no account)."""
    from moto.servicequotas.resources.default_quotas.vpc import VPC_DEFAULT_QUOTAS

    return [{**q, "QuotaArn": f"arn:aws:servicequotas:{region}:{account()}:vpc/{q['QuotaCode']}",
             "QuotaAppliedAtLevel": "ACCOUNT"} for q in VPC_DEFAULT_QUOTAS]


def _quotas(params: dict, region: str, state: dict, applied: bool) -> list[dict]:
    """The quotas of the service named in params: those with an applied value (ListServiceQuotas: "If the applied
    quota value is not available for a quota, the quota is not retrieved"; the sandbox has one where the lab
    raised a quota), or every quota at its AWS default; NoSuchResourceException for a service the sandbox does not
    know, as AWS answers an unknown service code."""
    service = params.get("ServiceCode")
    if service == SERVICE:
        if applied:
            return [_quota(c, region, v) for c, v in _mine(state)["applied"].get(region, {}).items()]
        return [_quota(c, region, default(c)) for c in VCPU_QUOTAS]
    if service == "vpc":
        return _vpc_quotas(region)
    raise ApiError("NoSuchResourceException", f"The request failed because the specified service {service} does "
                   "not exist.")


def _one(params: dict, region: str, state: dict, applied: bool) -> dict:
    """GetServiceQuota (the applied value, else the default: the sandbox's EC2 quotas all have a value) or
    GetAWSDefaultServiceQuota."""
    code = params.get("QuotaCode")
    if applied and params.get("ServiceCode") == SERVICE and code in VCPU_QUOTAS:
        return {"Quota": _quota(code, region, _mine(state)["applied"].get(region, {}).get(code, default(code)))}
    for q in _quotas(params, region, state, applied=False):
        if q["QuotaCode"] == code:
            return {"Quota": q}
    raise ApiError("NoSuchResourceException", f"The request failed because the specified quota {code} does not "
                   "exist.")


def _request(region: str, code: str, desired: float, status: str, created: float, case: bool,
             who: str | None = None) -> dict:
    n, who = next_serial("quota-request", 1), who or account()
    caller = f"arn:aws:iam::{who}:" + ("user/alice" if who == LAB else "root")  # the lab's requests are alice's
    return {"Id": f"{n:02d}a1b2c3d4e5f60718293a4b5c6d7e8f9{n:02d}RqX", "CaseId": f"17{n:08d}" if case else None,
            "ServiceCode": SERVICE, "ServiceName": SERVICE_NAME,
            "QuotaCode": code, "QuotaName": name(code), "DesiredValue": float(desired), "Status": status,
            "Created": created, "LastUpdated": created + (2 * DAY if status == "APPROVED" else 600),
            "Requester": f'{{"accountId":"{who}","callerArn":"{caller}"}}',
            "QuotaArn": f"arn:aws:servicequotas:{region}:{who}:{SERVICE}/{code}", "GlobalQuota": False,
            "Unit": "None", "QuotaRequestedAtLevel": "ACCOUNT", "_region": region}


def _now() -> float:
    """The sandbox's now: today's time of day on the sandbox's today (AWSWIZ_TODAY when set, as the cost ledger's),
    so that no request was made after the day the sandbox and the tools call today."""
    real = time.time()
    shift = _dt.date.fromisoformat(today()) - _dt.datetime.fromtimestamp(real, _dt.UTC).date()
    return real + shift.total_seconds()


@seeder
def _seed(state: dict) -> None:
    now = _now()
    state["quotas"] = {LAB: {  # account -> its quotas: the lab's raised values and requests
        "applied": {r: dict(v) for r, v in APPLIED.items()},
        "requests": [
            _request("us-east-1", "L-417A185B", 384, "PENDING", now - 2 * DAY, case=True, who=LAB),
            _request("us-west-2", "L-DB2E81BA", 128, "APPROVED", now - 30 * DAY, case=True, who=LAB),
        ],
    }}


def _mine(state: dict) -> dict:
    """The request's account's quotas: applied values (none raised: every quota at its AWS default), requests."""
    mine = own(state, "quotas")
    mine.setdefault("applied", {})
    mine.setdefault("requests", [])
    return mine


def _known(params: dict) -> str:
    code = params.get("QuotaCode", "")
    if params.get("ServiceCode") != SERVICE or code not in VCPU_QUOTAS:
        raise ApiError("NoSuchResourceException", f"The request failed because the specified quota {code} "
                       "does not exist.")
    return code


def _public(r: dict) -> dict:
    return {k: v for k, v in r.items() if not k.startswith("_") and v is not None}


@handles(P + "ListServices")
def list_services(params, region, state):
    services = [{"ServiceCode": SERVICE, "ServiceName": SERVICE_NAME}, {"ServiceCode": "vpc", "ServiceName": VPC_NAME}]
    return page(params, services, 100, "Services", ERRORS)


@handles(P + "GetServiceQuota")
def get_service_quota(params, region, state):
    return _one(params, region, state, applied=True)


@handles(P + "GetAWSDefaultServiceQuota")
def get_default(params, region, state):
    return _one(params, region, state, applied=False)


@handles(P + "ListServiceQuotas")
def list_quotas(params, region, state):
    """The quotas' applied values; QuotaCode narrows to one; every quota here is applied at the account level."""
    level = params.get("QuotaAppliedAtLevel", "ACCOUNT")
    if level not in ("ACCOUNT", "RESOURCE", "ALL"):
        raise ApiError("IllegalArgumentException", "QuotaAppliedAtLevel must be ACCOUNT, RESOURCE or ALL.")
    quotas = [q for q in _quotas(params, region, state, applied=True) if level != "RESOURCE"
              and params.get("QuotaCode") in (None, q["QuotaCode"])]
    return page(params, quotas, 100, "Quotas", ERRORS)


@handles(P + "ListAWSDefaultServiceQuotas")
def list_defaults(params, region, state):
    return page(params, _quotas(params, region, state, applied=False), 100, "Quotas", ERRORS)


@handles(P + "RequestServiceQuotaIncrease")
def request_increase(params, region, state):
    code = _known(params)
    desired = float(params.get("DesiredValue", 0))
    current = _mine(state)["applied"].get(region, {}).get(code, default(code))
    if desired <= current:
        raise ApiError("IllegalArgumentException", f"DesiredValue {desired} must be greater than the current "
                       f"value {current}.")
    if any(r["_region"] == region and r["QuotaCode"] == code and r["Status"] in ("PENDING", "CASE_OPENED")
           for r in _mine(state)["requests"]):
        raise ApiError("ResourceAlreadyExistsException", "A request for this quota is already pending.")
    r = _request(region, code, desired, "PENDING", _now(), case=True)
    r["LastUpdated"] = r["Created"]  # just received: nothing changed since (not ten minutes ahead)
    _mine(state)["requests"].append(r)
    return {"RequestedQuota": _public(r)}


def _history(params, region, state, code=None):
    status = params.get("Status")
    service = params.get("ServiceCode")
    out = [_public(r) for r in _mine(state)["requests"]
           if r["_region"] == region and (not service or r["ServiceCode"] == service)
           and (not code or r["QuotaCode"] == code) and (not status or r["Status"] == status)]
    return page(params, out, 100, "RequestedQuotas", ERRORS)


@handles(P + "ListRequestedServiceQuotaChangeHistory")
def list_history(params, region, state):
    if params.get("ServiceCode") not in (None, SERVICE):
        return {"RequestedQuotas": []}
    return _history(params, region, state)


@handles(P + "ListRequestedServiceQuotaChangeHistoryByQuota")
def list_history_by_quota(params, region, state):
    return _history(params, region, state, code=params.get("QuotaCode"))


@handles(P + "GetRequestedServiceQuotaChange")
def get_request(params, region, state):
    for r in _mine(state)["requests"]:
        if r["Id"] == params.get("RequestId"):
            return {"RequestedQuota": _public(r)}
    raise ApiError("NoSuchResourceException", f"No quota request {params.get('RequestId')}.")


@handles(P + "CreateSupportCase")
def create_support_case(params, region, state):
    """Opens a support case for a request that has none (its status becomes CASE_OPENED)."""
    for r in _mine(state)["requests"]:
        if r["Id"] == params.get("RequestId") and r["_region"] == region:
            if r.get("CaseId"):
                raise ApiError("ResourceAlreadyExistsException", f"A support case {r['CaseId']} already exists.")
            r["CaseId"], r["Status"] = f"17{next_serial('quota-request', 1):08d}", "CASE_OPENED"
            return {}
    raise ApiError("NoSuchResourceException", f"No quota request {params.get('RequestId')}.")


# --- templates: only for the management account of an AWS Organization ("Using Service Quotas request templates",
# Service Quotas User Guide); the sandbox's account belongs to none, and AWS answers it this way.
TEMPLATE_OPS = ("AssociateServiceQuotaTemplate", "DisassociateServiceQuotaTemplate",
                "GetAssociationForServiceQuotaTemplate", "PutServiceQuotaIncreaseRequestIntoTemplate",
                "GetServiceQuotaIncreaseRequestFromTemplate", "DeleteServiceQuotaIncreaseRequestFromTemplate",
                "ListServiceQuotaIncreaseRequestsInTemplate")


@handles(*(P + op for op in TEMPLATE_OPS))
def templates(params, region, state):
    raise ApiError("NoAvailableOrganizationException", "The Amazon Web Services account making this call is not a "
                   "member of an organization.")


# --- tags on quotas (applied quotas' ARNs), kept per ARN --------------------------------------------------------

def _tagged(params: dict, region: str, state: dict) -> dict:
    arn = params.get("ResourceARN", "")
    service, _, code = arn.rpartition(":")[2].partition("/")
    try:
        _one({"ServiceCode": service, "QuotaCode": code}, region, state, applied=True)
    except ApiError:
        raise ApiError("NoSuchResourceException", f"The resource {arn} does not exist.") from None
    if not arn.startswith(f"arn:aws:servicequotas:{region}:{account()}:"):
        raise ApiError("NoSuchResourceException", f"The resource {arn} does not exist.")
    return _mine(state).setdefault("tags", {}).setdefault(arn, {})


@handles(P + "ListTagsForResource")
def list_tags(params, region, state):
    return {"Tags": [{"Key": k, "Value": v} for k, v in _tagged(params, region, state).items()]}


@handles(P + "TagResource")
def tag_resource(params, region, state):
    tags = _tagged(params, region, state)
    given = {t["Key"]: t["Value"] for t in params.get("Tags") or []}
    if len({**tags, **given}) > 50:
        raise ApiError("TooManyTagsException", "A resource can have at most 50 tags.")
    tags.update(given)
    return {}


@handles(P + "UntagResource")
def untag_resource(params, region, state):
    tags = _tagged(params, region, state)
    for k in params.get("TagKeys") or []:
        tags.pop(k, None)
    return {}


# --- Automatic Management: its configuration, kept per region ---------------------------------------------------

@handles(P + "StartAutoManagement", P + "UpdateAutoManagement")
def start_auto_management(params, region, state):
    if params.get("OptInType", "NotifyOnly") not in ("NotifyOnly", "NotifyAndAdjust") or \
            params.get("OptInLevel", "ACCOUNT") != "ACCOUNT":
        raise ApiError("IllegalArgumentException", "OptInLevel must be ACCOUNT and OptInType NotifyOnly or "
                       "NotifyAndAdjust.")
    auto = _mine(state).setdefault("auto", {})
    conf = auto.setdefault(region, {"OptInLevel": "ACCOUNT", "OptInType": "NotifyOnly", "OptInStatus": "DISABLED"})
    if "OptInLevel" in params:  # StartAutoManagement; UpdateAutoManagement changes a started one
        conf["OptInStatus"] = "ENABLED"
    elif conf["OptInStatus"] != "ENABLED":
        raise ApiError("NoSuchResourceException", "Automatic Management is not started.")
    conf.update({k: params[k] for k in ("OptInType", "NotificationArn", "ExclusionList") if k in params})
    return {}


@handles(P + "StopAutoManagement")
def stop_auto_management(params, region, state):
    conf = _mine(state).setdefault("auto", {}).get(region)
    if not conf or conf["OptInStatus"] != "ENABLED":
        raise ApiError("NoSuchResourceException", "Automatic Management is not started.")
    conf["OptInStatus"] = "DISABLED"
    return {}


@handles(P + "GetAutoManagementConfiguration")
def get_auto_management(params, region, state):
    conf = _mine(state).setdefault("auto", {}).get(region) or {"OptInStatus": "DISABLED"}
    out = {k: v for k, v in conf.items() if k != "ExclusionList"}
    if conf.get("ExclusionList"):  # the request names quota codes; the answer names them with their names
        out["ExclusionList"] = {s: [{"QuotaCode": c, "QuotaName": name(c) if c in VCPU_QUOTAS else c} for c in codes]
                                for s, codes in conf["ExclusionList"].items()}
    return out


@handles(P + "StartQuotaUtilizationReport", P + "GetQuotaUtilizationReport")
def utilization_report(params, region, state):
    # not emulated (the sandbox keeps no CloudWatch usage of its quotas): AWS's own fault shape, never an HTML page
    raise ApiError("ServiceException", "Quota utilization reports are not emulated by the AwsWiz sandbox.", 500)
