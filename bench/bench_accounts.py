"""Many accounts in one run (issue 22): scan an Organization of ACCOUNTS accounts x REGIONS regions at 100 ms per
call, against the same scan run account by account in sequence.

Starts a seeded sandbox (its Organization: the lab as management account, two member fellows), adds members through
Organizations' CreateAccount until there are ACCOUNTS (each gets the OrganizationAccountAccessRole, as AWS does) and
a volume and an instance of its own in one region (made with that role's credentials), then puts bench/proxy.py
(--latency-ms) in front. It times, through the proxy, with the interpreter directly:
- one account: `scan.py --region <REGIONS> --service SERVICE` (the caller's own account alone);
- all at once: `scan.py --accounts org --region <REGIONS> --service SERVICE`;
- account by account: the same scan once per account (`--accounts ID`, with --skip-self but for the caller's),
  in sequence;
and reports wall time, calls (counted at the proxy), client CPU (the scan and its shard processes) and peak memory
(the largest resident set of one scan process). --service keeps the sandbox's own work (moto, one Python process
answering every call) from being what is measured: ec2 by default.

    uv run --group dev python bench/bench_accounts.py [--accounts 50] [--regions 20] [--latency-ms 100]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import MAXRSS  # noqa: E402
from bench_scan import RESULTS, ROOT, TOOLS, Proxy, Sandbox, clean_env  # noqa: E402

LAB = "123456789012"
ROLE = "OrganizationAccountAccessRole"
# 20 regions (the last three are opt-in ones in AWS; the sandbox answers them all); the seeded ones first
DEFAULT_REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
                   "ap-south-1", "ap-southeast-1", "ap-southeast-2", "ca-central-1", "eu-central-1", "eu-north-1",
                   "eu-west-2", "eu-west-3", "sa-east-1", "us-east-2", "us-west-1", "ap-east-1", "me-south-1",
                   "af-south-1"]


def seed(url: str, accounts: int) -> list[str]:
    """Members until the Organization has `accounts` accounts, each with an instance and a volume; their ids."""
    import boto3

    os.environ.update(clean_env(AWS_ENDPOINT_URL=url))
    org = boto3.client("organizations", region_name="us-east-1")
    have = [a["Id"] for a in org.list_accounts()["Accounts"]]
    for i in range(accounts - len(have)):
        org.create_account(AccountName=f"bench-{i:03d}", Email=f"bench-{i:03d}@lab.example")
    ids = [a["Id"] for p in org.get_paginator("list_accounts").paginate() for a in p["Accounts"]]
    sts = boto3.client("sts", region_name="us-east-1")

    def fill(account: str) -> None:
        if account == LAB:
            return
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}", RoleSessionName="bench")["Credentials"]
        ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"],
                           aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
        ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)
        img = ec2.register_image(Name="bench", Architecture="x86_64", RootDeviceName="/dev/sda1",
                                 VirtualizationType="hvm",
                                 BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])
        ec2.run_instances(ImageId=img["ImageId"], MinCount=1, MaxCount=1, InstanceType="t3.micro")

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fill, ids))
    return ids


def scan(url: str, state: Path, *args: str, workers: int | None = None) -> dict:
    env = clean_env(AWS_ENDPOINT_URL=url, AWSWIZ_STATE_DIR=str(state), AWSWIZ_TIMEOUT="1800",
                    **({"AWSWIZ_WORKERS": str(workers)} if workers else {}))
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", MAXRSS, str(TOOLS / "scan.py"), *args], env=env, capture_output=True,
                       text=True, cwd=ROOT, timeout=3600)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    doc = json.loads(p.stdout)
    rss = json.loads(p.stderr.strip().splitlines()[-1])["max_rss_kb"]
    return {"wall_s": wall, "cpu_s": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, "exit": p.returncode,
            "resources": len((doc["data"] or {}).get("resources", [])), "errors": len(doc["errors"]),
            "max_rss_mb": rss / 1024}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--regions", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--service", default="ec2")
    ap.add_argument("--skip-sequence", action="store_true", help="leave out the account-by-account runs")
    ap.add_argument("--workers", type=int, nargs="*", default=[],
                    help="also the run of all accounts at once with AWSWIZ_WORKERS=N (each N)")
    a = ap.parse_args()
    regions = DEFAULT_REGIONS[:a.regions]
    tmp = Path(tempfile.mkdtemp(prefix="awswiz-accounts-"))
    state = tmp / "tool-state"
    state.mkdir(mode=0o700)
    sandbox = Sandbox(tmp / "sandbox-state")
    common = ("--region", ",".join(regions), "--service", a.service)
    res: dict = {"cpus": os.cpu_count(), "accounts": a.accounts, "regions": len(regions), "service": a.service,
                 "latency_ms": a.latency_ms}
    try:
        t0 = time.perf_counter()
        ids = seed(sandbox.url, a.accounts)
        print(f"seeded {len(ids)} accounts in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        with Proxy(sandbox.url, a.latency_ms) as proxy:
            def timed(label: str, *args: str, workers: int | None = None) -> dict:
                before, cpu = proxy.stats()["calls"], sandbox.cpu_s()
                r = scan(proxy.url, state, *args, workers=workers)
                r["calls"] = proxy.stats()["calls"] - before
                r["sandbox_cpu_s"] = round((sandbox.cpu_s() or 0) - (cpu or 0), 1)
                print(f"  {label}: {r['wall_s']:.1f} s, {r['calls']} calls, client CPU {r['cpu_s']:.1f} s, "
                      f"{r['max_rss_mb']:.0f} MB, {r['resources']} resources, exit {r['exit']}, "
                      f"sandbox CPU {r['sandbox_cpu_s']} s", file=sys.stderr, flush=True)
                return r

            timed("warm-up", *common)
            res["one_account"] = timed("one account", *common)
            res["all_at_once"] = timed(f"{len(ids)} accounts at once", "--accounts", "org", *common)
            for n in a.workers:
                res[f"all_at_once_workers_{n}"] = timed(f"{len(ids)} accounts at once, AWSWIZ_WORKERS={n}",
                                                        "--accounts", "org", *common, workers=n)
            if not a.skip_sequence:
                seq = [timed(f"account {i}", "--accounts", i, *(["--skip-self"] if i != LAB else []), *common)
                       for i in ids]
                res["one_by_one"] = {"wall_s": sum(r["wall_s"] for r in seq), "cpu_s": sum(r["cpu_s"] for r in seq),
                                     "calls": sum(r["calls"] for r in seq),
                                     "max_rss_mb": max(r["max_rss_mb"] for r in seq),
                                     "resources": sum(r["resources"] for r in seq),
                                     "exits": sorted({r["exit"] for r in seq})}
    finally:
        sandbox.stop()
    for k in ("one_account", "all_at_once", *(f"all_at_once_workers_{n}" for n in a.workers), "one_by_one"):
        if k in res:
            x = res[k]
            print(f"{k}: wall {x['wall_s']:.1f} s, calls {x['calls']}, client CPU {x['cpu_s']:.1f} s, peak RSS "
                  f"{x['max_rss_mb']:.0f} MB, {x['resources']} resources")
    if "one_account" in res:
        print(f"all at once / one account: {res['all_at_once']['wall_s'] / res['one_account']['wall_s']:.1f}x wall")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"accounts-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(res, indent=2, default=str))
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
