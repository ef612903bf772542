"""RunInstances with InstanceMarketOptions MarketType=spot makes a Spot Instance request, as AWS does (EC2 User
Guide, "Work with Spot Instances", spot-requests.html, paraphrased: a Spot Instance launched with RunInstances
comes with a Spot Instance request, one-time or persistent as asked, whose id the instance carries).
moto 5.2 marks the instance spot but keeps no request, so stop.py and terminate.py (which read the request)
would judge a launch.py spot box wrongly. Taught to moto's EC2 responder in place (in the sandbox server).

Also: DescribeSpotInstanceRequests takes the filter instance-id (EC2 API Reference,
DescribeSpotInstanceRequests); moto answers it with an internal error as soon as one request has no
instance yet (an open request), so an open request matches no instance id here.

And the MaxPrice rules RunInstances applies before it launches (moto launches at any price): below $0.001 is
InvalidParameterValue (EC2 API Reference, SpotMarketOptions.MaxPrice: "it must be more than USD $0.001. Specifying
a value below USD $0.001 will result in an InvalidParameterValue error"); below the current spot price of the
AZ (prices.spot_price, what DescribeSpotPriceHistory answers) is SpotMaxPriceTooLow, "Your Spot request
price of 0.001 is lower than the minimum required Spot request fulfillment price of 0.0374." (RunInstances'
answer as reported in aws/aws-parallelcluster-node#415, which fails over to another AZ on it).
"""

from __future__ import annotations

from moto.ec2.models.spot_requests import SpotInstanceRequest
from moto.ec2.utils import random_spot_request_id

from ..prices import spot_price
from . import instances  # noqa: F401 - taught first: this wraps its RunInstances


class RunInstancesRequest(SpotInstanceRequest):
    """A request fulfilled by an instance RunInstances already made; a persistent one relaunches as usual."""

    def __init__(self, backend, instance, spot_type: str, behaviour: str, price: str | None):
        self._linked = instance
        # a replacement is launched from the same specification: the same user data (and so the same TTL
        # timer) and the same shutdown behaviour (moto would drop both)
        self._shutdown = instance.instance_initiated_shutdown_behavior
        super().__init__(backend, random_spot_request_id(), price, instance.image_id, spot_type, None, None,
                         None, None, instance.key_name, [], instance.user_data, instance.instance_type,
                         instance.placement, None, None, False, instance.subnet_id, {}, None, behaviour)

    def launch_instance(self):
        linked, self._linked = self._linked, None
        if linked is not None:
            return linked
        inst = super().launch_instance()
        inst.instance_initiated_shutdown_behavior = self._shutdown
        return inst


def _teach_moto() -> None:
    from moto.ec2.responses.instances import InstanceResponse

    filter_value = SpotInstanceRequest.get_filter_value

    def get_filter_value(self, filter_name, method_name=None):
        if filter_name == "instance-id":
            return self.instance.id if getattr(self, "instance", None) is not None else None
        return filter_value(self, filter_name, method_name)

    SpotInstanceRequest.get_filter_value = get_filter_value
    run = InstanceResponse.run_instances

    def run_instances(self):
        options = self._get_param("InstanceMarketOptions", {}) or {}
        if options.get("MarketType") == "spot" and (options.get("SpotOptions") or {}).get("MaxPrice"):
            _check_max_price(self, options["SpotOptions"]["MaxPrice"])
        out = run(self)
        if options.get("MarketType") != "spot":
            return out
        spot = options.get("SpotOptions") or {}
        for inst in out.result.instances:
            req = RunInstancesRequest(self.ec2_backend, inst, spot.get("SpotInstanceType") or "one-time",
                                      spot.get("InstanceInterruptionBehavior") or "terminate", spot.get("MaxPrice"))
            self.ec2_backend.spot_instance_requests[req.id] = req
        return out

    def _check_max_price(self, raw: str) -> None:
        from moto.ec2.exceptions import EC2ClientError

        try:
            asked = float(raw)
        except ValueError:
            asked = -1.0
        if not asked >= 0.001:
            raise EC2ClientError("InvalidParameterValue", f"Value ({raw}) for parameter MaxPrice is invalid. "
                                 "It must be more than USD $0.001.")
        az = self._get_param("Placement.AvailabilityZone")
        subnet = self._get_param("SubnetId") or next(
            (n.get("SubnetId") for n in self._get_param("NetworkInterfaces", []) or [] if n.get("SubnetId")), None)
        if not az and subnet:
            az = self.ec2_backend.get_subnet(subnet).availability_zone
        now = spot_price(self._get_param("InstanceType") or "", az or "", self.region) if az else None
        if now is not None and asked < now:
            raise EC2ClientError("SpotMaxPriceTooLow", f"Your Spot request price of {raw} is lower than the minimum "
                                 f"required Spot request fulfillment price of {now}.")

    InstanceResponse.run_instances = run_instances


_teach_moto()
