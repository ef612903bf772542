"""What AWS refuses or does on its own when an instance is stopped or terminated, read while planning so the
plan shows it (Action.blocked, an error, or an extra step) instead of failing half-way through apply:

- spot: AWS stops a spot instance only if its request is persistent and not cancelled and the instance is not
  part of a fleet, launch group or Availability Zone group (EC2 User Guide, "Stop a Spot Instance"); the
  interruption behaviour plays no part in a stop the user asks for;
- spot: a spot instance EC2 stopped on an interruption is restarted by EC2 only, never by the user;
- spot: terminating the instance of a persistent request (or of a fleet of type maintain) makes AWS launch
  another one ("Terminate a Spot Instance"), so terminate cancels the request or the fleet first;
- stop protection (disableApiStop), termination protection (disableApiTermination) and instance-store root
  devices (EC2 API Reference, "StopInstances": stopping one returns an error);
- what a termination deletes with the instance (DeleteOnTermination volumes and interfaces) is what it touches
  (deleted_with, for Action.touches): the guard blocks it when one of them is protected.
"""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.shell import hints

FLEET_TAGS = ("aws:ec2spot:fleet-request-id", "aws:ec2:fleet-id")
LIVE_REQUEST = ("open", "active", "disabled")
SPOT_STOP_RULE = ("AWS stops a spot instance only if its request is persistent and not cancelled, and the "
                  "instance is in no fleet, launch group or Availability Zone group")


def fleet_of(inst: dict) -> tuple[str, str] | None:
    """(tag, fleet id) when a Spot Fleet or an EC2 Fleet launched the instance (AWS tags its instances)."""
    tags = tag_map(inst.get("Tags"))
    return next(((k, tags[k]) for k in FLEET_TAGS if tags.get(k)), None)


def spot_requests(ec2, insts: list[dict]) -> dict[str, dict]:
    """{instance id: its spot request} for the spot instances among insts, in one call."""
    ids = [i["InstanceId"] for i in insts if i.get("InstanceLifecycle") == "spot"]
    if not ids:
        return {}
    reqs = paginate(ec2, "describe_spot_instance_requests", "SpotInstanceRequests",
                    Filters=[{"Name": "instance-id", "Values": ids}])
    return {r["InstanceId"]: r for r in reqs if r.get("InstanceId")}


# StateReason.Code of a spot instance EC2 stopped on an interruption (botocore ec2 StateReason.Message); "Only Amazon
# EC2 can restart an interrupted stopped Spot Instance" (EC2 User Guide, "Behavior of Spot Instance interruptions")
SPOT_INTERRUPTED = "Server.SpotInstanceShutdown"
SPOT_START_RULE = ("only Amazon EC2 restarts a spot instance it stopped on an interruption, when capacity is back "
                   "(EC2 User Guide, \"Behavior of Spot Instance interruptions\")")


def spot_interrupted(inst: dict) -> bool:
    """A spot instance EC2 stopped on an interruption (its StateReason code says so)."""
    return inst.get("InstanceLifecycle") == "spot" and (inst.get("StateReason") or {}).get("Code") == SPOT_INTERRUPTED


def spot_stop_refusal(inst: dict, req: dict | None) -> str | None:
    """Why AWS would refuse to stop this spot instance, or None."""
    if fleet := fleet_of(inst):
        return f"it is a fleet member ({fleet[0]}={fleet[1]})"
    if req is None:
        return "no spot request of it was found (a one-time request)"
    rid = req["SpotInstanceRequestId"]
    if req.get("Type") != "persistent":
        return f"it was launched from a one-time spot request ({rid})"
    if req.get("State") not in LIVE_REQUEST:
        return f"its persistent spot request {rid} is {req.get('State')}"
    if req.get("LaunchGroup"):
        return f"its spot request {rid} is in launch group {req['LaunchGroup']}"
    if req.get("AvailabilityZoneGroup"):
        return f"its spot request {rid} is in Availability Zone group {req['AvailabilityZoneGroup']}"
    return None


def _attribute(ec2, iid: str, name: str) -> bool:
    out = ec2.describe_instance_attribute(InstanceId=iid, Attribute=name)
    return bool(out.get(name[0].upper() + name[1:], {}).get("Value"))


def stop_blocker(ctx, ec2, inst: dict, region: str) -> str | None:
    """Why AWS would refuse StopInstances for this instance (instance-store root, stop protection)."""
    iid = inst["InstanceId"]
    if inst.get("RootDeviceType") == "instance-store":
        return ("its root device is instance store, which AWS cannot stop (only reboot or terminate): "
                + hints.command(ctx, "terminate", "--type", "ec2", "--id", iid, region=region))
    if _attribute(ec2, iid, "disableApiStop"):
        return ("stop protection is on (disableApiStop); lift it with: "
                + hints.aws_cli(ctx, "ec2", "modify-instance-attribute", "--instance-id", iid, "--no-disable-api-stop",
                                region=region))
    return None


def attached_parts(ec2, ids: list[str]) -> dict[str, dict]:
    """{volume or interface id: its tags} for what is attached to these instances (one call each)."""
    where = [{"Name": "attachment.instance-id", "Values": ids}]
    vols = paginate(ec2, "describe_volumes", "Volumes", Filters=where)
    enis = paginate(ec2, "describe_network_interfaces", "NetworkInterfaces", Filters=where)
    return {**{v["VolumeId"]: tag_map(v.get("Tags")) for v in vols},
            **{n["NetworkInterfaceId"]: tag_map(n.get("TagSet")) for n in enis}}


def terminate_blocker(ctx, ec2, inst: dict, region: str) -> str | None:
    """Why AWS would refuse TerminateInstances: termination protection (disableApiTermination)."""
    iid = inst["InstanceId"]
    if _attribute(ec2, iid, "disableApiTermination"):
        return ("termination protection is on (disableApiTermination); lift it with: "
                + hints.aws_cli(ctx, "ec2", "modify-instance-attribute", "--instance-id", iid,
                                "--no-disable-api-termination", region=region))
    return None


def deleted_with(inst: dict, parts: dict[str, dict]) -> dict[str, dict]:
    """Action.touches of a termination: the volumes and interfaces AWS deletes with the instance
    (DeleteOnTermination), each with its own tags (parts: attached_parts)."""
    out = {f"volume {m['Ebs']['VolumeId']} ({m.get('DeviceName')}, deleted with the instance)":
           parts.get(m["Ebs"]["VolumeId"], {})
           for m in inst.get("BlockDeviceMappings", []) if (m.get("Ebs") or {}).get("DeleteOnTermination")}
    out |= {f"network interface {n['NetworkInterfaceId']} (deleted with the instance)":
            parts.get(n["NetworkInterfaceId"], {})
            for n in inst.get("NetworkInterfaces", []) if (n.get("Attachment") or {}).get("DeleteOnTermination")}
    return out
