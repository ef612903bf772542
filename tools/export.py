#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29"]
# ///
"""Export a lab grown by hand as Terraform (resources that refer to each other, adopted by import blocks) or
CloudFormation (a template and the identifiers of an IMPORT change set); or, with --drift DIR, list what changed
since an export. Read-only: it never changes AWS; it writes files only under --out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.guard.targets import one_region, split_ids
from _awswiz.shell.errors import EXIT_PARTIAL, BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)
FORMATS = ["terraform", "cloudformation"]


def render(console, data) -> None:
    from _awswiz.shell.output import table

    if "differences" in data:
        rows = [[d["id"], d["attribute"], str(d.get("exported")), str(d.get("live"))] for d in data["differences"]]
        rows += [[g["id"], "(gone)", g["type"], ""] for g in data["gone"]]
        rows += [[n["id"], "(new)", "", n["type"]] for n in data["new"]]
        console.print(table(f"Drift of {data['out']}", ["Resource", "Attribute", "Exported", "Live"], rows))
        return
    console.print(table(f"Exported to {data['out']}", ["Type", "Count"], sorted(data["by_type"].items())))


@cli.command(app, "export")
def main(
    ctx: cli.Ctx,
    format_: Annotated[str, typer.Option("--format", metavar="terraform|cloudformation",
                                         help="What to write.")] = "terraform",
    vpc: Annotated[list[str] | None, typer.Option("--vpc", metavar="ID",
                                                  help="A VPC and everything in it (repeatable).")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", metavar="KEY=VALUE",
                                                  help="What carries the tag (repeatable: all of them).")] = None,
    id_: Annotated[list[str] | None, typer.Option(
        "--id", metavar="ID", help="An id (vpc-, subnet-, sg-, i-, vol-, ...) or a bucket, role or key pair "
                                   "name (repeatable).")] = None,
    out: Annotated[str | None, typer.Option("--out", metavar="DIR", help="Where to write (default "
                                            ".state/exports/REGION-SELECTOR); new, empty, or an earlier "
                                            "export.")] = None,
    drift: Annotated[str | None, typer.Option("--drift", metavar="DIR", help="Compare the export in DIR with "
                                              "what is live: exit 0 when none, 3 when some.")] = None,
) -> Result:
    """Export resources as Terraform or CloudFormation, or list drift since an export (--drift DIR)."""
    from _awswiz.iac import files
    from _awswiz.shell import hints

    if drift:
        folder = Path(drift).expanduser().absolute()
        manifest = files.load_manifest(folder)
        if manifest is None:
            raise BadInput(f"--drift {drift} is not an export (no {files.MANIFEST} in it)",
                           "give a folder written by export.py --out")
        if vpc or tag or id_ or out:
            raise BadInput("--drift takes only the folder: the selection is the export's own", "")
        from _awswiz.iac import drift as drift_mod

        account = ctx.aws.account_id()
        if manifest.get("account") and manifest["account"] != account:
            raise BadInput(f"--drift {drift} was exported from account {manifest['account']}; these credentials "
                           f"are account {account}", "use the profile of the exported account (--profile)")
        data = drift_mod.compare(ctx.aws, manifest)
        data["out"] = str(folder)
        return Result(data=data, render=render, exit_code=EXIT_PARTIAL if data["drifted"] else None)
    if format_ not in FORMATS:
        raise BadInput(f"--format must be one of: {', '.join(FORMATS)} (got {format_!r})", "e.g. --format terraform")
    tags = cli.parse_tags(tag, strict=True)
    vpcs, ids = split_ids(ctx, vpc, "--vpc"), split_ids(ctx, id_)  # the core's rule: blank names nothing
    if not (vpcs or tags or ids):
        raise BadInput("give a selection: --vpc ID, --tag KEY=VALUE or --id ID",
                       "e.g. " + hints.command(ctx, "export", "--vpc", "vpc-0abc", "--region", "us-east-1"))
    for v in vpcs:
        if not v.startswith("vpc-"):
            raise BadInput(f"--vpc must be a VPC id, vpc-... (got {v!r})",
                           hints.command(ctx, "scan", "--service", "vpc"))
    region = one_region(ctx, reads="an export")
    folder = Path(out).expanduser().absolute() if out else None
    if folder is not None:
        files.check_out(folder)
    from _awswiz.iac import read

    ctx.aws.identity()
    resources, skipped = read.read(ctx.aws, region, vpcs, tags, ids, scope=hints.Scope.of(ctx))
    folder = folder or files.default_dir(region, vpcs, tags, ids)
    files.check_out(folder)
    if format_ == "terraform":
        from _awswiz.iac import terraform

        written = terraform.files(resources, region)
        addresses = terraform.addresses(resources)
    else:
        from _awswiz.iac import cloudformation

        written, more = cloudformation.files(resources)
        skipped += more
        addresses = cloudformation.addresses(resources)
    import json

    manifest = {"awswiz_export": 1, "format": format_, "region": region, "account": ctx.aws.account_id(),
                "selection": {"vpc": vpcs, "tag": tags, "id": ids}, "resources": resources, "skipped": skipped}
    written[files.MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True) + "\n"
    names = files.write(folder, written)
    by_type: dict[str, int] = {}
    for r in resources:
        by_type[r["type"]] = by_type.get(r["type"], 0) + 1
    nxt = [hints.command(ctx, "export", "--drift", str(folder), region=region)]
    data = {"format": format_, "region": region, "out": str(folder), "files": names, "resources": len(resources),
            "by_type": by_type, "addresses": addresses, "skipped": skipped}
    return Result(data=data, next=nxt, render=render)


if __name__ == "__main__":
    cli.main(app, "export")
