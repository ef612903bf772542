"""DescribeSpotPriceHistory as AWS answers it for the types asked (moto answers 0.00001 dated 2006 for everything):
the sandbox's spot price of each type in each AZ that offers it (../prices.py: 30-45 % of on-demand, different per
AZ), stamped a few minutes ago. Without InstanceType, moto answers."""

from __future__ import annotations

import datetime as _dt

from ..handlers import PASS, handles
from ..prices import moto_types, spot_price
from .backend import NS
from .query import indexed


@handles("ec2:DescribeSpotPriceHistory")
def spot_history(params, region, state):
    types = indexed(params, "InstanceType")
    if not types:
        return PASS
    _, offerings = moto_types()
    zones = params.get("AvailabilityZone")
    now = _dt.datetime.now(_dt.UTC).replace(microsecond=0) - _dt.timedelta(minutes=7)
    items = []
    for o in offerings["availability-zone"].get(region, []):
        if o["InstanceType"] not in types or (zones and o["Location"] != zones):
            continue
        price = spot_price(o["InstanceType"], o["Location"], region)
        if price is None:
            continue
        items.append(f"<item><instanceType>{o['InstanceType']}</instanceType><productDescription>Linux/UNIX"
                     f"</productDescription><spotPrice>{price:.6f}</spotPrice><timestamp>"
                     f"{now.isoformat().replace('+00:00', '.000Z')}</timestamp><availabilityZone>{o['Location']}"
                     "</availabilityZone></item>")
    return ('<?xml version="1.0" encoding="UTF-8"?><DescribeSpotPriceHistoryResponse '
            f'xmlns="{NS}"><requestId>sandbox-spot</requestId>'
            f"<spotPriceHistorySet>{''.join(items)}</spotPriceHistorySet><nextToken></nextToken>"
            "</DescribeSpotPriceHistoryResponse>")
