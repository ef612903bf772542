"""Scale benchmark: scan an account of ~10,000 resources in the sandbox.

Starts a seeded sandbox, then adds through the EC2 and S3 APIs (boto3, straight to the sandbox, 8 threads)
a generated account across four regions: per region INSTANCES instances (each brings its root volume and
network interface, as on AWS), VOLUMES extra volumes, SNAPSHOTS snapshots and GROUPS security groups, and
BUCKETS buckets. Then runs `scan.py --region <the four>` (no added latency; the interpreter directly, a
warm-up first) with AWSWIZ_SHARDS=1 and with the default, alternating, and reports the medians of wall
time, client CPU (the scan and its worker processes), client CPU per resource, and peak memory (largest
resident set of any one scan process; with shards, every process holds its share).

    uv run --group dev python bench/bench_scale.py [--per-region 2500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import RESULTS, ROOT, TOOLS, Sandbox, clean_env  # noqa: E402

MAXRSS = ("import json, resource, subprocess, sys; p = subprocess.run([sys.executable] + sys.argv[1:]); "
          "print(json.dumps({'max_rss_kb': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}), "
          "file=sys.stderr); sys.exit(p.returncode)")
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-1"]


def seed(url: str, per_region: int, buckets: int) -> dict:
    """per_region resources in each region: 24% instances (x3 with their volume and interface), 14% extra
    volumes, 10% snapshots, 4% security groups."""
    import boto3

    os.environ.update(clean_env(AWS_ENDPOINT_URL=url))
    session = boto3.Session()
    n_inst, n_vol = per_region * 24 // 100, per_region * 14 // 100
    n_snap, n_sg = per_region * 10 // 100, per_region * 4 // 100
    made: dict[str, int] = {}

    def region_work(region: str) -> list:
        ec2 = session.client("ec2", region_name=region)
        img = ec2.register_image(Name="scale-base", Architecture="x86_64", RootDeviceName="/dev/sda1",
                                 VirtualizationType="hvm",
                                 BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]
        az = f"{region}a"
        tags = [{"ResourceType": "volume", "Tags": [{"Key": "project", "Value": "scale"}]}]
        jobs = [lambda k=k: ec2.run_instances(ImageId=img, MinCount=k, MaxCount=k, InstanceType="t3.micro")
                for k in [200] * (n_inst // 200) + ([n_inst % 200] if n_inst % 200 else [])]
        jobs += [lambda: ec2.create_volume(AvailabilityZone=az, Size=1, TagSpecifications=tags)] * n_vol
        jobs += [lambda i=i: ec2.create_security_group(GroupName=f"scale-{i}", Description="scale")
                 for i in range(n_sg)]
        return [(region, ec2, img, jobs)]

    with ThreadPoolExecutor(8) as pool:
        plans = [p for r in REGIONS for p in region_work(r)]
        futs = [pool.submit(j) for _, _, _, jobs in plans for j in jobs]
        for f in futs:
            f.result()
        snaps = []
        for _region, ec2, _, _ in plans:
            vols = [v["VolumeId"] for v in ec2.describe_volumes(
                Filters=[{"Name": "tag:project", "Values": ["scale"]}])["Volumes"]][:n_snap]
            snaps += [pool.submit(ec2.create_snapshot, VolumeId=v) for v in vols]
        s3 = session.client("s3", region_name="us-east-1")
        snaps += [pool.submit(s3.create_bucket, Bucket=f"awswiz-scale-{i:05d}") for i in range(buckets)]
        for f in snaps:
            f.result()
    made.update(instances=n_inst * len(REGIONS), volumes=n_vol * len(REGIONS), snapshots=n_snap * len(REGIONS),
                security_groups=n_sg * len(REGIONS), buckets=buckets)
    return made


def measured_scan(env: dict, args, timeout: float) -> tuple[dict, dict]:
    """Run `scan.py ARGS`: its JSON document, and its wall time, CPU (with its shard processes), exit code and
    peak resident set. A small launcher reports the largest resident set of the scan and its worker processes
    (RUSAGE_CHILDREN covers every reaped descendant), for this run alone."""
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", MAXRSS, str(TOOLS / "scan.py"), *args], env=env, capture_output=True,
                       text=True, cwd=ROOT, timeout=timeout)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = json.loads(p.stderr.strip().splitlines()[-1])["max_rss_kb"]
    return json.loads(p.stdout), {"wall_s": wall, "cpu_s": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime,
                                  "exit": p.returncode, "max_rss_mb": rss / 1024}


def scan(url: str, state: Path, shards: str) -> dict:
    env = clean_env(AWS_ENDPOINT_URL=url, AWSWIZ_STATE_DIR=str(state), AWSWIZ_SHARDS=shards,
                    AWSWIZ_TIMEOUT="600")
    load = os.getloadavg()[0]
    doc, run = measured_scan(env, ["--region", ",".join(REGIONS)], 1200)
    return {**run, "resources": len(doc["data"]["resources"]), "errors": doc["errors"], "load_before": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--per-region", type=int, default=2500)
    ap.add_argument("--buckets", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="then profile one scan (bench/profile_scan.py)")
    a = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="awswiz-scale-"))
    state = tmp / "tool-state"
    state.mkdir(mode=0o700)
    sandbox = Sandbox(tmp / "sandbox-state")
    res: dict = {"cpus": os.cpu_count(), "regions": REGIONS}
    try:
        t0 = time.perf_counter()
        res["seeded"] = seed(sandbox.url, a.per_region, a.buckets)
        res["seed_s"] = time.perf_counter() - t0
        print(f"seeded {res['seeded']} in {res['seed_s']:.0f} s", file=sys.stderr, flush=True)
        scan(sandbox.url, state, "1")  # warm-up
        runs: dict[str, list] = {"1": [], "0": []}
        for i in range(a.repeat):
            for shards in runs:
                r = scan(sandbox.url, state, shards)
                print(f"  AWSWIZ_SHARDS={shards} run {i + 1}: {r['wall_s']:.2f} s, {r['cpu_s']:.2f} s CPU, "
                      f"{r['resources']} resources, exit {r['exit']}, {r['max_rss_mb']:.0f} MB",
                      file=sys.stderr, flush=True)
                runs[shards].append(r)
        if a.profile:
            subprocess.run([sys.executable, str(ROOT / "bench" / "profile_scan.py"), "--endpoint", sandbox.url,
                            "--", "--region", ",".join(REGIONS)], cwd=ROOT, env=clean_env())
    finally:
        sandbox.stop()
    for shards, rs in runs.items():
        n = rs[0]["resources"]
        med = {k: statistics.median(r[k] for r in rs) for k in ("wall_s", "cpu_s")}
        res[f"shards={shards}"] = dict(med, resources=n, cpu_ms_per_resource=med["cpu_s"] / n * 1000,
                                       max_rss_mb=max(r["max_rss_mb"] for r in rs),
                                       load_before=[round(r["load_before"], 1) for r in rs],
                                       exits=sorted({r["exit"] for r in rs}))
        x = res[f"shards={shards}"]
        print(f"AWSWIZ_SHARDS={shards} ({'one process' if shards == '1' else 'default'}): {n} resources, "
              f"wall {x['wall_s']:.2f} s, client CPU {x['cpu_s']:.2f} s = {x['cpu_ms_per_resource']:.3f} ms per "
              f"resource, peak RSS {x['max_rss_mb']:.0f} MB, exit {x['exits']}, load {x['load_before']}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(res, indent=2, default=str))
    print(f"results: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
