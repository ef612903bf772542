"""Collect one snapshot of the account: every (region x resource type) list call on one pool.

Follow-up calls that depend on a first answer (GPU details for the instance types a region runs,
each bucket's region and tags) join the same pool as soon as that answer arrives.
"""

from __future__ import annotations

from _awswiz.aws import lean
from _awswiz.aws.client import paginate
from _awswiz.aws.fanout import FanOut
from _awswiz.inventory import instance_types
from _awswiz.inventory.open_rules import open_ports
from _awswiz.inventory.table import Row, reads, tag_map, to_record
from _awswiz.shell.errors import DENIED_CODES

GLOBAL = "global"


def _described_types(client, types: list[str]) -> list[dict]:
    """DescribeInstanceTypes for up to 100 types. AWS fails the whole call with InvalidInstanceType when one
    type is unknown in the region (a retired or previous-generation type an old instance still runs), naming
    them: "The following supplied instance types do not exist: [m3.medium]". Those are left out (their
    instances get no GPU details) and the call is made once more for the rest."""
    import re

    try:
        return client.describe_instance_types(InstanceTypes=types)["InstanceTypes"]
    except Exception as exc:
        err = getattr(exc, "response", {}).get("Error", {})
        named = re.search(r"\[([^\]]*)\]", err.get("Message", "")) if err.get("Code") == "InvalidInstanceType" else None
        unknown = {t.strip() for t in named.group(1).split(",")} if named else set()
        rest = [t for t in types if t not in unknown]
        if not unknown or len(rest) == len(types):
            raise
        return client.describe_instance_types(InstanceTypes=rest)["InstanceTypes"] if rest else []


def gpu_specs(client, types: list[str]) -> dict[str, dict]:
    """Accelerator count and model (GPUs, Trainium, Inferentia: instance_types.spec, the one reader of
    DescribeInstanceTypes), and vCPUs, for instance types (one call per 100 types)."""
    out: dict[str, dict] = {}
    for i in range(0, len(types), 100):
        for t in _described_types(client, types[i:i + 100]):
            acc = instance_types.spec(t)["gpu"] or {}
            out[t["InstanceType"]] = {
                "vcpus": t["VCpuInfo"]["DefaultVCpus"],
                "gpus": acc.get("count") or 0,
                "gpu_model": " ".join(x for x in (acc.get("maker"), acc.get("model")) if x) or None,
            }
    return out


# what _shape reads of an item beyond the row's own paths (resources.reads)
SHAPE_READS = {"ec2:instance": ("InstanceLifecycle",), "ec2:elastic-ip": ("AssociationId",),
               "vpc:security-group": ("GroupName", "IpPermissions", "GroupId")}


def item_reads(row: Row) -> list[str]:
    """Every path the scan reads within an item of the row: the list call's answer is parsed for these only."""
    return reads(row) + list(SHAPE_READS.get(row.type, ()))


def _shape(row: Row, item, region: str) -> dict:
    rec = to_record(row, item, region)
    if row.type == "ec2:instance":
        rec["market"] = "spot" if item.get("InstanceLifecycle") == "spot" else "on-demand"
    elif row.type == "ec2:elastic-ip":
        rec["state"] = "associated" if item.get("AssociationId") else "unassociated"
    elif row.type == "vpc:security-group":
        rec["default"] = item.get("GroupName") == "default"
        if ports := open_ports(item.get("IpPermissions")):
            rec["open_to_world"] = ports
        refs = {g["GroupId"] for p in item.get("IpPermissions", []) for g in p.get("UserIdGroupPairs", [])}
        if refs - {item["GroupId"]}:
            rec["references"] = sorted(refs - {item["GroupId"]})
    return rec


def collect(aws, regions: list[str], rows: list[Row], progress=None, tags: bool = False, also=None) \
        -> tuple[list[dict], list[dict], int]:
    """All records of the rows in the regions (global rows once), the error entries, and how many
    calls succeeded (none at all means the run failed, rather than was partial).

    tags: also fetch the tags that list calls do not return (load balancers: one call per 20; IAM users
    and roles: one call each), for a tag filter; otherwise those records keep empty tags.
    also(fan): submits a caller's own questions to the parent's pool at the start, so they are asked at once with
    the collection (scan's list prices); they keep their answers themselves (not in the records).
    A scan of many regions is sharded over worker processes (shard.py); the result is the same."""
    from _awswiz.aws import shard

    parts = shard.split(regions, shard.count(len(regions)))
    regional = [r for r in rows if r.scope != "global"]
    children = []
    if len(parts) > 1 and regional:
        for part in parts[1:]:  # forked before this process starts any thread of its own
            children.append(shard.Child(part, lambda p, part=part: _gather(aws, part, regional, p, tags,
                                                                            in_child=True), progress))
    else:
        parts = [regions]
    records, errors, succeeded = _gather(aws, parts[0], rows, progress, tags, wanted=regions, also=also)
    error_groups = [errors]
    for child in children:
        recs, errs, n = child.join()
        records += recs
        error_groups.append(errs)
        succeeded += n
    errors = shard.merge_errors(error_groups) if children else errors
    # buckets live in one region each: keep those of the regions asked for
    wanted = set(regions)
    records = [r for r in records if r["type"] != "s3:bucket" or r["region"] in wanted | {GLOBAL}]
    records.sort(key=lambda r: (r["type"], r["region"], str(r["name"] or ""), str(r["id"])))
    mark_defaults(records)
    return records, errors, succeeded


def _gather(aws, regions: list[str], rows: list[Row], progress, tags: bool, in_child: bool = False,
            wanted: list[str] = (), also=None) -> tuple[list[dict], list[dict], int]:
    """One process's share: its regions' rows (and the global rows and the account, in the parent, with
    `wanted` the scan's regions: the buckets of other regions are left out, so their tags are not asked)."""
    if in_child:
        aws.forget_clients()  # the parent's connections are not this process's
    fan = FanOut(aws.workers, progress)
    if not in_child:
        fan.submit("account", aws.account_id, aws.home_region, "sts:GetCallerIdentity")
    if also:  # after the shards are forked: no thread of ours exists before a fork
        also(fan)
    offered: dict[str, set] = {}

    def in_service(service: str, region: str) -> bool:
        if service not in offered:
            offered[service] = set(aws.session.get_available_regions(service)) or set(regions)
        return region in offered[service]

    def task(row: Row, region: str):
        def run():
            client = aws.client(row.service, None if region == GLOBAL else region)
            with lean.only(client, row.call, row.items, item_reads(row)):
                items = paginate(client, row.call, row.items, **row.kwargs)
            recs = [_shape(row, i, region) for i in items]
            if row.type == "ec2:instance" and recs:
                fan.submit(("gpu", region), lambda: _add_gpus(client, recs), region, "ec2:DescribeInstanceTypes")
            if tags and row.type in ELB_TAGGED:
                for i in range(0, len(recs), ELB_TAG_BATCH):
                    batch = recs[i:i + ELB_TAG_BATCH]
                    fan.submit(("elb-tags", region, i), lambda b=batch: _elb_tags(client, b), region,
                               "elbv2:DescribeTags")
            if row.type == "ecs:cluster" and recs:
                fan.submit(("ecs-status", region), lambda: _ecs_status(client, recs), region, "ecs:DescribeClusters")
            if tags and row.type in IAM_TAGS:
                for rec in recs:
                    fan.submit(("iam-tags", row.type, rec["id"]), lambda rec=rec: _iam_tags(client, rec), None,
                               f"{row.type} {rec['id']} tags")
            if row.type == "s3:bucket":
                by_region: dict[str, list] = {}
                for rec in recs:
                    if rec.get("bucket_region"):
                        rec["region"] = rec.pop("bucket_region")
                        by_region.setdefault(rec["region"], []).append(rec)
                    else:  # an answer without BucketRegion: the bucket's own calls
                        fan.submit(("bucket", rec["id"]), lambda rec=rec: _bucket_details(aws, rec), None,
                                   f"s3 bucket {rec['id']}")
                for where, group in by_region.items():
                    if where not in wanted:  # dropped by collect(): placed, not asked
                        continue
                    fan.submit(("bucket-tags", where), lambda w=where, g=group: _bucket_tags(aws, w, g), where,
                               "tagging:GetResources (s3 buckets)")
            return recs

        return run

    for row in rows:
        if row.scope == "global":
            fan.submit((row.type, GLOBAL), task(row, GLOBAL), None, row.type)
            continue
        for region in regions:
            if in_service(row.service, region):
                fan.submit((row.type, region), task(row, region), region, row.type)
    results, errors = fan.wait()
    types = {r.type for r in rows}
    records = [rec for key, value in results.items() if isinstance(key, tuple) and key[0] in types
               for rec in value]
    return records, errors, len(results)


def mark_defaults(records: list[dict]) -> None:
    """What AWS made by itself is marked default: the default VPC and what lives in it (its subnets,
    route tables, internet gateway), and every VPC's default security group."""
    default_vpcs = {r["id"] for r in records if r["type"] == "vpc:vpc" and r.get("default")}
    for r in records:
        if r["type"] in ("vpc:subnet", "vpc:route-table") and r.get("vpc") in default_vpcs:
            r["default"] = True
        elif r["type"] == "vpc:internet-gateway" and set(r.get("vpcs", [])) & default_vpcs:
            r["default"] = True


def _add_gpus(client, recs: list[dict]) -> None:
    specs = gpu_specs(client, sorted({r["instance_type"] for r in recs if r.get("instance_type")}))
    for r in recs:
        spec = specs.get(r.get("instance_type"), {})
        r["vcpus"] = spec.get("vcpus")
        r["gpus"] = spec.get("gpus", 0)
        if spec.get("gpu_model"):
            r["gpu_model"] = spec["gpu_model"]


# "ResourceArns: The Amazon Resource Names (ARN) of the resources. You can specify up to 20 resources in a
# single call." (Elastic Load Balancing API Reference, DescribeTags)
ELB_TAG_BATCH = 20
ELB_TAGGED = ("elb:load-balancer", "elb:target-group")  # DescribeTags takes load balancer and target group ARNs
# IAM's list calls leave tags out ("This operation does not return the following attributes, even though
# they are an attribute of the returned object: PermissionsBoundary, RoleLastUsed, Tags": IAM API
# Reference, ListRoles; the same for ListUsers), and IAM has no batch tag call: one ListRoleTags or
# ListUserTags per role or user, made only when a tag filter needs them.
IAM_TAGS = {"iam:user": ("list_user_tags", "UserName"), "iam:role": ("list_role_tags", "RoleName")}


def _elb_tags(client, recs: list[dict]) -> None:
    found = client.describe_tags(ResourceArns=[r["id"] for r in recs])["TagDescriptions"]
    by_arn = {d["ResourceArn"]: tag_map(d.get("Tags")) for d in found}
    for r in recs:
        r["tags"] = by_arn.get(r["id"], {})


def _ecs_status(client, recs: list[dict]) -> None:
    """Each ECS cluster's status (ListClusters names no status); deleted (INACTIVE) clusters are left out: they
    "might remain discoverable in your account for a period of time" (Amazon ECS API Reference, DeleteCluster)."""
    status = {}
    for i in range(0, len(recs), 100):  # DescribeClusters takes up to 100 clusters
        for c in client.describe_clusters(clusters=[r["id"] for r in recs[i:i + 100]])["clusters"]:
            status[c["clusterArn"]] = c.get("status")
    for r in recs:
        r["state"] = status.get(r["id"])
    recs[:] = [r for r in recs if r["state"] != "INACTIVE"]


def _iam_tags(client, rec: dict) -> None:
    call, param = IAM_TAGS[rec["type"]]
    rec["tags"] = tag_map(paginate(client, call, "Tags", **{param: rec["id"]}))


def _bucket_tags(aws, region: str, recs: list[dict]) -> None:
    """The tags of a region's buckets from one paginated GetResources (Resource Groups Tagging API: "all the
    tagged or previously tagged resources that are located in the specified Region", 100 a page), rather than
    a GetBucketTagging per bucket (~4 ms of client CPU each). A bucket it does not list has no tags. Where the
    caller may not call it, each bucket is asked itself, as before."""
    try:
        found = paginate(aws.client("resourcegroupstaggingapi", region), "get_resources", "ResourceTagMappingList",
                         ResourceTypeFilters=["s3"])
    except Exception as exc:  # noqa: BLE001 - sorted below
        if getattr(exc, "response", {}).get("Error", {}).get("Code") not in DENIED_CODES:
            raise
        for rec in recs:
            _bucket_details(aws, rec)
        return
    # arn:<partition>:s3:::<bucket>; objects (".../key") and access points (arn:...:s3:<region>:...) are not buckets
    tags = {m["ResourceARN"].split(":::", 1)[1]: tag_map(m.get("Tags")) for m in found
            if ":s3:::" in m["ResourceARN"] and "/" not in m["ResourceARN"]}
    for rec in recs:
        rec["tags"] = tags.get(rec["id"], {})


def _bucket_details(aws, rec: dict) -> None:
    """A bucket's region (when ListBuckets did not say) and its tags."""
    region = rec["region"] if rec["region"] != GLOBAL else None  # from ListBuckets' BucketRegion, when it said
    if not region:
        region = aws.client("s3").get_bucket_location(Bucket=rec["id"]).get("LocationConstraint") or "us-east-1"
    rec["region"] = region
    try:
        tags = aws.client("s3", region).get_bucket_tagging(Bucket=rec["id"])["TagSet"]
        rec["tags"] = tag_map(tags)
    except Exception as exc:  # noqa: BLE001 - NoSuchTagSet is the normal answer for an untagged bucket
        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchTagSet":
            exc.awswiz_region = region
            raise
