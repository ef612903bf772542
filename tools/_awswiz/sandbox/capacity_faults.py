"""Capacity the sandbox can refuse, so launch.py's failover is testable: a control call names instance types and
AZs (or whole regions) where RunInstances fails as AWS fails when it has no capacity.

Control (JSON protocol, answered here, never by AWS): POST to the sandbox endpoint with
`X-Amz-Target: AwsWizSandbox.SetCapacityFaults` and a body {"faults": [{"type": "g5.xlarge", "region":
"us-east-1", "azs": ["us-east-1a"], "code": "InsufficientInstanceCapacity"}]} (azs empty or missing: every AZ
of the region; code defaults to InsufficientInstanceCapacity). An empty list clears them; so does a reset.
`AwsWizSandbox.GetCapacityFaults` returns them.

AWS: InsufficientInstanceCapacity is a server error (500-series) and Unsupported / VcpuLimitExceeded client
errors (400) ("Error codes for the Amazon EC2 API").
"""

from __future__ import annotations

from .handlers import HANDLERS, PASS, ApiError, handles, seeder

SERVER_ERRORS = {"InsufficientInstanceCapacity", "InsufficientHostCapacity"}
MESSAGES = {
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


@handles("AwsWizSandbox.SetCapacityFaults")
def set_faults(params, region, state):
    faults = params.get("faults") or []
    if not isinstance(faults, list) or not all(isinstance(f, dict) and f.get("type") for f in faults):
        raise ApiError("ValidationException", "faults must be a list of {type, region?, azs?, code?}")
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
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    try:
        return ec2_backends[DEFAULT_ACCOUNT_ID][region].get_subnet(subnet).availability_zone
    except Exception:  # noqa: BLE001 - an unknown subnet: moto answers with its own error
        return None


def _refuse(params: dict, region: str, state: dict) -> None:
    if params.get("DryRun") in ("true", True):
        return
    itype, az = params.get("InstanceType"), _az_of(params, region)
    for f in state.get("capacity_faults", []):
        if f["type"] != itype or f.get("region", region) != region or (f.get("azs") and az not in f["azs"]):
            continue
        code = f.get("code") or "InsufficientInstanceCapacity"
        raise ApiError(code, MESSAGES.get(code, code).format(type=itype, az=az),
                       500 if code in SERVER_ERRORS else 400)


_prev = HANDLERS.get("ec2:RunInstances")


@handles("ec2:RunInstances", chained=True)
def run_instances(params, region, state):
    _refuse(params, region, state)
    return _prev(params, region, state) if _prev else PASS
