#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Request a Service Quotas increase (plan first, then --confirm TOKEN): the code and the value are checked
before anything is sent; prints the request id, case id and console link."""

from __future__ import annotations

import math
import re
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
CODE_RE = re.compile(r"^L-[0-9A-F]{8}$")


def _known_codes() -> str:
    from _awswiz.compute.quota_codes import QUOTAS

    return ", ".join(f"{q.code} ({q.group} {q.market})" for q in QUOTAS)


# botocore's service-quotas model: QuotaValue is a double with min 0 and max 10000000000; the EC2 quotas
# this tool is for count vCPUs (a whole number).
MAX_QUOTA_VALUE = 10_000_000_000


def check_value(value: float, whole: bool = True) -> None:
    """--value: finite, positive, within the API's range, and whole where the quota is a count."""
    from _awswiz.shell.errors import BadInput

    if not math.isfinite(value) or not 0 < value <= MAX_QUOTA_VALUE:
        raise BadInput(f"--value must be a positive, finite number at most {MAX_QUOTA_VALUE} (got {value!r})",
                       "e.g. --value 192")
    if whole and value != int(value):
        raise BadInput(f"--value must be a whole number for this quota (it counts; got {value!r})",
                       f"e.g. --value {math.ceil(value)}")


def build_plan(ctx, sq, region: str, service: str, code: str, value: float):
    """Look up the quota (unknown code or a value not above the current one is BadInput) and plan the request;
    a request already open for this quota is reported in skipped and nothing is planned."""
    from _awswiz import guard
    from _awswiz.compute import quotas
    from _awswiz.compute.quota_codes import BY_CODE
    from _awswiz.shell.errors import BadInput
    from botocore.exceptions import ClientError

    try:
        current, source, name = quotas.current_value(sq, code, service)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("NoSuchResourceException", "IllegalArgumentException"):
            raise
        raise BadInput(f"unknown quota code {code} for service {service} in {region}; the EC2 vCPU codes are: "
                       f"{_known_codes()}",
                       "list them with their values: " + hints.command(ctx, "quota_check", region=region),
                       region=region) from None
    if value <= current:
        raise BadInput(f"--value {value:g} is not above the current value {current:g} of {code} ({source}) "
                       f"in {region}", f"ask for more than {current:g}", region=region,
                       data={"code": code, "region": region, "current": current, "source": source})
    name = name or (BY_CODE[code].name if code in BY_CODE else code)
    pending = quotas.open_requests(sq, region, code, service)
    plan = guard.Plan(actions=[], scope={"region": region, "service": service, "code": code, "value": value})
    if pending:
        p = pending[0]
        plan.skipped.append({"id": code, "type": "servicequotas:quota", "region": region, "name": name,
                             "reason": f"a request is already {p['status'].lower()}: {p['id']} for "
                                       f"{p['desired']:g} (case {p['case_id']})"})
        return plan
    plan.actions.append(guard.Action(
        op="request-increase", type="servicequotas:quota", id=code, region=region, name=name,
        state={"current": current, "source": source, "open": []},
        detail={"service": service, "from": current, "to": value}))
    return plan


@cli.command(app, "quota_request")
def main(
    ctx: cli.Ctx,
    code: Annotated[str, typer.Option("--code", metavar="CODE", help="Quota code, e.g. L-417A185B (P on-demand "
                                                                      "vCPUs); see quota_check.py.")],
    value: Annotated[float, typer.Option("--value", metavar="VALUE", help="The new value wanted (vCPUs for "
                                                                          "EC2 instance quotas); above the current.")],
    service: Annotated[str, typer.Option("--service", help="Service Quotas service code.")] = "ec2",
    confirm: Annotated[str | None, typer.Option(
        "--confirm", metavar="TOKEN", help="Send the request planned by the run without --confirm.")] = None,
) -> Result:
    """Request a quota increase in one region (--region, default the home region). Without --confirm: the plan."""
    from _awswiz.shell.errors import BadInput

    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise BadInput(f"--code must look like L-XXXXXXXX (got {code!r}); the EC2 vCPU codes are: {_known_codes()}",
                       "list them with their values: " + hints.command(ctx, "quota_check"))
    check_value(value, whole=service == "ec2")
    if not re.match(r"^[a-z0-9-]{2,64}$", service):
        raise BadInput(f"--service must be a Service Quotas service code such as ec2 (got {service!r})",
                       "e.g. --service ec2")

    from _awswiz import guard
    from _awswiz.compute import quotas
    from _awswiz.guard.targets import one_region

    region = one_region(ctx)
    sq = ctx.aws.client("service-quotas", region)

    def do(action: guard.Action) -> dict:
        r = quotas.submit(sq, region, code, value, service)
        out = {"request_id": r["id"]}
        out.update({k: r[k] for k in ("case_id", "status", "desired", "console", "case_console") if r.get(k)})
        return out

    return guard.run(ctx, lambda: build_plan(ctx, sq, region, service, code, value), do, confirm=confirm, max_count=1,
                     verify=[hints.command(ctx, "quota_status", region=region)])


if __name__ == "__main__":
    cli.main(app, "quota_request")
