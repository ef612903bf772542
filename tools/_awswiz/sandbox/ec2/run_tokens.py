"""RunInstances is idempotent by ClientToken, which moto 5.2 ignores (it launches again on every retry). EC2
Developer Guide, "Ensuring idempotency in Amazon EC2 API requests" (ec2-api-idempotency.html): a retry of a
request that completed, with the same client token and the same parameters, "completes successfully without
performing any further actions" (the same reservation comes back); with the same token but other parameters
(except the Region or Availability Zone) it fails with IdempotentParameterMismatch.

And the answer a fault took away (capacity_faults.py, "after_launch"): the request launched, then the caller gets
a 500 InternalError, as when a call times out after AWS acted; a retry with the same token then gets the launch.

Taught to moto's EC2 responder in place (this runs inside the sandbox server process), outside spot_launch's and
instances' teaching, so a repeated request makes no second spot request either.
"""

from __future__ import annotations

from .. import handlers as H
from . import spot_launch  # noqa: F401 - taught first: this wraps its RunInstances


@H.seeder
def _seed(state: dict) -> None:
    state["run_tokens"] = {}  # (account, region, token) -> (the request's other parameters, reservation id)


def _teach_moto() -> None:
    from moto.core.exceptions import _RESTError
    from moto.core.responses import ActionResult
    from moto.ec2.exceptions import EC2ClientError
    from moto.ec2.responses.instances import InstanceResponse

    class InternalError(_RESTError):
        code = 500

    run = InstanceResponse.run_instances

    def run_instances(self):
        token = self._get_param("ClientToken")
        if not token or self._get_param("DryRun") in (True, "true"):
            return run(self)
        key = (self.current_account, self.region, token)  # a token is its account's: another's is another launch
        params = sorted((k, tuple(v)) for k, v in self.querystring.items()
                        if k not in ("ClientToken", "Action", "Version")
                        and not k.startswith(("Placement.AvailabilityZone", "SubnetId"))
                        and not (k.startswith("NetworkInterface.") and k.endswith(".SubnetId")))
        seen = H.STATE.get("run_tokens", {}).get(key)
        if seen is not None:
            if seen[0] != params:
                raise EC2ClientError("IdempotentParameterMismatch", "The client token you have provided is "
                                     "associated with a resource that is already deleted or was created with "
                                     "different parameters. Please retry with a different client token.")
            return ActionResult(self.ec2_backend.reservations[seen[1]])
        out = run(self)
        with H.LOCK:
            H.STATE.setdefault("run_tokens", {})[key] = (params, out.result.id)
            lost = token in H.STATE.get("lost_answers", set())
            H.STATE.get("lost_answers", set()).discard(token)
        if lost:
            raise InternalError("InternalError", "An internal error has occurred")
        return out

    InstanceResponse.run_instances = run_instances


_teach_moto()
