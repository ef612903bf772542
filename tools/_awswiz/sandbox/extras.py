"""Imports every module that registers sandbox handlers; each issue adds its own line."""
from . import dlami_api, pricing_api, quotas_api  # noqa: F401,E402 - issue 4: quotas, prices, DLAMIs
from .vpc_api import ASYNC_SECONDS  # noqa: F401,E402 - issue 8: VPC teardown rules (DependencyViolation, async deletes)
