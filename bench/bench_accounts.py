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
and reports wall time, calls (counted at the proxy), client CPU (the scan and its shard processes), peak memory
(the largest resident set of one scan process), and the CPU the proxy and the sandbox spent meanwhile (both share
the machine with the client). --service keeps the sandbox's own work (moto, one Python process answering every
call) from being what is measured: ec2 by default.

--replay: the timed runs get their answers from the proxy alone. A first pass (untimed) runs every timed command
once through the proxy in mode "record", which keeps each answer the sandbox gave, keyed by the request (the
account of its credentials, region, service, action and parameters); then the proxy switches to "replay" and
answers each request from that record after the same latency, so the emulator does no work while the client is
timed (a request not in the record is forwarded to the sandbox and counted as `missed`). What replay measures: the
client (its wall time, CPU, memory, calls) given the answers the sandbox stands in for AWS with, each after the
fixed latency, with the machine's cores left to the client and the proxy (whose CPU is reported), as against AWS
doing its work on its own machines. What it does not: AWS's own latency (a fixed delay, no spread, no server-side
throttling, no TLS or DNS: plain HTTP on loopback), answers that change between runs (each is the recorded one:
fit for reads; a call that changes something would be answered as it was the first time), the emulator's cost or
correctness, and credentials past the recorded expiry (replay within the hour of recording).

    uv run --group dev python bench/bench_accounts.py [--accounts 50] [--regions 20] [--latency-ms 100] \
        [--replay] [--skip-sequence] [--workers N ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import measured_scan  # noqa: E402
from bench_scan import RESULTS, ROOT, Proxy, Sandbox, clean_env  # noqa: E402

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
    doc, run = measured_scan(env, args, 3600)
    return {**run, "resources": len((doc["data"] or {}).get("resources", [])), "errors": len(doc["errors"])}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--accounts", type=int, default=50)
    ap.add_argument("--regions", type=int, default=20)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--service", default="ec2")
    ap.add_argument("--skip-sequence", action="store_true", help="leave out the account-by-account runs")
    ap.add_argument("--replay", action="store_true",
                    help="time the runs with the proxy answering from a record of the sandbox's answers (a first, "
                         "untimed pass records them): the client's cost without the emulator's")
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
                 "latency_ms": a.latency_ms, "replay": a.replay, "load_before": os.getloadavg()[0]}
    try:
        t0 = time.perf_counter()
        ids = seed(sandbox.url, a.accounts)
        print(f"seeded {len(ids)} accounts in {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
        org = ("--accounts", "org", *common)
        runs = [("one_account", "one account", common, None),
                ("all_at_once", f"{len(ids)} accounts at once", org, None),
                *((f"all_at_once_workers_{n}", f"{len(ids)} accounts at once, AWSWIZ_WORKERS={n}", org, n)
                  for n in a.workers)]
        seq = [(i, f"account {i}", ("--accounts", i, *(["--skip-self"] if i != LAB else []), *common), None)
               for i in ([] if a.skip_sequence else ids)]
        with Proxy(sandbox.url, a.latency_ms, mode="record" if a.replay else "forward") as proxy:
            if a.replay:  # the record pass: every run once, answered by the sandbox; then the proxy answers alone
                t0 = time.perf_counter()
                for _, _, args, workers in runs + seq:
                    scan(proxy.url, state, *args, workers=workers)
                st = proxy.set_mode("replay")
                res["record"] = {"wall_s": round(time.perf_counter() - t0, 1), "answers": st["record_size"],
                                 "calls": st["calls"]}
                print(f"recorded {st['record_size']} answers ({st['calls']} calls) in {res['record']['wall_s']} s; "
                      f"replaying", file=sys.stderr, flush=True)

            def timed(label: str, *args: str, workers: int | None = None) -> dict:
                st0, cpu, pcpu = proxy.stats(), sandbox.cpu_s(), proxy.cpu_s()
                r = scan(proxy.url, state, *args, workers=workers)
                st1 = proxy.stats()
                r.update({k: st1[k] - st0[k] for k in ("calls", "replayed", "missed")})
                r["sandbox_cpu_s"] = round((sandbox.cpu_s() or 0) - (cpu or 0), 1)
                r["proxy_cpu_s"] = round((proxy.cpu_s() or 0) - (pcpu or 0), 2)
                print(f"  {label}: {r['wall_s']:.1f} s, {r['calls']} calls ({r['replayed']} replayed, {r['missed']} "
                      f"missed), client CPU {r['cpu_s']:.1f} s, {r['max_rss_mb']:.0f} MB, {r['resources']} resources, "
                      f"exit {r['exit']}, sandbox CPU {r['sandbox_cpu_s']} s, proxy CPU {r['proxy_cpu_s']} s",
                      file=sys.stderr, flush=True)
                return r

            timed("warm-up", *common)
            for key, label, args, workers in runs:
                res[key] = timed(label, *args, workers=workers)
            if seq:
                rs = [timed(label, *args) for _, label, args, _ in seq]
                res["one_by_one"] = {k: round(sum(r[k] for r in rs), 2) for k in (
                    "wall_s", "cpu_s", "calls", "replayed", "missed", "sandbox_cpu_s", "proxy_cpu_s", "resources")}
                res["one_by_one"].update(max_rss_mb=max(r["max_rss_mb"] for r in rs),
                                         exits=sorted({r["exit"] for r in rs}))
    finally:
        sandbox.stop()
    for k in ("one_account", "all_at_once", *(f"all_at_once_workers_{n}" for n in a.workers), "one_by_one"):
        if k in res:
            x = res[k]
            print(f"{k}: wall {x['wall_s']:.1f} s, calls {x['calls']} ({x['replayed']} replayed, {x['missed']} "
                  f"missed), client CPU {x['cpu_s']:.1f} s, peak RSS {x['max_rss_mb']:.0f} MB, {x['resources']} "
                  f"resources, proxy CPU {x['proxy_cpu_s']} s "
                  f"({1000 * x['proxy_cpu_s'] / max(x['calls'], 1):.2f} ms a call), sandbox CPU "
                  f"{x['sandbox_cpu_s']} s")
    if "one_account" in res:
        print(f"all at once / one account: {res['all_at_once']['wall_s'] / res['one_account']['wall_s']:.1f}x wall")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"accounts-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(res, indent=2, default=str))
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
