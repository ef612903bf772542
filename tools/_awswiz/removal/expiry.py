"""What reap.py may remove: managed resources whose awswiz:expires-at has passed, read strictly.

Tags are what launch.py writes: `awswiz:managed=true` and `awswiz:expires-at` as ISO 8601 with a UTC
offset, e.g. 2026-11-24T08:00:00+00:00 (datetime.isoformat(timespec="seconds")). AWS tag keys and values
are case-sensitive, so the rule is exact: a value "True", "true " or a key "AWSWIZ:managed" is not managed,
and an expiry with spaces, without an offset or not a date is malformed: skipped with the reason, never read
as "expired" (a hand-edited tag must not delete anything). Protection goes the other way (guard.protection
reads keys and values stripped and case-folded): when in doubt, keep.

Resources come from the Resource Groups Tagging API (GetResources) as ARNs; `from_arn` names their type
as the resource table does.
"""

from __future__ import annotations

import datetime as _dt
import re

MANAGED_KEY, EXPIRES_KEY = "awswiz:managed", "awswiz:expires-at"
EXPIRES_FORMAT = "ISO 8601 with a UTC offset, e.g. 2026-11-24T08:00:00+00:00 (as launch.py writes it)"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")

# ARN (service, resource type) -> the table types it may be (first one the table holds wins), and whether
# the table's id is the ARN itself (elbv2, ecs) rather than the ARN's last part.
_ARN_TYPES: dict[tuple[str, str], tuple[tuple[str, ...], bool]] = {
    ("ec2", "instance"): (("ec2:instance",), False),
    ("ec2", "volume"): (("ec2:volume",), False),
    ("ec2", "snapshot"): (("ec2:snapshot",), False),
    ("ec2", "image"): (("ec2:image", "ec2:ami"), False),
    ("ec2", "elastic-ip"): (("ec2:elastic-ip",), False),
    ("ec2", "key-pair"): (("ec2:key-pair",), False),
    ("ec2", "vpc"): (("vpc:vpc",), False),
    ("ec2", "subnet"): (("vpc:subnet",), False),
    ("ec2", "route-table"): (("vpc:route-table",), False),
    ("ec2", "internet-gateway"): (("vpc:internet-gateway",), False),
    ("ec2", "natgateway"): (("vpc:nat-gateway",), False),
    ("ec2", "vpc-endpoint"): (("vpc:endpoint",), False),
    ("ec2", "network-interface"): (("vpc:network-interface",), False),
    ("ec2", "security-group"): (("vpc:security-group",), False),
    ("elasticloadbalancing", "loadbalancer"): (("elb:load-balancer",), True),
    ("elasticloadbalancing", "targetgroup"): (("elb:target-group",), True),
    ("rds", "db"): (("rds:db-instance",), False),
    ("lambda", "function"): (("lambda:function",), False),
    ("ecs", "cluster"): (("ecs:cluster",), True),
    ("eks", "cluster"): (("eks:cluster",), False),
    ("sagemaker", "notebook-instance"): (("sagemaker:notebook",), False),
}


def parse_expiry(value: str | None) -> tuple[_dt.datetime | None, str | None]:
    """(the expiry in UTC, None) or (None, why the value is malformed)."""
    if value is None:
        return None, None
    if not _ISO.match(value):
        return None, f"{EXPIRES_KEY}={value!r} is malformed: expected {EXPIRES_FORMAT}"
    try:
        when = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None, f"{EXPIRES_KEY}={value!r} is not a real date and time: expected {EXPIRES_FORMAT}"
    try:  # 9999-12-31T23:59:59-05:00 is in year 10000 in UTC, 0001-01-01T00:00:00+05:00 in year 0
        return when.astimezone(_dt.UTC), None
    except OverflowError:
        return None, f"{EXPIRES_KEY}={value!r} is outside the years 1-9999 in UTC: expected {EXPIRES_FORMAT}"


def judge(tags: dict, now: _dt.datetime) -> tuple[bool, str | None]:
    """(expired, None) when the tags say managed and expired by `now` (aware, any zone); otherwise
    (False, why not) - None for a managed resource without any expiry tag."""
    if tags.get(MANAGED_KEY) != "true":
        return False, f"not managed by AwsWiz (no tag {MANAGED_KEY}=true)"
    near = [k for k in tags if k != EXPIRES_KEY and k.strip().casefold() == EXPIRES_KEY]
    if near and EXPIRES_KEY not in tags:
        return False, f"tag key {near[0]!r} is not exactly {EXPIRES_KEY}: not read as an expiry"
    when, bad = parse_expiry(tags.get(EXPIRES_KEY))
    if bad:
        return False, bad
    if when is None:
        return False, None
    if when > now:
        return False, f"not expired: {EXPIRES_KEY}={tags[EXPIRES_KEY]}"
    return True, None


def from_arn(arn: str, table: set[str] | dict) -> tuple[str | None, str, str | None]:
    """(table type or None, id, region or None) of an ARN as GetResources returns it."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return None, arn, None
    service, region, resource = parts[2], parts[3] or None, parts[5]
    if service == "s3" and "/" not in resource:
        return ("s3:bucket" if "s3:bucket" in table else None), resource, None
    kind, sep, rest = resource.partition("/") if "/" in resource else resource.partition(":")
    names, whole = _ARN_TYPES.get((service, kind), ((), False))
    kind_name = next((n for n in names if n in table), None)
    if not sep:
        return None, arn, region
    return kind_name, arn if whole else rest.split("/")[-1], region
