#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""The latest Deep Learning AMIs (public SSM parameters, else Amazon's images by name), newest first, and
whether this account can launch each one (a DryRun launch: subscribed, needs subscription, unknown)."""

from __future__ import annotations

import enum
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.shell import hints
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


class Framework(enum.StrEnum):
    pytorch = "pytorch"
    tensorflow = "tensorflow"
    base = "base"


class Arch(enum.StrEnum):
    x86_64 = "x86_64"
    arm64 = "arm64"


def render(console, data) -> None:
    from _awswiz.shell.fit import Col
    from _awswiz.shell.output import table

    colour = {"subscribed": "green", "needs-subscription": "yellow", "unknown": "dim"}
    rows = []
    for i in data["images"]:
        st = i["launch"]["status"]
        link = f" {i['launch']['link']}" if i["launch"].get("link") else ""
        rows.append([i["region"], i["id"], i["name"], (i["created"] or "")[:10], i["arch"],
                     f"[{colour.get(st, 'dim')}]{st}[/]{link}"])
    console.print(table(f"Deep Learning AMIs: {data['framework']} {data['arch']} (newest first)",
                        ["Region", "Image", Col("Name", flex=True), "Created", "Arch", Col("Launch", flex=True)], rows,
                        f"DryRun launch as {data['check_type']}"))


@cli.command(app, "ami")
def main(
    ctx: cli.Ctx,
    framework: Annotated[Framework, typer.Option("--framework", help="pytorch, tensorflow or base.")] =
    Framework.pytorch,
    arch: Annotated[Arch, typer.Option("--arch", help="x86_64 or arm64.")] = Arch.x86_64,
    type_: Annotated[str | None, typer.Option(
        "--type", metavar="TYPE", help="Instance type for the DryRun launch check (default g5.xlarge, "
                                       "g5g.xlarge on arm64).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=20, help="Images per region, newest first.")] = 5,
) -> Result:
    """The latest Deep Learning AMIs (default: the home region) and whether this account can launch them."""
    from _awswiz.compute import amis
    from _awswiz.shell.errors import BadInput

    if type_ is not None and "." not in type_:
        raise BadInput(f"--type must be an instance type such as g5.xlarge (got {type_!r})",
                       hints.command(ctx, "list_instances", "--filter", "g5"))
    check_type = type_ or amis.CHECK_TYPE[arch.value]
    regions, skipped = ctx.regions(default=ctx.aws.home_region)

    from _awswiz.aws.fanout import FanOut

    with ctx.progress("finding images", 0) as bar:
        fan = FanOut(ctx.aws.workers, bar)
        fan.submit("account", ctx.aws.account_id, ctx.aws.home_region, "sts:GetCallerIdentity")

        def region_task(r: str):
            ec2 = ctx.aws.client("ec2", r)
            images, source, why = amis.find(ec2, ctx.aws.client("ssm", r), arch.value, framework.value,
                                              amis.neuron_type(check_type))
            for img in images[:limit]:
                img["region"], img["source"] = r, source
                fan.submit(("check", r, img["id"]), lambda i=img: i.update(
                    launch=amis.launch_check(ec2, i["id"], check_type)), r, "RunInstances DryRun")
            return {"images": images[:limit], "source": source, "note": why}

        for r in regions:
            fan.submit(("find", r), lambda r=r: region_task(r), r, "DescribeImages")
        results, errors = fan.wait()
    images, sources = [], {}
    for r in regions:
        found = results.get(("find", r))
        if found:
            sources[r] = {"source": found["source"], **({"note": found["note"]} if found["note"] else {})}
            for img in found["images"]:
                img.setdefault("launch", {"status": "unknown", "reason": "the DryRun check failed"})
                images.append(img)
    best = {}
    for img in images:
        if img["launch"]["status"] == "subscribed":
            best.setdefault(img["region"], img["id"])
    data = {"framework": framework.value, "arch": arch.value, "check_type": check_type, "regions": regions,
            "skipped_regions": skipped, "sources": sources, "images": images, "best": best}
    nxt = [hints.command(ctx, "quota_check", "--need", check_type, region=r) for r in list(best)[:1]]
    return Result(data=data, errors=errors, next=nxt, render=render)


if __name__ == "__main__":
    cli.main(app, "ami")
