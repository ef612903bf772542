"""Tags on IAM virtual MFA devices, which moto lacks: TagMFADevice, UntagMFADevice and ListMFADeviceTags (IAM API
Reference: "Adds one or more tags to an IAM virtual multi-factor authentication (MFA) device"; "Lists the tags that
are attached to the specified IAM virtual MFA device. The returned list of tags is sorted by tag key"). An unknown
serial number is NoSuchEntity; a deleted device's tags go with it. ListVirtualMFADevices does not return tags (IAM
API Reference, ListVirtualMFADevices: "To view tag information for a virtual MFA device, see ListMFADeviceTags"),
as moto's answer already does not."""

from __future__ import annotations

from xml.sax.saxutils import escape

from ..handlers import PASS, ApiError, backend, handles, seeder

NS = "https://iam.amazonaws.com/doc/2010-05-08/"


@seeder
def _fresh(state: dict) -> None:
    state["mfa_tags"] = {}


def _devices() -> dict:
    """The caller's account's virtual MFA devices (a device, its serial an ARN of the account, is the account's)."""
    from moto.iam.models import iam_backends

    return backend(iam_backends).virtual_mfa_devices


def _device(serial: str):
    if serial not in _devices():
        raise ApiError("NoSuchEntity", f"VirtualMFADevice with serial number {serial} doesn't exist.", 404)
    return serial


def _answer(op: str, result: str = "") -> str:
    inner = f"<{op}Result>{result}</{op}Result>" if result else ""
    return (f'<{op}Response xmlns="{NS}">{inner}<ResponseMetadata><RequestId>sandbox</RequestId>'
            f"</ResponseMetadata></{op}Response>")


def _members(params: dict, prefix: str) -> list[dict]:
    out, i = [], 1
    while f"{prefix}.member.{i}.Key" in params or f"{prefix}.member.{i}" in params:
        out.append({"Key": params.get(f"{prefix}.member.{i}.Key", params.get(f"{prefix}.member.{i}")),
                    "Value": params.get(f"{prefix}.member.{i}.Value", "")})
        i += 1
    return out


@handles("iam:TagMFADevice")
def tag_mfa_device(params: dict, region: str, state: dict) -> str:
    tags = state["mfa_tags"].setdefault(_device(params.get("SerialNumber", "")), {})
    tags.update({t["Key"]: t["Value"] for t in _members(params, "Tags")})
    return _answer("TagMFADevice")


@handles("iam:UntagMFADevice")
def untag_mfa_device(params: dict, region: str, state: dict) -> str:
    tags = state["mfa_tags"].setdefault(_device(params.get("SerialNumber", "")), {})
    for t in _members(params, "TagKeys"):
        tags.pop(t["Key"], None)
    return _answer("UntagMFADevice")


@handles("iam:ListMFADeviceTags")
def list_mfa_device_tags(params: dict, region: str, state: dict) -> str:
    tags = state["mfa_tags"].get(_device(params.get("SerialNumber", "")), {})
    members = "".join(f"<member><Key>{escape(k)}</Key><Value>{escape(v)}</Value></member>"
                      for k, v in sorted(tags.items()))
    return _answer("ListMFADeviceTags", f"<Tags>{members}</Tags><IsTruncated>false</IsTruncated>")


@handles("iam:DeleteVirtualMFADevice")
def delete_virtual_mfa_device(params: dict, region: str, state: dict):
    """"You must deactivate a user's virtual MFA device before you can delete it" (IAM API Reference,
    DeleteVirtualMFADevice; DeleteConflict): moto deletes an enabled one too."""
    serial = params.get("SerialNumber", "")
    device = _devices().get(serial)
    if device is not None and device.enable_date:
        raise ApiError("DeleteConflict", f"MFA device {serial} is in use: deactivate it first (DeactivateMFADevice)",
                       409)
    state["mfa_tags"].pop(serial, None)
    return PASS  # moto deletes it (or says it does not exist)
