"""Imports every module that registers sandbox handlers; each issue adds its own line."""
from . import dlami_api, pricing_api, quotas_api  # noqa: F401,E402 - issue 4: quotas, prices, DLAMIs
from .ec2_rules import INSTANCE_STORE  # noqa: F401,E402 - issue 8: launch-time termination protection, instance-store roots
from .s3_rules import MFA_RE  # noqa: F401,E402 - issue 8: MFA Delete refuses DeleteObjects without x-amz-mfa
from .spot_api import reconcile  # noqa: F401,E402 - issue 8: persistent spot requests relaunch, cancelled stay
