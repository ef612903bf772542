"""Imports every module that registers sandbox handlers; each issue adds its own line."""
# ruff: noqa: I001 - one line per issue, in the order they came
from . import dlami_api, pricing_api, quotas_api  # noqa: F401,E402 - issue 4: quotas, prices, DLAMIs
from . import capacity_api, offerings_api  # noqa: F401,E402 - issue 8 (quota): capacity reservations, offered types
from . import costs_api  # noqa: F401,E402 - issue 10 (money): Cost Explorer ledger and forecast
