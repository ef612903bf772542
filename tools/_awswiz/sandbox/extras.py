"""Imports every module that registers sandbox handlers; each issue adds its own line."""
from . import capacity_api, dlami_api, offerings_api, pricing_api, quotas_api  # noqa: F401,E402 - issue 4: quotas, prices, DLAMIs  # noqa: F401,E402 - issue 8: capacity reservations, offered types
