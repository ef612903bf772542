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

And an image is seen from other accounts as AWS shows it: "The images available to you include public images,
private images that you own, and private images owned by other Amazon Web Services accounts for which you have
explicit launch permissions" (EC2 API Reference, DescribeImages). moto keeps each account's images apart and shows
an account only its own, so Amazon's public DLAMIs (lab/gpu.py) were invisible to the Organization's members: every
account's DescribeImages, and RunInstances of such an image, now also find the region's images of other accounts
that are public (launch permission group all) or name the caller's account (UserId).
"""

from __future__ import annotations

import datetime as _dt

from ..handlers import PASS, ApiError, handles
from .backend import NS, backend

COOLDOWN = _dt.timedelta(hours=24)


def shared(ec2) -> dict:
    """{id: image} of the images of other accounts in ec2's region that ec2's account may launch: public ones and
    those whose launch permissions name the account. Only the backends already made are read (none is created)."""
    from moto.ec2.models import ec2_backends

    out = {}
    for acct, regions in list(ec2_backends.items()):
        other = dict.get(regions, ec2.region_name) if acct != ec2.account_id else None  # made already, or none
        for ami in list(other.amis.values()) if other is not None else []:
            if ami.is_public or {"UserId": ec2.account_id} in ami.launch_permissions:
                out.setdefault(ami.id, ami)
    return out


def visible(ec2, ami_id: str | None):
    """The image ami_id as ec2's account sees it: its own, or another account's that it may launch; else None."""
    return ec2.amis.get(ami_id) or shared(ec2).get(ami_id) if ami_id else None


class _Seen:
    """What moto's describe_images reads of its backend (amis, deleted_amis, account_id), with the images of
    other accounts that the account may launch beside its own."""

    def __init__(self, ec2, theirs: dict):
        self.amis, self.deleted_amis, self.account_id = {**theirs, **ec2.amis}, ec2.deleted_amis, ec2.account_id


def _teach_moto() -> None:
    from moto.ec2.models.amis import Ami, AmiBackend

    Ami.deregistration_protection = "disabled"  # every AMI answers the field (botocore Image.DeregistrationProtection)
    describe = AmiBackend.describe_images

    def describe_images(self, ami_ids=None, filters=None, exec_users=None, owners=None):
        theirs = shared(self)
        return describe(_Seen(self, theirs) if theirs else self, ami_ids=ami_ids, filters=filters,
                        exec_users=exec_users, owners=owners)

    AmiBackend.describe_images = describe_images


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
