"""Collect one snapshot of the account: every (region x resource type) list call on one pool.

Follow-up calls that depend on a first answer (GPU details for the instance types a region runs, each bucket's
region and tags: each type's Row.follow, in its file of types/) join the same pool as soon as that answer arrives.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass

from _awswiz.aws import lean
from _awswiz.aws.client import paginate, pool_size
from _awswiz.aws.fanout import FanOut
from _awswiz.inventory import defaults
from _awswiz.inventory.table import Row, reads, tag_map, to_record

GLOBAL = "global"


def collect(aws, regions: list[str], rows: list[Row], progress=None, tags: bool = False, also=None,
            members: list[tuple[str, object, list[str]]] | None = None) -> tuple[list[dict], list[dict], int]:
    """All records of the rows in the regions (global rows once), the error entries, and how many
    calls succeeded (none at all means the run failed, rather than was partial).

    tags: also fetch the tags that list calls do not return (load balancers: one call per 20; IAM users
    and roles: one call each), for a tag filter; otherwise those records keep empty tags.
    also(fan): submits a caller's own questions to the parent's pool at the start, so they are asked at once with
    the collection (scan's list prices); they keep their answers themselves (not in the records).
    members: a run of several accounts (issue 22): [(account, its Aws, its regions)]; every (account x region) goes
    on the same pool and shards, each record and error names its account.
    A scan of many regions is sharded over worker processes (shard.py); the result is the same."""
    from _awswiz.aws import shard

    if members is not None and not members:  # no account could be entered: nothing to ask
        return [], [], 0
    places = [(a, m, r) for a, m, rs in members for r in rs] if members is not None else \
        [(None, aws, r) for r in regions]
    heads = [(a, m) for a, m, _ in members] if members is not None else [(None, aws)]
    wanted = {(a, r) for a, _, r in places}
    parts = shard.split(places, shard.count(len(places)))
    regional = [r for r in rows if r.scope != "global"]
    children = []
    if len(parts) > 1 and regional:
        for part in parts[1:]:  # forked before this process starts any thread of its own
            children.append(shard.Child(sorted({r for _, _, r in part}),
                                        lambda p, part=part: _gather(part, [], regional, p, tags, in_child=True),
                                        progress, accounts=sorted({a for a, _, _ in part if a})))
    else:
        parts = [places]
    records, errors, succeeded = _gather(parts[0], heads, rows, progress, tags, wanted=wanted, also=also)
    error_groups = [errors]
    for child in children:
        recs, errs, n = child.join()
        records += recs
        error_groups.append(errs)
        succeeded += n
    errors = shard.merge_errors(error_groups) if children else errors
    # a record a follow-up placed elsewhere (a bucket lives in one region) is kept only in the regions asked for
    records = [r for r in records if r["region"] == GLOBAL or (r.get("account"), r["region"]) in wanted]
    records.sort(key=lambda r: (r.get("account") or "", r["type"], r["region"], str(r["name"] or ""), str(r["id"])))
    defaults.mark(records)  # what AWS made by itself (defaults.py: its markers)
    return records, errors, succeeded


def _gather(places: list[tuple], heads: list[tuple], rows: list[Row], progress, tags: bool, in_child: bool = False,
            wanted=(), also=None) -> tuple[list[dict], list[dict], int]:
    """One process's share: its (account, aws, region) places' rows (and the global rows of each account of `heads`
    and the account, in the parent, with `wanted` the scan's (account, region) pairs: the buckets of other regions
    are left out, so their tags are not asked)."""
    if in_child:
        for aws in {id(m): m for _, m, _ in places}.values():
            aws.forget_clients()  # the parent's connections are not this process's
    workers = (places[0][1] if places else heads[0][1]).workers
    fan = FanOut(pool_size(workers, len({a for a, *_ in places} | {a for a, _ in heads})), progress)
    if not in_child and len(heads) == 1 and heads[0][0] is None:
        aws = heads[0][1]
        fan.submit("account", aws.account_id, aws.home_region, "sts:GetCallerIdentity")
    if also:  # after the shards are forked: no thread of ours exists before a fork
        also(fan)
    offered: dict[str, set] = {}
    every = {r for _, _, r in places}

    def in_service(aws, service: str, region: str) -> bool:
        if service not in offered:
            offered[service] = set(aws.session.get_available_regions(service)) or every
        return region in offered[service]

    def task(account, aws, row: Row, region: str):
        mine = {r for a, r in wanted if a == account}

        def submit(key, fn, where=None, what=""):
            fan.submit(("follow", account, key), fn, where, what, account)

        def run():
            client = aws.client(row.service, None if region == GLOBAL else region)
            with lean.only(client, row.call, row.items, reads(row)):
                items = paginate(client, row.call, row.items, **row.kwargs)
            recs = [to_record(row, i, region) for i in items]
            if account:
                for rec in recs:
                    rec["account"] = account
            if row.follow and recs:
                row.follow(Job(aws, client, region, tags, mine, submit if account else fan.submit), recs)
            return recs

        return run

    for row in rows:
        if row.scope == "global":
            for account, aws in heads:
                fan.submit((row.type, GLOBAL, account), task(account, aws, row, GLOBAL), None, row.type, account)
            continue
        for account, aws, region in places:
            if in_service(aws, row.service, region):
                fan.submit((row.type, region, account), task(account, aws, row, region), region, row.type, account)
    results, errors = fan.wait()
    types = {r.type for r in rows}
    records = [rec for key, value in results.items() if isinstance(key, tuple) and key[0] in types
               for rec in value]
    return records, errors, len(results)


@dataclass(frozen=True)
class Job:
    """What a type's follow-up (Row.follow: (job, records)) gets: the client that answered, its region (GLOBAL
    for a global row), whether tags are wanted (a tag filter), the scan's regions (in the parent process), and
    submit(key, fn, region, what) to add a call to the same pool (a key's first item is never a type)."""

    aws: object
    client: object
    region: str
    tags: bool
    wanted: Collection[str]
    submit: Callable


# "ResourceArns: The Amazon Resource Names (ARN) of the resources. You can specify up to 20 resources in a
# single call." (Elastic Load Balancing API Reference, DescribeTags)
ELB_TAG_BATCH = 20


def elb_tags(job: Job, recs: list[dict]) -> None:
    """Follow-up of load balancers and target groups (DescribeTags takes both ARNs), for a tag filter."""
    if not job.tags:
        return
    for i in range(0, len(recs), ELB_TAG_BATCH):
        batch = recs[i:i + ELB_TAG_BATCH]
        job.submit(("elb-tags", job.region, i), lambda b=batch: _elb_tags(job.client, b), job.region,
                   "elbv2:DescribeTags")


def _elb_tags(client, recs: list[dict]) -> None:
    found = client.describe_tags(ResourceArns=[r["id"] for r in recs])["TagDescriptions"]
    by_arn = {d["ResourceArn"]: tag_map(d.get("Tags")) for d in found}
    for r in recs:
        r["tags"] = by_arn.get(r["id"], {})


def iam_tags(call: str, param: str) -> Callable[[Job, list[dict]], None]:
    """Follow-up of IAM users or roles, for a tag filter. IAM's list calls leave tags out ("This operation does
    not return the following attributes, even though they are an attribute of the returned object:
    PermissionsBoundary, RoleLastUsed, Tags": IAM API Reference, ListRoles; the same for ListUsers), and IAM has
    no batch tag call: one `call` (ListUserTags, ListRoleTags) per user or role, made only when a filter needs it."""
    def follow(job: Job, recs: list[dict]) -> None:
        if not job.tags:
            return
        for rec in recs:
            job.submit(("iam-tags", rec["type"], rec["id"]), lambda rec=rec: read(job.client, rec), None,
                       f"{rec['type']} {rec['id']} tags")

    def read(client, rec: dict) -> None:
        rec["tags"] = tag_map(paginate(client, call, "Tags", **{param: rec["id"]}))

    return follow
