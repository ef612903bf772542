"""Service Quotas for EC2 (moto 5.2 only knows a few VPC defaults): applied values that differ by region,
the AWS defaults, and quota increase requests (one pending, one approved, and whatever tools submit).
The codes, names and defaults are the sandbox's own (quota_fixture.py, from AWS's documentation)."""

from __future__ import annotations

import itertools
import time

from .handlers import PASS, ApiError, handles, seeder
from .quota_fixture import SERVICE, SERVICE_NAME, VCPU_QUOTAS, default, name

P = "ServiceQuotasV20190624."
ACCOUNT = "123456789012"
DAY = 86400
# Applied values (vCPUs) where the lab account has raised a quota; everything else is at the AWS default.
APPLIED = {
    "us-east-1": {"L-1216C47A": 640, "L-34B43A08": 640, "L-DB2E81BA": 64, "L-3819A6DF": 32,
                  "L-417A185B": 192, "L-7212CCBC": 96, "L-C4BD4855": 192},
    "us-west-2": {"L-1216C47A": 256, "L-34B43A08": 256, "L-DB2E81BA": 128, "L-3819A6DF": 64,
                  "L-417A185B": 96},
    "eu-west-1": {"L-1216C47A": 32, "L-DB2E81BA": 8, "L-417A185B": 0},
}
_ids = itertools.count(1)


def _quota(code: str, region: str, value: float, adjustable: bool = True) -> dict:
    return {"ServiceCode": SERVICE, "ServiceName": SERVICE_NAME,
            "QuotaArn": f"arn:aws:servicequotas:{region}:{ACCOUNT}:{SERVICE}/{code}", "QuotaCode": code,
            "QuotaName": name(code), "Value": float(value), "Unit": "None", "Adjustable": adjustable,
            "GlobalQuota": False, "UsageMetric": {"MetricNamespace": "AWS/Usage", "MetricName": "ResourceCount"}}


def _request(region: str, code: str, desired: float, status: str, created: float, case: bool) -> dict:
    n = next(_ids)
    return {"Id": f"{n:02d}a1b2c3d4e5f60718293a4b5c6d7e8f9{n:02d}RqX", "CaseId": f"17{n:08d}" if case else None,
            "ServiceCode": SERVICE, "ServiceName": SERVICE_NAME,
            "QuotaCode": code, "QuotaName": name(code), "DesiredValue": float(desired), "Status": status,
            "Created": created, "LastUpdated": created + (2 * DAY if status == "APPROVED" else 600),
            "Requester": f'{{"accountId":"{ACCOUNT}","callerArn":"arn:aws:iam::{ACCOUNT}:user/alice"}}',
            "QuotaArn": f"arn:aws:servicequotas:{region}:{ACCOUNT}:{SERVICE}/{code}", "GlobalQuota": False,
            "Unit": "None", "QuotaRequestedAtLevel": "ACCOUNT", "_region": region}


@seeder
def _seed(state: dict) -> None:
    now = time.time()
    state["quotas"] = {
        "applied": {r: dict(v) for r, v in APPLIED.items()},
        "requests": [
            _request("us-east-1", "L-417A185B", 384, "PENDING", now - 2 * DAY, case=True),
            _request("us-west-2", "L-DB2E81BA", 128, "APPROVED", now - 30 * DAY, case=True),
        ],
    }


def _ec2(params: dict) -> bool:
    return params.get("ServiceCode") == SERVICE


def _known(params: dict) -> str:
    code = params.get("QuotaCode", "")
    if code not in VCPU_QUOTAS:
        raise ApiError("NoSuchResourceException", f"The request failed because the specified quota {code} "
                       "does not exist.")
    return code


def _public(r: dict) -> dict:
    return {k: v for k, v in r.items() if not k.startswith("_") and v is not None}


@handles(P + "GetServiceQuota")
def get_service_quota(params, region, state):
    if not _ec2(params):
        return PASS
    code = _known(params)
    applied = state["quotas"]["applied"].get(region, {})
    return {"Quota": _quota(code, region, applied.get(code, default(code)))}


@handles(P + "GetAWSDefaultServiceQuota")
def get_default(params, region, state):
    if not _ec2(params):
        return PASS
    code = _known(params)
    return {"Quota": _quota(code, region, default(code))}


@handles(P + "ListServiceQuotas")
def list_quotas(params, region, state):
    if not _ec2(params):
        return PASS
    applied = state["quotas"]["applied"].get(region, {})
    return {"Quotas": [_quota(c, region, v) for c, v in applied.items()]}


@handles(P + "ListAWSDefaultServiceQuotas")
def list_defaults(params, region, state):
    if not _ec2(params):
        return PASS
    return {"Quotas": [_quota(c, region, default(c)) for c in VCPU_QUOTAS]}


@handles(P + "RequestServiceQuotaIncrease")
def request_increase(params, region, state):
    if not _ec2(params):
        return PASS
    code = _known(params)
    desired = float(params.get("DesiredValue", 0))
    current = state["quotas"]["applied"].get(region, {}).get(code, default(code))
    if desired <= current:
        raise ApiError("IllegalArgumentException", f"DesiredValue {desired} must be greater than the current "
                       f"value {current}.")
    if any(r["_region"] == region and r["QuotaCode"] == code and r["Status"] in ("PENDING", "CASE_OPENED")
           for r in state["quotas"]["requests"]):
        raise ApiError("ResourceAlreadyExistsException", "A request for this quota is already pending.")
    r = _request(region, code, desired, "PENDING", time.time(), case=True)
    state["quotas"]["requests"].append(r)
    return {"RequestedQuota": _public(r)}


def _history(params, region, state, code=None):
    status = params.get("Status")
    service = params.get("ServiceCode")
    out = [_public(r) for r in state["quotas"]["requests"]
           if r["_region"] == region and (not service or r["ServiceCode"] == service)
           and (not code or r["QuotaCode"] == code) and (not status or r["Status"] == status)]
    return {"RequestedQuotas": out}


@handles(P + "ListRequestedServiceQuotaChangeHistory")
def list_history(params, region, state):
    if params.get("ServiceCode") not in (None, SERVICE):
        return {"RequestedQuotas": []}
    return _history(params, region, state)


@handles(P + "ListRequestedServiceQuotaChangeHistoryByQuota")
def list_history_by_quota(params, region, state):
    if not _ec2(params):
        return PASS
    return _history(params, region, state, code=params.get("QuotaCode"))


@handles(P + "GetRequestedServiceQuotaChange")
def get_request(params, region, state):
    for r in state["quotas"]["requests"]:
        if r["Id"] == params.get("RequestId"):
            return {"RequestedQuota": _public(r)}
    raise ApiError("NoSuchResourceException", f"No quota request {params.get('RequestId')}.")
