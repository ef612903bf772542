"""List prices of what is billed while it stays (storage, addresses, gateways, load balancers): a dated table
of us-east-1 list prices, each with the AWS pricing page it comes from. Other regions cost a little more
(5-30 %); every line that uses this table says so (`basis`, `date`). Instance prices are not here: they come
from the Pricing API (pricing.py), cached with the date they were fetched.

Only the hourly or per-GiB part is counted: data processed (NAT gateways), load balancer capacity units,
provisioned IOPS and throughput above a volume's baseline, and requests are left out, so a figure is a floor.
"""

from __future__ import annotations

HOURS_PER_MONTH = 730  # AWS Pricing Calculator: 730 hours in a month
DATE = "2025-05-01"  # when the figures below were read from the pages named beside them
REGION = "us-east-1"

# Amazon EBS pricing (https://aws.amazon.com/ebs/pricing/): storage, USD per GB-month
EBS_GB_MONTH = {"gp3": 0.08, "gp2": 0.10, "io1": 0.125, "io2": 0.125, "st1": 0.045, "sc1": 0.015,
                "standard": 0.05}
# Amazon EBS pricing: snapshots, standard tier, USD per GB-month of data stored. Snapshots are incremental:
# AWS bills the blocks a snapshot holds, so a snapshot's full size is an upper bound.
SNAPSHOT_GB_MONTH = 0.05
# Amazon VPC pricing (https://aws.amazon.com/vpc/pricing/), "Public IPv4 addresses": since 2024-02-01 every
# public IPv4 address is billed, in use or idle, Elastic IPs included ("New - AWS Public IPv4 Address Charge +
# Public IP Insights", AWS News Blog, 2023-07-28).
PUBLIC_IPV4_HOUR = 0.005
NAT_GATEWAY_HOUR = 0.045  # Amazon VPC pricing, "NAT Gateway pricing": per hour (per GB processed not counted)
# Elastic Load Balancing pricing (https://aws.amazon.com/elasticloadbalancing/pricing/): per hour (LCUs not counted)
LB_HOUR = {"application": 0.0225, "network": 0.0225, "gateway": 0.0125}

PAGES = {"ebs": "Amazon EBS pricing", "vpc": "Amazon VPC pricing", "elb": "Elastic Load Balancing pricing"}


def basis(page: str) -> str:
    """How a figure was priced, as every line says it: the table, its region and date, and the page."""
    return f"list price {REGION} {DATE} ({PAGES[page]})"


def monthly(per_hour: float) -> float:
    return round(per_hour * HOURS_PER_MONTH, 2)


def volume_month(volume_type: str | None, size_gib: float) -> float | None:
    """USD per month for a volume's storage, or None for a type the table does not hold."""
    rate = EBS_GB_MONTH.get(volume_type or "gp2")
    return None if rate is None else round(rate * size_gib, 2)


def snapshot_month(size_gib: float) -> float:
    return round(SNAPSHOT_GB_MONTH * size_gib, 2)


def public_ipv4_month(count: int = 1) -> float:
    return monthly(PUBLIC_IPV4_HOUR * count)


def nat_gateway_month() -> float:
    return monthly(NAT_GATEWAY_HOUR)


def load_balancer_month(lb_type: str | None) -> float:
    return monthly(LB_HOUR.get(lb_type or "application", LB_HOUR["application"]))
