"""The CPU bench/proxy.py costs per call: forwarded to the sandbox, and answered from its record (replay).

Starts a seeded sandbox, then for each proxy file given (default: bench/proxy.py; pass an older one to compare,
e.g. `git show REV:bench/proxy.py > /tmp/old_proxy.py`) runs it in a process of its own at --latency-ms and sends
it --calls DescribeAvailabilityZones from --threads boto3 threads (one client, a connection per thread, as the
scan's pool), and reads the proxy's CPU (user + system, /proc) before and after: CPU per forwarded call, and the
sandbox's CPU meanwhile. A proxy that has --mode (this one) is then also timed in replay: the same calls answered
from its record, the sandbox idle. The client's CPU is not measured here (see bench_accounts.py).

    uv run --group dev python bench/bench_proxy.py [--calls 2000] [--threads 32] [--latency-ms 100] [OLD_PROXY.py]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import BENCH, Sandbox, clean_env, get_json, proc_cpu_s  # noqa: E402


def measure(label: str, url: str, pid: int, sandbox: Sandbox, calls: int, threads: int) -> None:
    import boto3
    import botocore.config

    ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=url,
                       config=botocore.config.Config(max_pool_connections=threads))
    ec2.describe_availability_zones()  # the client's models loaded; in mode record: the one answer kept
    if label.endswith("replay"):
        import urllib.request

        urllib.request.urlopen(urllib.request.Request(f"{url}/_proxy/mode/replay", method="POST"), timeout=30).read()
    cpu, sb, t0 = proc_cpu_s(pid), sandbox.cpu_s(), time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(lambda _: ec2.describe_availability_zones(), range(calls)))
    wall, cpu, sb = time.perf_counter() - t0, proc_cpu_s(pid) - cpu, (sandbox.cpu_s() or 0) - (sb or 0)
    print(f"{label}: {calls} calls on {threads} threads in {wall:.1f} s; proxy CPU {cpu:.2f} s = "
          f"{1000 * cpu / calls:.3f} ms a call; sandbox CPU {sb:.1f} s", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("proxies", nargs="*", default=[str(BENCH / "proxy.py")], help="proxy files to compare")
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--latency-ms", type=float, default=100)
    a = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    sandbox = Sandbox(Path(tempfile.mkdtemp(prefix="awswiz-proxy-")) / "sandbox-state")
    try:
        os.environ.update(clean_env())
        for path in a.proxies:
            replay = "--mode" in Path(path).read_text()
            for mode in ("forward", *(["replay"] if replay else [])):
                args = [sys.executable, path, "--target", sandbox.url, "--latency-ms", str(a.latency_ms)]
                proc = subprocess.Popen(args + (["--mode", "record"] if mode == "replay" else []),
                                        env=clean_env(), stdout=subprocess.PIPE, text=True)
                try:
                    url = proc.stdout.readline().strip()
                    measure(f"{path} {mode}", url, proc.pid, sandbox, a.calls, a.threads)
                    if replay:
                        print(f"  stats: {get_json(f'{url}/_proxy/stats')}", flush=True)
                finally:
                    proc.terminate()
                    proc.wait(10)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
