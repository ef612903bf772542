"""Where the scan's CPU goes: cProfile in every thread, CPU time per thread, grouped by area.

Runs `tools/scan.py --region all` in a subprocess of this script, against a seeded sandbox with no added
latency, under one cProfile per thread (the fan-out's threads included) timed by time.thread_time, so
that the figures are CPU, not waiting. Prints, in CPU seconds:
  - self time grouped by area (imports, client creation, endpoint resolution, serialising, signing,
    HTTP, parsing, JMESPath, retries/events, our own code, CLI/output, other);
  - the cumulative time of a few key functions (create_client, _make_api_call, sign, parse, _send);
  - process start (`python -c pass`) and `import boto3` alone, measured apart (median of 5).
The profiler itself slows everything down ~1.5-2x; read the shares, not the absolute seconds. The scan
runs in one process (AWSWIZ_SHARDS=1): the profiler does not follow forked shards.

    uv run --group dev python bench/profile_scan.py [--workers 8] [--top 15]
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

AREAS = [  # (area, substrings of a function's file or name; first match wins)
    ("imports", ("<frozen importlib", "<module>")),
    ("endpoint resolution", ("botocore/endpoint_provider.py", "botocore/regions.py")),
    ("client creation", ("botocore/client.py:create_client", "botocore/loaders.py", "botocore/model.py",
                         "botocore/session.py", "botocore/docs", "botocore/configprovider.py",
                         "botocore/args.py", "botocore/credentials.py", "botocore/utils.py:__init__")),
    ("serialising", ("botocore/serialize.py", "botocore/validate.py")),
    ("signing", ("botocore/auth.py", "botocore/signers.py", "hmac", "hashlib", "_hashlib")),
    ("HTTP", ("urllib3", "http/client.py", "socket", "ssl", "botocore/httpsession.py",
              "botocore/awsrequest.py", "botocore/endpoint.py", "email/", "selectors")),
    ("parsing", ("botocore/parsers.py", "xml", "json/", "dateutil", "_strptime")),
    ("JMESPath", ("jmespath",)),
    ("retries, events", ("botocore/retries", "botocore/hooks.py", "botocore/handlers.py",
                         "botocore/retryhandler.py", "botocore/useragent.py", "botocore/context.py")),
    ("our own (tools/)", ("/tools/",)),
    ("CLI, output", ("typer", "click", "rich", "pygments")),
]
KEY_FUNCS = {"create_client": ("botocore/session.py", "create_client"),
             "_make_api_call": ("botocore/client.py", "_make_api_call"),
             "sign": ("botocore/signers.py", "sign"),
             "parse": ("botocore/parsers.py", "parse"),
             "_send (HTTP)": ("botocore/endpoint.py", "_send"),
             "resolve_endpoint": ("botocore/regions.py", "construct_endpoint"),
             "imports (_find_and_load)": ("<frozen importlib._bootstrap>", "_find_and_load")}


def area_of(func: tuple[str, int, str]) -> str:
    where = f"{func[0]}:{func[2]}"
    for area, needles in AREAS:
        if any(n in where for n in needles):
            return area
    return "other (botocore, builtins)"


def child(out: str, argv: list[str]) -> None:
    """In the profiled process: one cProfile per thread, CPU-timed; merge and dump at exit."""
    import cProfile
    import runpy

    profiles: list[cProfile.Profile] = []
    lock = threading.Lock()

    def start_thread_profile(*_):
        p = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(p)
        p.enable()  # replaces this very hook for the thread

    threading.setprofile(start_thread_profile)
    main = cProfile.Profile(time.thread_time)
    profiles.append(main)
    sys.argv = [str(ROOT / "tools" / "scan.py"), *argv]
    sys.path.insert(0, str(ROOT / "tools"))
    main.enable()
    code = 0
    try:
        runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code or 0
    finally:
        main.disable()
        with lock:
            for p in profiles:
                p.disable()
            stats = pstats.Stats(profiles[0])
            for p in profiles[1:]:
                try:
                    stats.add(p)
                except TypeError:  # a profile that never saw a call
                    pass
        stats.dump_stats(out)
    os._exit(code if isinstance(code, int) else 1)


def cpu_of(cmd: list[str], env: dict, n: int = 5) -> float:
    times = []
    for _ in range(n):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(cmd, env=env, capture_output=True)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        times.append(r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime)
    return statistics.median(times)


def summarise(path: str, top: int) -> dict:
    st = pstats.Stats(path)
    areas: dict[str, float] = {}
    total = 0.0
    for func, (_cc, _nc, tt, _ct, _callers) in st.stats.items():
        areas[area_of(func)] = areas.get(area_of(func), 0.0) + tt
        total += tt
    keys = {}
    for name, (file_part, fn) in KEY_FUNCS.items():
        keys[name] = sum(v[3] for f, v in st.stats.items() if file_part in f[0] and f[2] == fn)
    calls = sum(v[1] for f, v in st.stats.items() if "botocore/client.py" in f[0] and f[2] == "_make_api_call")
    clients = sum(v[1] for f, v in st.stats.items() if "botocore/session.py" in f[0] and f[2] == "create_client")
    hot = sorted(st.stats.items(), key=lambda kv: -kv[1][2])[:top]
    return {"total_cpu_s": total, "areas": dict(sorted(areas.items(), key=lambda kv: -kv[1])), "key": keys,
            "calls": calls, "clients": clients,
            "hot": [(f"{Path(f[0]).name}:{f[1]}:{f[2]}", v[2]) for f, v in hot]}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(sys.argv[2], sys.argv[3:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=None, help="AWSWIZ_WORKERS of the profiled scan")
    ap.add_argument("--top", type=int, default=15, help="hottest functions to list")
    ap.add_argument("--endpoint", default=None, help="an already running sandbox (else one is started)")
    ap.add_argument("scan_args", nargs="*", default=["--region", "all"])
    a = ap.parse_args()
    from bench_scan import Sandbox, clean_env

    tmp = Path(tempfile.mkdtemp(prefix="awswiz-prof-"))
    sandbox = None if a.endpoint else Sandbox(tmp / "sandbox-state")
    url = a.endpoint or sandbox.url
    try:
        # one process (a profiler does not follow forked shards), and time enough under the profiler
        extra = {"AWS_ENDPOINT_URL": url, "AWSWIZ_STATE_DIR": str(tmp), "AWSWIZ_SHARDS": "1", "AWSWIZ_TIMEOUT": "900"}
        if a.workers:
            extra["AWSWIZ_WORKERS"] = str(a.workers)
        env = clean_env(**extra)
        out = str(tmp / "scan.prof")
        cmd = [sys.executable, __file__, "--child", out, *a.scan_args]
        subprocess.run(cmd, env=env, capture_output=True, cwd=ROOT)  # warm-up: bytecode cached
        load = os.getloadavg()[0]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=ROOT)
        s = summarise(out, a.top)
        start = cpu_of([sys.executable, "-c", "pass"], env)
        boto = cpu_of([sys.executable, "-c", "import boto3"], env)
    finally:
        if sandbox:
            sandbox.stop()
    print(f"scan {' '.join(a.scan_args)} (exit {p.returncode}), load average {load:.1f}: "
          f"{s['total_cpu_s']:.2f} s CPU under the profiler, {s['calls']} calls, {s['clients']} clients")
    print(f"process start {start:.3f} s CPU, `import boto3` {boto:.3f} s CPU (without the profiler, median of 5)")
    print("\nself CPU by area:")
    for area, sec in s["areas"].items():
        print(f"  {area:28}{sec:7.2f} s {sec / s['total_cpu_s']:6.1%}")
    print("\ncumulative CPU of key functions:")
    for name, sec in s["key"].items():
        print(f"  {name:28}{sec:7.2f} s")
    print(f"\nhottest {a.top} functions (self CPU):")
    for name, sec in s["hot"]:
        print(f"  {sec:7.3f} s  {name}")


if __name__ == "__main__":
    main()
