"""The plain concurrent boto3 reference: what a user would write instead of scan.py.

A thread pool over exactly the calls the scan makes (same regions, rows, kwargs, pagination and
follow-ups: GPU details per region running instances, the buckets' tags per bucket region), with plain boto3
clients (one per service and region, made under a lock: a boto3 session is not thread-safe), standard
retries, nothing else: no deadline, no progress, no error entries, no records. Run as its own process
(bench_scan.py times it from outside, as it times the scan), it prints one JSON line:
{"calls", "clients", "regions", "ids": [[type, region, id], ...]}.

    AWS_ENDPOINT_URL=http://127.0.0.1:PORT python bench/reference.py [--threads 32]
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import boto3
import jmespath
from botocore.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from _awswiz.inventory.table import ROWS


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=32)
    a = ap.parse_args()
    session = boto3.Session()
    config = Config(retries={"mode": "standard", "max_attempts": 10}, max_pool_connections=a.threads,
                    s3={"addressing_style": "path"})  # a plain host:port cannot serve virtual-hosted names
    clients: dict[tuple[str, str], object] = {}
    lock = threading.Lock()
    calls = [0]
    ids: set[tuple[str, str, str]] = set()
    pool = ThreadPoolExecutor(max_workers=a.threads)
    futures = []

    def client(service: str, region: str = "us-east-1"):
        with lock:
            if (service, region) not in clients:
                clients[service, region] = session.client(service, region_name=region, config=config)
            return clients[service, region]

    def call(c, op: str, **kw):
        with lock:
            calls[0] += 1
        return getattr(c, op)(**kw)

    def submit(fn, *args):
        with lock:
            futures.append(pool.submit(fn, *args))

    def bucket(name: str, bucket_region: str | None):  # a bucket ListBuckets gave no region: its own calls
        region = bucket_region or call(client("s3"), "get_bucket_location", Bucket=name).get(
            "LocationConstraint") or "us-east-1"
        with lock:
            ids.add(("s3:bucket", region, name))
        try:
            call(client("s3", region), "get_bucket_tagging", Bucket=name)
        except Exception as exc:  # noqa: BLE001 - NoSuchTagSet: an untagged bucket
            if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchTagSet":
                raise

    def bucket_tags(region: str, names: list[str]):  # as the scan: one GetResources per bucket region
        with lock:
            ids.update(("s3:bucket", region, n) for n in names)
        for _page in client("resourcegroupstaggingapi", region).get_paginator("get_resources").paginate(
                ResourceTypeFilters=["s3"]):
            with lock:
                calls[0] += 1

    def listing(row, region: str):
        c = client(row.service, "us-east-1" if region == "global" else region)
        items = []
        if c.can_paginate(row.call):
            for page in c.get_paginator(row.call).paginate(**row.kwargs):
                with lock:
                    calls[0] += 1
                items += [i for i in (jmespath.search(row.items, page) or []) if i is not None]
        else:
            items = jmespath.search(row.items, call(c, row.call, **row.kwargs)) or []
        if row.type == "s3:bucket":
            by_region: dict[str, list] = {}
            for b in items:
                if b.get("BucketRegion"):
                    by_region.setdefault(b["BucketRegion"], []).append(b["Name"])
                else:
                    submit(bucket, b["Name"], None)
            for where, names in by_region.items():
                submit(bucket_tags, where, names)
            return
        found = {(row.type, region, str(i if row.id == "@" else jmespath.search(row.id, i))) for i in items}
        with lock:
            ids.update(found)
        if row.type == "ec2:instance" and items:
            types = sorted({i["InstanceType"] for i in items if i.get("InstanceType")})
            for k in range(0, len(types), 100):
                submit(lambda t=types[k:k + 100]: call(c, "describe_instance_types", InstanceTypes=t))

    submit(lambda: call(client("sts"), "get_caller_identity"))
    known = set(session.get_available_regions("ec2", partition_name="aws"))
    regions = sorted(r["RegionName"] for r in call(client("ec2"), "describe_regions", AllRegions=True)["Regions"]
                     if r["RegionName"] in known and r.get("OptInStatus") != "not-opted-in")
    for row in ROWS:
        if row.scope == "global":
            submit(listing, row, "global")
            continue
        offered = set(session.get_available_regions(row.service)) or set(regions)
        for region in regions:
            if region in offered:
                submit(listing, row, region)
    while True:  # follow-ups join the pool while it runs
        with lock:
            pending = [f for f in futures if not f.done()]
        if not pending:
            break
        wait(pending)
    for f in futures:
        f.result()
    pool.shutdown()
    print(json.dumps({"calls": calls[0], "clients": len(clients), "regions": len(regions), "ids": sorted(ids)}))


if __name__ == "__main__":
    main()
