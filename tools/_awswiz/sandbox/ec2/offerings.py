"""DescribeInstanceTypes as AWS answers it: only the types offered in the request's region, unless
IncludeUnsupportedInRegion is true (EC2 API Reference, DescribeInstanceTypes: "If true, the response includes
instance types that are not supported in the current Region, in addition to the supported types. Default:
false"). moto 5.2 describes every type in every region and ignores the parameter; a type named in InstanceTypes
that the region does not offer is refused as unknown there (InvalidInstanceType).

moto's own response method is wrapped (this module is imported inside the sandbox server only), since the
answer is moto's, filtered by moto's own offerings table.
"""

from __future__ import annotations

from moto.core.responses import ActionResult
from moto.ec2.exceptions import InvalidInstanceTypeError
from moto.ec2.models.instance_types import INSTANCE_TYPE_OFFERINGS
from moto.ec2.responses.instances import InstanceResponse

_moto_describe = InstanceResponse.describe_instance_types


def offered_in(region: str) -> set[str]:
    return {o["InstanceType"] for o in INSTANCE_TYPE_OFFERINGS["region"].get(region, [])}


def describe_instance_types(self) -> ActionResult:
    if str(self._get_param("IncludeUnsupportedInRegion", "false")).lower() == "true":
        return _moto_describe(self)
    offered = offered_in(self.region)
    names = self._get_param("InstanceTypes", [])
    missing = sorted(n for n in names if n not in offered)
    if missing:
        raise InvalidInstanceTypeError(missing, error_type="InvalidInstanceType")
    found = self.ec2_backend.describe_instance_types(names, self._filters_from_querystring())
    return ActionResult({"InstanceTypes": [t for t in found if t.get("InstanceType") in offered]})


InstanceResponse.describe_instance_types = describe_instance_types
