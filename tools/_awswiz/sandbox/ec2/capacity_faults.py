"""Capacity the sandbox can refuse, so launch.py's failover is testable: a control call names instance types and
AZs (or whole regions) where RunInstances fails as AWS fails when it has no capacity.

Control (JSON protocol, answered here, never by AWS): POST to the sandbox endpoint with
`X-Amz-Target: AwsWizSandbox.SetCapacityFaults` and a body {"faults": [{"type": "g5.xlarge", "region":
"us-east-1", "azs": ["us-east-1a"], "code": "InsufficientInstanceCapacity"}]} (azs empty or missing: every AZ
of the region; code defaults to InsufficientInstanceCapacity). An empty list clears them; so does a reset.
`AwsWizSandbox.GetCapacityFaults` returns them. A fault with "times": N answers N requests, then is spent (one
RequestLimitExceeded, then the retry goes through). A fault with "after_launch": true lets the request launch and
loses its answer (500 InternalError), as when AWS acted but the answer never came back: only the ClientToken
keeps a retry from launching again (run_tokens.py). Other codes: SpotMaxPriceTooLow (per AZ: the spot price there
rose above the MaxPrice), RequestLimitExceeded, InternalError.

AWS: InsufficientInstanceCapacity and InternalError are server errors (500-series), RequestLimitExceeded is
answered 503, Unsupported / VcpuLimitExceeded / SpotMaxPriceTooLow are client errors (400) ("Error codes for the
Amazon EC2 API"; SpotMaxPriceTooLow's message as RunInstances answers it, aws/aws-parallelcluster-node#415).
"""

from __future__ import annotations

from ..handlers import HANDLERS, PASS, ApiError, handles, seeder
from . import marketplace  # noqa: F401 - registered first: the capacity refusal chains in front of it
from .backend import backend

SERVER_ERRORS = {"InsufficientInstanceCapacity", "InsufficientHostCapacity", "InternalError"}
STATUS = {"RequestLimitExceeded": 503, "ServiceUnavailable": 503, "Unavailable": 503}
MESSAGES = {
    "SpotMaxPriceTooLow": "Your Spot request price of {max_price} is lower than the minimum required Spot request "
                          "fulfillment price of {price}.",
    "RequestLimitExceeded": "Request limit exceeded.",
    "InternalError": "An internal error has occurred",
    "InsufficientInstanceCapacity": "We currently do not have sufficient {type} capacity in the Availability Zone "
                                    "you requested ({az}). Our system will be working on provisioning additional "
                                    "capacity.",
    "Unsupported": "Your requested instance type ({type}) is not supported in your requested Availability Zone "
                   "({az}).",
    "VcpuLimitExceeded": "You have requested more vCPU capacity than your current vCPU limit allows for the "
                         "instance bucket that the specified instance type belongs to.",
}


@seeder
def _seed(state: dict) -> None:
    state["capacity_faults"] = []
    state["lost_answers"] = set()  # ClientTokens whose RunInstances answer is lost after the launch (run_tokens.py)


@handles("AwsWizSandbox.SetCapacityFaults")
def set_faults(params, region, state):
    faults = params.get("faults") or []
    if not isinstance(faults, list) or not all(isinstance(f, dict) and f.get("type") for f in faults):
        raise ApiError("ValidationException", "faults must be a list of {type, region?, azs?, code?, times?, "
                       "after_launch?, price?}")
    state["capacity_faults"] = faults
    return {"faults": faults}


@handles("AwsWizSandbox.GetCapacityFaults")
def get_faults(params, region, state):
    return {"faults": state.get("capacity_faults", [])}


def _az_of(params: dict, region: str) -> str | None:
    if params.get("Placement.AvailabilityZone"):
        return params["Placement.AvailabilityZone"]
    subnet = params.get("SubnetId") or params.get("NetworkInterface.1.SubnetId")
    if not subnet:
        return None
    try:
        return backend(region).get_subnet(subnet).availability_zone
    except Exception:  # noqa: BLE001 - an unknown subnet: moto answers with its own error
        return None


def _refuse(params: dict, region: str, state: dict) -> None:
    if params.get("DryRun") in ("true", True):
        return
    itype, az = params.get("InstanceType"), _az_of(params, region)
    for f in list(state.get("capacity_faults", [])):
        if f["type"] != itype or f.get("region", region) != region or (f.get("azs") and az not in f["azs"]):
            continue
        if "times" in f:
            f["times"] -= 1
            if f["times"] <= 0:
                state["capacity_faults"].remove(f)
        code = f.get("code") or "InsufficientInstanceCapacity"
        if f.get("after_launch"):
            state["lost_answers"].add(params.get("ClientToken"))
            return
        raise ApiError(code, MESSAGES.get(code, code).format(
            type=itype, az=az, max_price=params.get("InstanceMarketOptions.SpotOptions.MaxPrice", "(none)"),
            price=f.get("price", "more")), 500 if code in SERVER_ERRORS else STATUS.get(code, 400))


_prev = HANDLERS.get("ec2:RunInstances")


@handles("ec2:RunInstances", chained=True)
def run_instances(params, region, state):
    _refuse(params, region, state)
    return _prev(params, region, state) if _prev else PASS
