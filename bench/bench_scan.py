"""Benchmark: the all-region scan against plain concurrent boto3 over the same calls.

Starts a seeded sandbox (moto, on a free port, in a temporary state directory) and bench/proxy.py in
front of it (a fixed latency per call), then measures:
  (a) `uv run tools/scan.py --region all`, as the agent runs it (a subprocess; a warm-up run first so
      that bytecode is cached; PYTHONDONTWRITEBYTECODE unset): wall time and calls made;
  (r) the plain concurrent reference (bench/reference.py: a thread pool over exactly the scan's calls,
      its own process), alternating with (a) run by run; medians of wall time, client CPU and calls, and
      the ratios scan / reference (per call, wall, CPU);
  (b) with --loop, a plain sequential boto3 loop over the same calls (same regions, rows, kwargs, pagination and
      follow-ups; one client per (service, region); one process): wall time and calls;
  (c) the scan with a share of calls throttled: the same resource ids as (a), its time, calls throttled;
  (d) the scan with one region refusing credentials: exit 3, the error entries, the other regions intact;
  (s) `scan.py --region us-east-1` (one region: one process), median of 5;
  (e) start-up: `scan.py --help` and a bad flag (median of 5).
Never talks to real AWS: dummy credentials, AWS_CONFIG_FILE=/dev/null, every endpoint on 127.0.0.1.

    uv run --group dev python bench/bench_scan.py [--latency-ms 100] [--throttle 0.2] [--repeat 3] \
        [--skip-faults] [--loop]

Prints a table and writes the JSON results to bench/results/scan-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"

sys.path.insert(0, str(ROOT / "tests"))
from conftest import clean_env as test_env  # noqa: E402 - the tests' own: no real credentials or endpoints


def clean_env(**extra: str) -> dict:
    """The tests' environment, with bytecode written as on a user's machine."""
    env = test_env(**extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def get_json(url: str, timeout: float = 30) -> dict:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.loads(r.read())


# --- processes: the sandbox and the proxy ---------------------------------------------------------

def proc_cpu_s(pid: int) -> float | None:
    """CPU seconds (user + system) a running process has used so far, from /proc (None where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


class Sandbox:
    def __init__(self, state: Path):
        state.mkdir(parents=True, exist_ok=True)
        self.state = state
        self.log = open(state / "sandbox.log", "wb")
        self.proc = subprocess.Popen([sys.executable, str(TOOLS / "sandbox.py"), "serve", "--port", "0"],
                                     env=clean_env(AWSWIZ_STATE_DIR=str(state)), stdout=self.log,
                                     stderr=self.log)
        deadline = time.time() + 180
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"sandbox exited: {(state / 'sandbox.log').read_text()[-2000:]}")
            try:
                self.url = json.loads((state / "sandbox.json").read_text())["url"]
                if get_json(f"{self.url}/_awswiz/health", 1).get("seeded"):
                    return
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("sandbox did not start in 180 s")

    def mark(self) -> int:
        return get_json(f"{self.url}/_awswiz/calls?since=0")["total"]

    def calls(self, since: int) -> list[dict]:
        return get_json(f"{self.url}/_awswiz/calls?since={since}")["calls"]

    def cpu_s(self) -> float | None:
        """CPU seconds the sandbox (moto) has used so far: it shares the machine with the client."""
        return proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Proxy:
    """bench/proxy.py in a process of its own, so that its threads do not share a GIL with what it times."""

    def __init__(self, target: str, latency_ms: float, throttle: float = 0.0, deny: tuple[str, ...] = (),
                 mode: str = "forward"):
        args = [sys.executable, str(BENCH / "proxy.py"), "--target", target, "--latency-ms", str(latency_ms),
                "--throttle", str(throttle), "--mode", mode] + [a for r in deny for a in ("--deny-region", r)]
        self.proc = subprocess.Popen(args, env=clean_env(), stdout=subprocess.PIPE, text=True)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://"):
            self.stop()
            raise RuntimeError("proxy did not start")

    def stats(self) -> dict:
        return get_json(f"{self.url}/_proxy/stats")

    def set_mode(self, mode: str) -> dict:
        """forward, record (keep every answer) or replay (answer from the record): the proxy's stats."""
        req = urllib.request.Request(f"{self.url}/_proxy/mode/{mode}", method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def cpu_s(self) -> float | None:
        """CPU seconds the proxy process has used so far (it shares the machine with the client)."""
        return proc_cpu_s(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# --- (a), (c), (d): the scan as the agent runs it -------------------------------------------------

def run_all_regions(tool: str, endpoint: str, state: Path, *args: str) -> tuple[float, int, dict]:
    """`uv run tools/<tool>.py --region all ARGS` as the agent runs it: (wall seconds, exit code, envelope)."""
    env = clean_env(AWS_ENDPOINT_URL=endpoint, AWSWIZ_STATE_DIR=str(state))
    t = time.perf_counter()
    p = subprocess.run(["uv", "run", "--quiet", str(TOOLS / f"{tool}.py"), "--region", "all", *args], env=env,
                       capture_output=True, text=True, timeout=600)
    return time.perf_counter() - t, p.returncode, json.loads(p.stdout)


def scan_cmd(runner: str, *args: str) -> list[str]:
    if runner == "uv":
        return ["uv", "run", "--quiet", str(TOOLS / "scan.py"), *args]
    return [sys.executable, str(TOOLS / "scan.py"), *args]


def run_scan(runner: str, endpoint: str, state: Path, sandbox: Sandbox, proxy: Proxy | None = None,
             workers: int | None = None, region: str = "all") -> dict:
    extra = {"AWS_ENDPOINT_URL": endpoint, "AWSWIZ_STATE_DIR": str(state)}
    if workers:
        extra["AWSWIZ_WORKERS"] = str(workers)
    before_stats = proxy.stats() if proxy else None
    mark = sandbox.mark()
    load = os.getloadavg()[0]
    ru0, sb0 = resource.getrusage(resource.RUSAGE_CHILDREN), sandbox.cpu_s()
    t0 = time.perf_counter()
    p = subprocess.run(scan_cmd(runner, "--region", region), env=clean_env(**extra), capture_output=True,
                       text=True, cwd=ROOT, timeout=900)
    wall = time.perf_counter() - t0
    ru1, sb1 = resource.getrusage(resource.RUSAGE_CHILDREN), sandbox.cpu_s()
    calls = sandbox.calls(mark)
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        raise RuntimeError(f"scan printed no JSON (exit {p.returncode}): {p.stderr[-2000:]}") from None
    out = {"wall_s": wall, "exit": p.returncode, "server_calls": len(calls), "doc": doc, "call_log": calls,
           "cpu_s": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime,
           "sandbox_cpu_s": sb1 - sb0 if sb0 is not None else None, "load_before": load}
    if proxy:
        after = proxy.stats()
        out["proxy"] = {k: after[k] - before_stats[k] for k in after if isinstance(after[k], (int, float))}  # counters
    return out


def resource_ids(doc: dict, exclude_region: str | None = None) -> set[tuple[str, str, str]]:
    return {(r["type"], r["region"], str(r["id"])) for r in doc["data"]["resources"] if r["region"] != exclude_region}


# --- (r): the plain concurrent reference, bench/reference.py in a process of its own ------------

def run_reference(endpoint: str, sandbox: Sandbox, proxy: Proxy, threads: int) -> dict:
    mark, before = sandbox.mark(), proxy.stats()["calls"]
    load = os.getloadavg()[0]
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, str(BENCH / "reference.py"), "--threads", str(threads)],
                       env=clean_env(AWS_ENDPOINT_URL=endpoint), capture_output=True, text=True, cwd=ROOT,
                       timeout=900)
    wall = time.perf_counter() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode:
        raise RuntimeError(f"reference failed: {p.stderr[-2000:]}")
    doc = json.loads(p.stdout)
    return {"wall_s": wall, "cpu_s": ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime,
            "calls": doc["calls"], "server_calls": len(sandbox.calls(mark)), "load_before": load,
            "proxy_calls": proxy.stats()["calls"] - before, "clients": doc["clients"],
            "ids": {tuple(i) for i in doc["ids"]}, "max_rss_mb": ru1.ru_maxrss / 1024}


# --- (b): the plain sequential loop ---------------------------------------------------------------

def sequential_loop(endpoint: str) -> dict:
    """Every call scan makes, one after the other, with plain boto3 clients (one per service and region).
    Mirrors tools/_awswiz/snapshot.collect: same regions, rows, kwargs, pagination and follow-ups."""
    import boto3
    import jmespath
    from botocore.config import Config

    sys.path.insert(0, str(TOOLS))
    from _awswiz.inventory.table import ROWS

    os.environ.update(clean_env(AWS_ENDPOINT_URL=endpoint))  # this process only talks to the proxy
    t0, c0 = time.perf_counter(), time.process_time()
    session = boto3.Session()
    config = Config(s3={"addressing_style": "path"})  # a plain host:port cannot serve virtual-hosted names
    clients: dict[tuple[str, str], object] = {}
    client_s = 0.0
    calls = 0

    def client(service: str, region: str = "us-east-1"):
        nonlocal client_s
        if (service, region) not in clients:
            c0 = time.perf_counter()
            clients[service, region] = session.client(service, region_name=region, config=config)
            client_s += time.perf_counter() - c0
        return clients[service, region]

    def call(c, op: str, **kw):
        nonlocal calls
        calls += 1
        return getattr(c, op)(**kw)

    ids: set[tuple[str, str, str]] = set()
    call(client("sts"), "get_caller_identity")
    known = set(session.get_available_regions("ec2", partition_name="aws"))
    regions = sorted(r["RegionName"] for r in call(client("ec2"), "describe_regions", AllRegions=True)["Regions"]
                     if r["RegionName"] in known and r.get("OptInStatus") != "not-opted-in")
    for row in ROWS:
        if row.scope == "global":
            where = ["global"]
        else:
            offered = set(session.get_available_regions(row.service)) or set(regions)
            where = [r for r in regions if r in offered]
        for region in where:
            c = client(row.service, "us-east-1" if region == "global" else region)
            items = []
            if c.can_paginate(row.call):
                for page in c.get_paginator(row.call).paginate(**row.kwargs):
                    calls += 1
                    items += [i for i in (jmespath.search(row.items, page) or []) if i is not None]
            else:
                items = jmespath.search(row.items, call(c, row.call, **row.kwargs)) or []
            for item in items:
                ident = item if row.id == "@" else jmespath.search(row.id, item)
                ids.add((row.type, region, str(ident)))
            if row.type == "ec2:instance" and items:
                types = sorted({i["InstanceType"] for i in items if i.get("InstanceType")})
                for k in range(0, len(types), 100):
                    call(c, "describe_instance_types", InstanceTypes=types[k:k + 100])
            if row.type == "s3:bucket":
                for b in items:
                    bucket_region = b.get("BucketRegion") or call(c, "get_bucket_location", Bucket=b["Name"]).get(
                        "LocationConstraint") or "us-east-1"
                    ids.discard((row.type, region, b["Name"]))
                    ids.add((row.type, bucket_region, b["Name"]))
                    try:
                        call(client("s3", bucket_region), "get_bucket_tagging", Bucket=b["Name"])
                    except Exception as exc:  # noqa: BLE001 - NoSuchTagSet: an untagged bucket
                        if getattr(exc, "response", {}).get("Error", {}).get("Code") != "NoSuchTagSet":
                            raise
    return {"wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0, "calls": calls,
            "clients": len(clients), "client_creation_s": client_s, "regions": len(regions), "ids": ids}


# --- (e): start-up ---------------------------------------------------------------------------------

def startup(runner: str, args: list[str], n: int = 5) -> dict:
    env = clean_env(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWSWIZ_STATE_DIR=tempfile.mkdtemp(prefix="awswiz-su-"))
    subprocess.run(scan_cmd(runner, *args), env=env, capture_output=True, cwd=ROOT)  # warm-up
    times, codes = [], set()
    for _ in range(n):
        t0 = time.perf_counter()
        p = subprocess.run(scan_cmd(runner, *args), env=env, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - t0)
        codes.add(p.returncode)
    return {"median_s": statistics.median(times), "min_s": min(times), "exit": sorted(codes)}


# --- main -------------------------------------------------------------------------------------------

def call_key(c: dict) -> tuple:
    return c["service"], c["action"], c["region"], c["method"], c["path"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--throttle", type=float, default=0.2, help="share of calls throttled in run (c)")
    ap.add_argument("--deny-region", default="eu-west-1", help="region refusing credentials in run (d)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of (a) and (b); the median is reported")
    ap.add_argument("--runner", choices=["uv", "python"], default="uv",
                    help="run scan.py through `uv run` (as the agent does) or this interpreter")
    ap.add_argument("--workers", type=int, default=None, help="AWSWIZ_WORKERS for the scan (default: its own)")
    ap.add_argument("--loop", action="store_true", help="also run (b), the sequential loop (slow)")
    ap.add_argument("--threads", type=int, default=32, help="threads of the concurrent reference (r)")
    ap.add_argument("--skip-faults", action="store_true", help="skip (c) and (d)")
    a = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="awswiz-bench-"))
    state = tmp / "tool-state"
    state.mkdir(mode=0o700)
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log(f"starting the sandbox in {tmp} ...")
    sandbox = Sandbox(tmp / "sandbox-state")
    res: dict = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                             "platform": platform.platform()},
                 "latency_ms": a.latency_ms, "runner": a.runner, "workers": a.workers, "repeat": a.repeat}
    try:
        with Proxy(sandbox.url, a.latency_ms) as px:
            log("(a) scan --region all: warm-up ...")
            warm = run_scan(a.runner, px.url, state, sandbox, px, a.workers)
            if warm["exit"] != 0:
                raise RuntimeError(f"baseline scan exit {warm['exit']}: {warm['doc'].get('errors')}")
            base_ids = resource_ids(warm["doc"])
            scans, refs = [], []
            for i in range(a.repeat):  # alternating: scan, reference, scan, reference, ...
                s = run_scan(a.runner, px.url, state, sandbox, px, a.workers)
                log(f"    run {i + 1}: {s['wall_s']:.2f} s, {s['server_calls']} calls, exit {s['exit']}")
                assert resource_ids(s["doc"]) == base_ids
                scans.append(s)
                rf = run_reference(px.url, sandbox, px, a.threads)
                log(f"(r) reference run {i + 1}: {rf['wall_s']:.2f} s, {rf['calls']} calls")
                refs.append(rf)
            scan_s = statistics.median(s["wall_s"] for s in scans)
            res["scan"] = {"wall_s": scan_s, "runs_s": [s["wall_s"] for s in scans],
                           "cpu_s": statistics.median(s["cpu_s"] for s in scans),
                           "sandbox_cpu_s": statistics.median(s["sandbox_cpu_s"] or 0 for s in scans),
                           "load_before": [s["load_before"] for s in scans],
                           "calls": scans[0]["server_calls"], "proxy_calls": scans[0]["proxy"]["calls"],
                           "regions": len(warm["doc"]["data"]["regions"]), "resources": len(base_ids),
                           "sum_of_latencies_s": scans[0]["proxy"]["calls"] * a.latency_ms / 1000}

            single = [run_scan(a.runner, px.url, state, sandbox, px, a.workers, "us-east-1") for _ in range(5)]
            res["single_region"] = {"wall_s": statistics.median(x["wall_s"] for x in single),
                                    "cpu_s": statistics.median(x["cpu_s"] for x in single),
                                    "calls": single[0]["server_calls"],
                                    "load_before": [x["load_before"] for x in single]}
            rf = refs[0]
            res["reference"] = {"wall_s": statistics.median(x["wall_s"] for x in refs),
                                "runs_s": [x["wall_s"] for x in refs], "threads": a.threads,
                                "cpu_s": statistics.median(x["cpu_s"] for x in refs), "calls": rf["calls"],
                                "server_calls": rf["server_calls"], "clients": rf["clients"],
                                "load_before": [x["load_before"] for x in refs],
                                "same_ids_as_scan": rf["ids"] == base_ids,
                                "sum_of_latencies_s": rf["proxy_calls"] * a.latency_ms / 1000}
            per_call = lambda d: d["wall_s"] / d.get("server_calls", d["calls"])  # noqa: E731
            res["per_call_ratio"] = per_call(res["scan"]) / per_call(res["reference"])
            res["wall_ratio"] = res["scan"]["wall_s"] / res["reference"]["wall_s"]
            res["cpu_ratio"] = res["scan"]["cpu_s"] / res["reference"]["cpu_s"]

            if a.loop:
                loops = []
                for i in range(a.repeat):
                    mark = sandbox.mark()
                    before = px.stats()["calls"]
                    lp = sequential_loop(px.url)
                    lp["server_log"] = sandbox.calls(mark)
                    lp["proxy_calls"] = px.stats()["calls"] - before
                    log(f"(b) sequential loop run {i + 1}: {lp['wall_s']:.2f} s, {lp['calls']} calls")
                    loops.append(lp)
                lp = loops[0]
                same_calls = Counter(map(call_key, lp["server_log"])) == Counter(map(call_key, scans[0]["call_log"]))
                loop_s = statistics.median(x["wall_s"] for x in loops)
                res["loop"] = {"wall_s": loop_s, "runs_s": [x["wall_s"] for x in loops], "calls": lp["calls"],
                               "cpu_s": statistics.median(x["cpu_s"] for x in loops),
                               "server_calls": len(lp["server_log"]), "clients": lp["clients"],
                               "client_creation_s": statistics.median(x["client_creation_s"] for x in loops),
                               "same_calls_as_scan": same_calls, "same_ids_as_scan": lp["ids"] == base_ids,
                               "sum_of_latencies_s": lp["proxy_calls"] * a.latency_ms / 1000}
                res["speedup"] = loop_s / scan_s

        if a.skip_faults:
            return finish(res)
        with Proxy(sandbox.url, a.latency_ms, throttle=a.throttle) as px:
            log(f"(c) scan with {a.throttle:.0%} of calls throttled ...")
            t = run_scan(a.runner, px.url, state, sandbox, px, a.workers)
            ids = resource_ids(t["doc"])
            res["throttled"] = {"throttle": a.throttle, "wall_s": t["wall_s"], "exit": t["exit"],
                                "resources": len(ids), "baseline_resources": len(base_ids),
                                "same_ids": ids == base_ids, "proxy": t["proxy"], "errors": t["doc"]["errors"]}

        with Proxy(sandbox.url, a.latency_ms, deny=(a.deny_region,)) as px:
            log(f"(d) scan with {a.deny_region} refusing credentials ...")
            d = run_scan(a.runner, px.url, state, sandbox, px, a.workers)
            others = resource_ids(d["doc"], a.deny_region)
            res["deny_region"] = {"region": a.deny_region, "wall_s": d["wall_s"], "exit": d["exit"],
                                  "errors": d["doc"]["errors"], "other_regions_resources": len(others),
                                  "other_regions_identical": others == resource_ids(warm["doc"], a.deny_region),
                                  "denied_region_resources": len(resource_ids(d["doc"]) - others),
                                  "proxy": d["proxy"]}
    finally:
        sandbox.stop()
    finish(res)


def finish(res: dict) -> None:
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    log("(e) start-up ...")
    res["startup"] = {f"{runner}:{name}": startup(runner, args) for runner in ("uv", "python")
                      for name, args in (("--help", ["--help"]), ("bad flag", ["--bogus"]))}
    report(res)
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"scan-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(res, indent=2, default=str))
    print(f"\nresults: {out.relative_to(ROOT)}")


def report(r: dict) -> None:
    s, m = r["scan"], r["machine"]
    print(f"\nmachine: {m['cpus']} CPUs, Python {m['python']}; latency {r['latency_ms']:.0f} ms per call; "
          f"scan via {r['runner']}; {s['regions']} regions, {s['resources']} resources")
    print(f"{'':30}{'wall s':>8}{'client CPU s':>14}{'calls':>7}{'sum of latencies s':>20}")
    print(f"{'(a) scan.py --region all':30}{s['wall_s']:8.2f}{s['cpu_s']:14.2f}{s['calls']:7d}"
          f"{s['sum_of_latencies_s']:20.1f}")
    if rf := r.get("reference"):
        print(f"{'(r) concurrent boto3, ' + str(rf['threads']) + ' thr':30}{rf['wall_s']:8.2f}{rf['cpu_s']:14.2f}"
              f"{rf['server_calls']:7d}{rf['sum_of_latencies_s']:20.1f}")
        print(f"    scan / reference: per call {r['per_call_ratio']:.2f}x, wall {r['wall_ratio']:.2f}x, client CPU "
              f"{r['cpu_ratio']:.2f}x; same ids: {rf['same_ids_as_scan']}; reference runs "
              f"{', '.join(f'{x:.2f}' for x in rf['runs_s'])} s; load before each "
              f"{', '.join(f'{x:.1f}' for x in rf['load_before'])}")
    if lp := r.get("loop"):
        print(f"{'(b) sequential boto3 loop':30}{lp['wall_s']:8.2f}{lp['cpu_s']:14.2f}{lp['calls']:7d}"
              f"{lp['sum_of_latencies_s']:20.1f}")
        print(f"    speed-up {r['speedup']:.1f}x; loop made the same calls as scan: {lp['same_calls_as_scan']}, "
              f"same ids: {lp['same_ids_as_scan']}; loop client creation {lp['client_creation_s']:.2f} s "
              f"({lp['clients']} clients)")
    print(f"    scan runs {', '.join(f'{x:.2f}' for x in s['runs_s'])} s; "
          f"sandbox CPU per scan {s['sandbox_cpu_s']:.2f} s; "
          f"load average before each run {', '.join(f'{x:.1f}' for x in s['load_before'])}")
    if sr := r.get("single_region"):
        print(f"(s) scan.py --region us-east-1, median of 5: {sr['wall_s']:.2f} s, client CPU {sr['cpu_s']:.2f} s, "
              f"{sr['calls']} calls; load {', '.join(f'{x:.1f}' for x in sr['load_before'])}")
    if "throttled" not in r:
        return print_startup(r)
    t = r["throttled"]
    print(f"(c) {t['throttle']:.0%} throttled: {t['wall_s']:.2f} s, exit {t['exit']}, {t['proxy']['throttled']} of "
          f"{t['proxy']['calls']} calls throttled; {t['resources']} resources vs {t['baseline_resources']} "
          f"baseline, same ids: {t['same_ids']}")
    d = r["deny_region"]
    errs = ", ".join(f"{e.get('region')} {e['code']} x{e.get('calls', 1)}" for e in d["errors"])
    print(f"(d) {d['region']} denied: {d['wall_s']:.2f} s, exit {d['exit']}, errors [{errs}]; "
          f"other regions: {d['other_regions_resources']} resources, identical to baseline: "
          f"{d['other_regions_identical']}")
    print_startup(r)


def print_startup(r: dict) -> None:
    print("(e) start-up, median of 5: " + ", ".join(f"{k} {v['median_s']:.2f} s (exit {v['exit']})"
                                                   for k, v in r["startup"].items()))


if __name__ == "__main__":
    main()
