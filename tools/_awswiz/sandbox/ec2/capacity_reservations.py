"""On-Demand Capacity Reservations, which moto 5.2 lacks: Create, Describe (filters state, instance-type,
availability-zone; ids), Cancel.

As AWS does ("Reserve compute capacity with EC2 On-Demand Capacity Reservations"): an `open` reservation is
used automatically by running instances with matching attributes (type, Availability Zone; the sandbox has
one platform and one tenancy), so AvailableInstanceCount is the total minus the matching running on-demand
instances, counted at each Describe from moto's own instances. `targeted` reservations are filled only by
launches that name them, which moto cannot record: the sandbox leaves them unused. The type must be offered in
the Availability Zone (DescribeInstanceTypeOfferings), else the request is refused. A reservation is its account's
own (OwnerId: "The ID of the Amazon Web Services account that owns the Capacity Reservation", EC2 API Reference,
CapacityReservation): each account sees and fills only its own, from its own instances.
"""

from __future__ import annotations

import datetime as _dt
from xml.sax.saxutils import escape

from ..handlers import ApiError, account, handles, next_serial, own, seeder
from .backend import NS, backend
from .query import filters, indexed, tag_set, tags

PLATFORMS = ("Linux/UNIX", "Red Hat Enterprise Linux", "SUSE Linux", "Windows", "Ubuntu Pro", "Linux with SQL Server "
             "Standard", "Linux with SQL Server Web", "Linux with SQL Server Enterprise", "Windows with SQL Server",
             "Windows with SQL Server Standard", "Windows with SQL Server Enterprise", "Windows with SQL Server Web",
             "RHEL with HA", "RHEL with SQL Server Standard", "RHEL with SQL Server Enterprise",
             "RHEL with SQL Server Web", "RHEL with HA and SQL Server Standard",
             "RHEL with HA and SQL Server Enterprise")
FIRST_ID = 0x0A1B2C3D4E5F60718


@seeder
def _seed(state: dict) -> None:
    state["capacity"] = {}  # account -> region -> [reservation dicts, in creation order]


def _mine(state: dict, region: str) -> list[dict]:
    """The request's account's reservations in the region."""
    return own(state, "capacity").setdefault(region, [])


def _offered(itype: str, az: str, region: str) -> bool:
    from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS

    return any(o["InstanceType"] == itype and o["Location"] == az
               for o in INSTANCE_TYPE_OFFERINGS["availability-zone"].get(region, []))


def _running(region: str) -> list[tuple[str, str]]:
    """(type, AZ) of the region's running on-demand instances, from moto's backend."""
    return [(i.instance_type, i.availability_zone) for i in backend(region).all_instances()
            if i.state == "running" and not getattr(i, "lifecycle", None)]


def _fill(region: str, reservations: list[dict]) -> None:
    """AvailableInstanceCount of each active open reservation: matching running instances fill them in order."""
    free = _running(region)
    for c in reservations:
        used = 0
        if c["state"] == "active" and c["match"] == "open":
            for i, (itype, az) in enumerate(free):
                if used < c["total"] and (itype, az) == (c["type"], c["az"]):
                    free[i] = ("", "")
                    used += 1
        c["available"] = c["total"] - used if c["state"] == "active" else 0


def _when(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _item(c: dict, tag: str = "item") -> str:
    owner = account()
    end = f"<endDate>{_when(c['end'])}</endDate>" if c.get("end") else ""
    return (f"<{tag}><capacityReservationId>{c['id']}</capacityReservationId><ownerId>{owner}</ownerId>"
            f"<capacityReservationArn>arn:aws:ec2:{c['region']}:{owner}:capacity-reservation/{c['id']}"
            f"</capacityReservationArn><availabilityZoneId>{c['az_id']}</availabilityZoneId>"
            f"<instanceType>{c['type']}</instanceType><instancePlatform>{escape(c['platform'])}</instancePlatform>"
            f"<availabilityZone>{c['az']}</availabilityZone><tenancy>{c['tenancy']}</tenancy>"
            f"<totalInstanceCount>{c['total']}</totalInstanceCount>"
            f"<availableInstanceCount>{c['available']}</availableInstanceCount><ebsOptimized>false</ebsOptimized>"
            f"<ephemeralStorage>false</ephemeralStorage><state>{c['state']}</state>"
            f"<startDate>{_when(c['created'])}</startDate>{end}<endDateType>{c['end_type']}</endDateType>"
            f"<instanceMatchCriteria>{c['match']}</instanceMatchCriteria><createDate>{_when(c['created'])}"
            f"</createDate><tagSet>{tag_set(c['tags'])}</tagSet><reservationType>default</reservationType></{tag}>")


def _response(action: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{NS}"><requestId>sandbox-cr</requestId>'
            f"{body}</{action}Response>")


@handles("ec2:CreateCapacityReservation")
def create(params, region, state):
    import time

    itype, platform, az = params.get("InstanceType"), params.get("InstancePlatform"), params.get("AvailabilityZone")
    count = params.get("InstanceCount")
    for name, value in (("InstanceType", itype), ("InstancePlatform", platform), ("InstanceCount", count)):
        if not value:
            raise ApiError("MissingParameter", f"The request must contain the parameter {name}")
    if not az:
        raise ApiError("MissingParameter", "The request must contain the parameter AvailabilityZone or "
                       "AvailabilityZoneId")
    if platform not in PLATFORMS:
        raise ApiError("InvalidParameterValue", f"Value ({platform}) for parameter InstancePlatform is invalid.")
    if not count.isdigit() or int(count) < 1:
        raise ApiError("InvalidParameterValue", f"Value ({count}) for parameter InstanceCount is invalid. "
                       "It must be a positive integer.")
    if not az.startswith(region):
        raise ApiError("InvalidParameterValue", f"Invalid availability zone: [{az}]")
    if not _offered(itype, az, region):
        raise ApiError("Unsupported", f"Your requested instance type ({itype}) is not supported in your requested "
                       f"Availability Zone ({az}).")
    c = {"id": f"cr-{next_serial('capacity-reservation', FIRST_ID):017x}", "region": region, "type": itype,
         "platform": platform, "az": az,
         "az_id": f"{region}-az{ord(az[-1]) - 96}",
         "tenancy": params.get("Tenancy", "default"), "total": int(count),
         "match": params.get("InstanceMatchCriteria", "open"), "end_type": params.get("EndDateType", "unlimited"),
         "state": "active", "created": time.time(), "tags": tags(params)}
    _mine(state, region).append(c)
    _fill(region, _mine(state, region))
    return _response("CreateCapacityReservation", _item(c, "capacityReservation"))


@handles("ec2:DescribeCapacityReservations")
def describe(params, region, state):
    mine = _mine(state, region)
    _fill(region, mine)
    ids = indexed(params, "CapacityReservationId")
    unknown = [i for i in ids if i not in {c["id"] for c in mine}]
    if unknown:
        raise ApiError("InvalidCapacityReservationId.NotFound", f"The capacity reservation ID '{unknown[0]}' does "
                       "not exist")
    keys = {"state": "state", "instance-type": "type", "availability-zone": "az", "tenancy": "tenancy",
            "instance-platform": "platform", "instance-match-criteria": "match"}
    f = filters(params)
    found = [c for c in mine if (not ids or c["id"] in ids)
             and all(c.get(keys[k]) in v for k, v in f.items() if k in keys)]
    return _response("DescribeCapacityReservations",
                     f"<capacityReservationSet>{''.join(_item(c) for c in found)}</capacityReservationSet>")


@handles("ec2:CancelCapacityReservation")
def cancel(params, region, state):
    cid = params.get("CapacityReservationId")
    for c in _mine(state, region):
        if c["id"] == cid:
            if c["state"] != "active":
                raise ApiError("IncorrectState", f"The capacity reservation {cid} is not active.")
            c["state"] = "cancelled"
            return _response("CancelCapacityReservation", "<return>true</return>")
    raise ApiError("InvalidCapacityReservationId.NotFound", f"The capacity reservation ID '{cid}' does not exist")
