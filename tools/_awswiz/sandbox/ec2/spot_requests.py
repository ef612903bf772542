"""Spot requests as AWS keeps them, where moto does not (moto 5.2):

- a persistent request relaunches its instance after that instance is terminated, as long as the request
  is not cancelled (EC2 User Guide, "Terminate a Spot Instance": terminating the instance of a persistent
  request makes AWS launch a new one; cancel the request first); moto never relaunches. AWS relaunches
  asynchronously; the sandbox does it before it answers the region's next DescribeInstances or
  DescribeSpotInstanceRequests;
- a cancelled request stays visible with State "cancelled" (and its instance keeps running: "Cancel a Spot
  Instance request"); moto deletes it from its store;
- cancelling a Spot Fleet request cancels its spot requests ("Cancel (delete) a Spot Fleet request": "all
  Spot requests associated with the fleet are also canceled, so that no new Spot Instances are launched");
- instances and requests launched by a Spot Fleet carry the tag aws:ec2spot:fleet-request-id, those of an EC2
  Fleet aws:ec2:fleet-id, as AWS tags them; moto does not tag them. Only a fleet of type maintain replaces.

- an instance-initiated shutdown (the OS powers off: a TTL timer, `shutdown -h`), which moto has no way to
  make: the control call `AwsWizSandbox.ShutdownFromInstance` {"instance_id", "region", "account"?} (the account
  holding the instance: by default the caller's, the lab's for an unsigned call) applies the instance's
  InstanceInitiatedShutdownBehavior ("Change instance initiated shutdown behavior": stop or terminate). A
  terminated instance of a live persistent request reopens it and AWS launches a replacement from the same
  launch specification (EC2 User Guide, "Persistent Spot Instance requests": "the request is opened again after
  your Spot Instance is terminated"); a stopped one leaves it disabled until the instance starts again.

The requests live in moto's backend (this runs inside the sandbox server process); each handler adjusts it
and lets moto answer, except CancelSpotInstanceRequests, answered here so the request is kept.
"""

from __future__ import annotations

from ..handlers import HANDLERS, PASS, ApiError, handles
from .backend import backend as _backend

FLEET_TAG = "aws:ec2spot:fleet-request-id"
EC2_FLEET_TAG = "aws:ec2:fleet-id"
LIVE = ("open", "active", "disabled")


def _chain(key: str, fn):
    """Register fn in front of whatever handler another module registered for the same key."""
    prev = HANDLERS.get(key)

    def run(params, region, state):
        fn(params, region)
        return prev(params, region, state) if prev else PASS

    handles(key, chained=True)(run)


def _fleet(backend, fid: str) -> tuple[str, bool, bool]:
    """(the tag AWS puts on its instances, is it active, does it replace terminated instances)."""
    if fid in backend.fleets:
        fleet = backend.fleets[fid]
        return EC2_FLEET_TAG, fleet.state == "active", fleet.fleet_type == "maintain"
    fleet = backend.spot_fleet_requests.get(fid)
    active = fleet is not None and fleet.state == "active"
    return FLEET_TAG, active, active  # a Spot Fleet's Type defaults to maintain; moto keeps no Type


def reconcile(region: str, of: str | None = None) -> None:
    """Relaunch what AWS would have relaunched; tag fleet members as AWS does (in the request's account, or `of`)."""
    backend = _backend(region, of)
    for fleet in backend.fleets.values():
        for od in fleet.on_demand_instances:
            backend.create_tags([od["instance"].id], {EC2_FLEET_TAG: fleet.id})
    for req in list(backend.spot_instance_requests.values()):
        tag = None
        if req.spot_fleet_id:
            tag, active, replaces = _fleet(backend, req.spot_fleet_id)
            backend.create_tags([req.id, req.instance.id], {tag: req.spot_fleet_id})
            if not active:
                req.state = "cancelled"
            if not replaces:
                continue
        if req.type == "persistent" and req.state in LIVE and req.instance.state == "terminated":
            req.instance = req.launch_instance()
            req.state, req._status_code = "active", "fulfilled"
            if tag:
                backend.create_tags([req.instance.id], {tag: req.spot_fleet_id})


_chain("ec2:DescribeInstances", lambda params, region: reconcile(region))
_chain("ec2:DescribeSpotInstanceRequests", lambda params, region: reconcile(region))


def _cancel_fleet_requests(params, region):
    ids = {v for k, v in params.items() if k.startswith(("SpotFleetRequestId.", "FleetId."))}
    for req in _backend(region).spot_instance_requests.values():
        if req.spot_fleet_id in ids:
            req.state = "cancelled"


_chain("ec2:CancelSpotFleetRequests", _cancel_fleet_requests)
_chain("ec2:DeleteFleets", _cancel_fleet_requests)


@handles("ec2:CancelSpotInstanceRequests")
def cancel(params, region, state):
    ids = [v for k, v in sorted(params.items()) if k.startswith("SpotInstanceRequestId.")]
    reqs = _backend(region).spot_instance_requests
    missing = [i for i in ids if i not in reqs]
    if missing:
        raise ApiError("InvalidSpotInstanceRequestID.NotFound",
                       f"The spot instance request ID '{missing[0]}' does not exist")
    items = []
    for i in ids:
        reqs[i].state, reqs[i]._status_code = "cancelled", "request-canceled-and-instance-running"
        items.append(f"<item><spotInstanceRequestId>{i}</spotInstanceRequestId><state>cancelled</state></item>")
    return ('<CancelSpotInstanceRequestsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>sandbox</requestId><spotInstanceRequestSet>{''.join(items)}</spotInstanceRequestSet>"
            "</CancelSpotInstanceRequestsResponse>")


@handles("AwsWizSandbox.ShutdownFromInstance")
def shutdown_from_instance(params, region, state):
    region, of = params.get("region") or region, params.get("account") or None
    backend, iid = _backend(region, of), params.get("instance_id")
    inst = next((i for i in backend.all_instances() if i.id == iid), None)
    if inst is None:
        raise ApiError("InvalidInstanceID.NotFound", f"The instance ID '{iid}' does not exist")
    if inst.state != "running":
        raise ApiError("IncorrectInstanceState", f"The instance '{iid}' is not in the 'running' state.")
    behaviour = inst.instance_initiated_shutdown_behavior or "stop"
    req = next((r for r in backend.spot_instance_requests.values() if getattr(r, "instance", None) is inst), None)
    persistent = req is not None and req.type == "persistent" and req.state in LIVE
    if behaviour == "terminate":
        backend.terminate_instances([iid])
        if req is not None:
            req.state = "open" if persistent else "closed"
            req._status_code = "instance-terminated-by-user"
    else:
        backend.stop_instances([iid])
        if persistent:
            req.state, req._status_code = "disabled", "instance-stopped-by-user"
    reconcile(region, of)  # a reopened persistent request launches its replacement
    return {"instance_id": iid, "behaviour": behaviour, "state": inst.state,
            "spot_request": req.id if req is not None else None,
            "replacement": req.instance.id if persistent and req.instance is not inst else None}
