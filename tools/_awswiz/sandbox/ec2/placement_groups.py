"""Placement groups, which moto 5.2 lacks: CreatePlacementGroup, DescribePlacementGroups (GroupName.N, GroupId.N,
filters group-name, state, strategy, tag:KEY, tag-key), DeletePlacementGroup; and RunInstances into one
(Placement.GroupName), with the interfaces a launch asks for kept as asked (InterfaceType=efa).

As AWS does (Amazon EC2 User Guide, "Placement group rules and limitations" and "Delete a placement group"; EC2 API
Reference, CreatePlacementGroup / DeletePlacementGroup / DescribePlacementGroups; botocore's ec2 2016-11-15 model):
- a name is unique in the account and Region (CreatePlacementGroup GroupName: "Must be unique within the scope of
  your account for the Region"): each account has its own groups, and its own instances in them; a second create
  is InvalidPlacementGroup.Duplicate "The placement group 'X' already exists." (AWS's answer as FDio/csit#179
  quotes it); at most 500 groups per Region (PlacementGroupLimitExceeded);
- Strategy is cluster | spread | partition (precision-time is in the model but not emulated);
- "A cluster placement group is a logical grouping of instances within a single Availability Zone": launching into
  a cluster group that holds instances in another AZ is InvalidPlacementGroup.InUse "The placement group 'X' is in
  use in another availability zone: AZ" (AWS's answer as bcbio/bcbio-nextgen-vm#45 quotes it);
- an unknown group, named at launch, describe or delete, is InvalidPlacementGroup.Unknown;
- "Before you can delete a placement group, it must contain no instances": DeletePlacementGroup of a group with an
  instance not terminated is InvalidPlacementGroup.InUse.
- EFA: a network interface asked with InterfaceType=efa is an EFA interface (DescribeInstances shows
  NetworkInterfaces[].InterfaceType efa), refused on a type whose DescribeInstanceTypes NetworkInfo.EfaSupported is
  false (Amazon EC2 User Guide, "Elastic Fabric Adapter": supported instance types); moto makes every interface
  `interface`.
"""

from __future__ import annotations

import time
from xml.sax.saxutils import escape

from ..handlers import ApiError, account, handles, next_serial, own, seeder
from .backend import NS, backend
from .query import filters, indexed, tag_set, tags

STRATEGIES = ("cluster", "spread", "partition")
LIMIT = 500
GONE = ("terminated",)


@seeder
def _seed(state: dict) -> None:
    state["placement_groups"] = {}  # account -> region -> {name: group dict}


def _groups(state: dict, region: str, of: str | None = None) -> dict:
    """The groups of the request's account (or of `of`) in the region."""
    return own(state, "placement_groups", of=of).setdefault(region, {})


def _item(g: dict, tag: str = "item") -> str:
    part = f"<partitionCount>{g['partitions']}</partitionCount>" if g.get("partitions") else ""
    return (f"<{tag}><groupName>{escape(g['name'])}</groupName><state>{g['state']}</state>"
            f"<strategy>{g['strategy']}</strategy>{part}<groupId>{g['id']}</groupId>"
            f"<tagSet>{tag_set(g['tags'])}</tagSet>"
            f"<groupArn>arn:aws:ec2:{g['region']}:{account()}:placement-group/{escape(g['name'])}</groupArn></{tag}>")


def _response(action: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><{action}Response xmlns="{NS}"><requestId>sandbox-pg</requestId>'
            f"{body}</{action}Response>")


def _unknown(name: str) -> ApiError:
    return ApiError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")


def members(region: str, name: str, of: str | None = None) -> list:
    """The region's instances in the group that are not terminated (moto's backend of the request's account, or
    of `of`)."""
    return [i for i in backend(region, of).all_instances()
            if i.placement.group_name == name and i.state not in GONE]


@handles("ec2:CreatePlacementGroup")
def create(params, region, state):
    name, strategy = params.get("GroupName"), params.get("Strategy")
    if not name:
        raise ApiError("MissingParameter", "The request must contain the parameter groupName")
    if strategy not in STRATEGIES:
        raise ApiError("InvalidParameterValue", f"Value ({strategy}) for parameter strategy is invalid. "
                       f"Valid values: {', '.join(STRATEGIES)}")
    mine = _groups(state, region)
    if name in mine:
        raise ApiError("InvalidPlacementGroup.Duplicate", f"The placement group '{name}' already exists.")
    if len(mine) >= LIMIT:
        raise ApiError("PlacementGroupLimitExceeded", f"You have reached the limit of {LIMIT} placement groups.")
    if params.get("DryRun") in ("true", True):
        raise ApiError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412)
    g = {"name": name, "strategy": strategy, "state": "available", "region": region, "created": time.time(),
         "id": f"pg-{next_serial('placement-group', 0x0C1A55E5):017x}", "tags": tags(params),
         "partitions": int(params["PartitionCount"]) if strategy == "partition" else None}
    if strategy == "partition" and not params.get("PartitionCount"):
        g["partitions"] = 2
    mine[name] = g
    return _response("CreatePlacementGroup", _item(g, "placementGroup"))


@handles("ec2:DescribePlacementGroups")
def describe(params, region, state):
    mine = _groups(state, region)
    names, ids = indexed(params, "GroupName"), indexed(params, "GroupId")
    for n in names:
        if n not in mine:
            raise _unknown(n)
    by_id = {g["id"] for g in mine.values()}
    for i in ids:
        if i not in by_id:
            raise ApiError("InvalidPlacementGroupId.NotFound", f"The placement group ID '{i}' does not exist")
    keys = {"group-name": "name", "state": "state", "strategy": "strategy"}
    found = []
    for g in mine.values():
        if (names and g["name"] not in names) or (ids and g["id"] not in ids):
            continue
        ok = True
        for k, v in filters(params).items():
            if k in keys:
                ok = ok and g[keys[k]] in v
            elif k.startswith("tag:"):
                ok = ok and g["tags"].get(k[4:]) in v
            elif k == "tag-key":
                ok = ok and any(t in g["tags"] for t in v)
        if ok:
            found.append(g)
    return _response("DescribePlacementGroups",
                     f"<placementGroupSet>{''.join(_item(g) for g in found)}</placementGroupSet>")


@handles("ec2:DeletePlacementGroup")
def delete(params, region, state):
    name = params.get("GroupName")
    mine = _groups(state, region)
    if name not in mine:
        raise _unknown(name or "")
    if members(region, name):
        raise ApiError("InvalidPlacementGroup.InUse", f"The placement group '{name}' is in use and may not be "
                       "deleted.")
    del mine[name]
    return _response("DeletePlacementGroup", "<return>true</return>")


def _efa_supported(itype: str) -> bool:
    from moto.ec2.models.instance_types import INSTANCE_TYPES

    return bool((INSTANCE_TYPES.get(itype) or {}).get("NetworkInfo", {}).get("EfaSupported"))


def _teach_moto() -> None:
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses.instances import InstanceResponse

    from .. import handlers as H

    run = InstanceResponse.run_instances

    def run_instances(self):
        name = self._get_param("Placement.GroupName")
        nics = self._get_param("NetworkInterfaces", []) or []
        efa = {int(n.get("DeviceIndex", 0) or 0) for n in nics if n.get("InterfaceType") == "efa"}
        itype = self._get_param("InstanceType", "m1.small")
        if efa and not _efa_supported(itype):
            raise EC2ClientError("InvalidParameterCombination", f"EFA interfaces are not supported on {itype}.")
        if name:
            group = _groups(H.STATE, self.region, self.current_account).get(name)
            if group is None:
                raise EC2ClientError("InvalidPlacementGroup.Unknown", f"The Placement Group '{name}' is unknown.")
            here = _az(self, nics)
            zones = {i.availability_zone for i in members(self.region, name, self.current_account)}
            if group["strategy"] == "cluster" and zones and here not in zones:
                raise EC2ClientError("InvalidPlacementGroup.InUse", f"The placement group '{name}' is in use in "
                                     f"another availability zone: {sorted(zones)[0]}")
        out = run(self)
        for i in out.result.instances:
            if name:
                i.placement.group_name = name
            for eni in i.nics.values():
                if eni.device_index in efa:
                    eni.interface_type = "efa"
        return out

    def _az(self, nics) -> str:
        """Where moto will place the launch: Placement.AvailabilityZone, else the subnet's AZ, else zone a."""
        if az := self._get_param("Placement.AvailabilityZone"):
            return az
        subnet = self._get_param("SubnetId") or next((n.get("SubnetId") for n in nics if n.get("SubnetId")), None)
        if subnet:
            return self.ec2_backend.get_subnet(subnet).availability_zone
        return self.region + "a"

    InstanceResponse.run_instances = run_instances


_teach_moto()
