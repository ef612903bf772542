"""RunInstances with InstanceMarketOptions MarketType=spot makes a Spot Instance request, as AWS does (EC2 User
Guide, "Work with Spot Instances", spot-requests.html, paraphrased: a Spot Instance launched with RunInstances
comes with a Spot Instance request, one-time or persistent as asked, whose id the instance carries).
moto 5.2 marks the instance spot but keeps no request, so stop.py and terminate.py (which read the request)
would judge a launch.py spot box wrongly. Taught to moto's EC2 responder in place (in the sandbox server).

Also: DescribeSpotInstanceRequests takes the filter instance-id (EC2 API Reference,
DescribeSpotInstanceRequests); moto answers it with an internal error as soon as one request has no
instance yet (an open request), so an open request matches no instance id here.
"""

from __future__ import annotations


def _teach_moto() -> None:
    from moto.ec2.models.spot_requests import SpotInstanceRequest
    from moto.ec2.responses.instances import InstanceResponse
    from moto.ec2.utils import random_spot_request_id

    class RunInstancesRequest(SpotInstanceRequest):
        """A request fulfilled by an instance RunInstances already made; a persistent one relaunches as usual."""

        def __init__(self, backend, instance, spot_type: str, behaviour: str, price: str | None):
            self._linked = instance
            super().__init__(backend, random_spot_request_id(), price, instance.image_id, spot_type, None, None,
                             None, None, instance.key_name, [], None, instance.instance_type, instance.placement,
                             None, None, False, instance.subnet_id, {}, None, behaviour)

        def launch_instance(self):
            linked, self._linked = self._linked, None
            return linked if linked is not None else super().launch_instance()

    filter_value = SpotInstanceRequest.get_filter_value

    def get_filter_value(self, filter_name, method_name=None):
        if filter_name == "instance-id":
            return self.instance.id if getattr(self, "instance", None) is not None else None
        return filter_value(self, filter_name, method_name)

    SpotInstanceRequest.get_filter_value = get_filter_value
    run = InstanceResponse.run_instances

    def run_instances(self):
        out = run(self)
        options = self._get_param("InstanceMarketOptions", {}) or {}
        if options.get("MarketType") != "spot":
            return out
        spot = options.get("SpotOptions") or {}
        for inst in out.result.instances:
            req = RunInstancesRequest(self.ec2_backend, inst, spot.get("SpotInstanceType") or "one-time",
                                      spot.get("InstanceInterruptionBehavior") or "terminate", spot.get("MaxPrice"))
            self.ec2_backend.spot_instance_requests[req.id] = req
        return out

    InstanceResponse.run_instances = run_instances


_teach_moto()
