"""AMI deregistration protection as AWS answers it; moto 5.2 lacks it (no Enable/DisableImageDeregistrationProtection,
no DescribeImages DeregistrationProtection, DeregisterImage never refused):

- EnableImageDeregistrationProtection (WithCooldown) / DisableImageDeregistrationProtection: "When deregistration
  protection is enabled, the AMI can't be deregistered"; with the 24-hour cooldown, "when you disable deregistration
  protection, you won't immediately be able to deregister the AMI" (EC2 API Reference, both pages);
- DescribeImages reports Image.DeregistrationProtection (botocore ec2 Image shape: a string) as "disabled",
  "enabled", "enabled-with-cooldown" or "disabled after TIME" while the cooldown runs (the values aws-nuke's
  resources/ec2-image.go reads);
- DeregisterImage of a protected AMI is refused. The API reference names no error code for it; the sandbox answers
  OperationNotPermitted, as EC2 does for an instance's termination protection.
"""

from __future__ import annotations

import datetime as _dt

from ..handlers import PASS, ApiError, handles
from .backend import NS, backend

COOLDOWN = _dt.timedelta(hours=24)


def _teach_moto() -> None:
    from moto.ec2.models.amis import Ami

    Ami.deregistration_protection = "disabled"  # every AMI answers the field (botocore Image.DeregistrationProtection)


def _ami(params: dict, region: str, strict: bool = True):
    ami = backend(region).amis.get(params.get("ImageId"))
    if ami is None and strict:
        raise ApiError("InvalidAMIID.NotFound", f"The image id '[{params.get('ImageId')}]' does not exist")
    return ami


def _ok(action: str) -> str:
    return f'<{action}Response xmlns="{NS}"><requestId>awswiz</requestId><return>true</return></{action}Response>'


def protected(ami) -> bool:
    value = getattr(ami, "deregistration_protection", "disabled")
    if value.startswith("disabled after "):
        return _dt.datetime.now(_dt.UTC) < _dt.datetime.fromisoformat(value.removeprefix("disabled after "))
    return value != "disabled"


@handles("ec2:EnableImageDeregistrationProtection")
def enable(params, region, state):
    cooldown = str(params.get("WithCooldown", "")).lower() == "true"
    _ami(params, region).deregistration_protection = "enabled-with-cooldown" if cooldown else "enabled"
    return _ok("EnableImageDeregistrationProtection")


@handles("ec2:DisableImageDeregistrationProtection")
def disable(params, region, state):
    ami = _ami(params, region)
    if ami.deregistration_protection == "enabled-with-cooldown":
        until = (_dt.datetime.now(_dt.UTC) + COOLDOWN).isoformat(timespec="seconds").replace("+00:00", "Z")
        ami.deregistration_protection = f"disabled after {until}"
    elif ami.deregistration_protection == "enabled":
        ami.deregistration_protection = "disabled"
    return _ok("DisableImageDeregistrationProtection")


@handles("ec2:DeregisterImage")
def deregister(params, region, state):
    ami = _ami(params, region, strict=False)  # an unknown or deregistered id: moto answers as AWS does
    if ami is not None and protected(ami):
        raise ApiError("OperationNotPermitted", f"The image '{ami.id}' has deregistration protection "
                       f"({ami.deregistration_protection}); disable it first (DisableImageDeregistrationProtection)")
    return PASS


_teach_moto()
