"""Benchmark: export.py of a VPC with about 200 resources at a fixed latency per call (issue 21), side by side with
`terraform plan -generate-config-out` over the same selection (import blocks only: Terraform writes one literal
block per resource itself).

Starts an empty sandbox, builds a VPC (subnets, route tables with routes and associations, an internet gateway,
security groups with rules, instances), puts bench/proxy.py in front of it, then runs:
  (a) export.py --vpc ID --format terraform (a subprocess, as the agent runs it; a warm-up run first): wall time
      and the calls the sandbox saw;
  (b) terraform plan -generate-config-out=generated.tf in a folder holding export's versions.tf and imports.tf
      only (terraform init done before, not timed): wall time and calls.
Needs terraform and the provider mirror (/opt/tf-plugins); without them (b) is left out. Never talks to real AWS.

    uv run --group dev python bench/bench_export.py [--latency-ms 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scan import RESULTS, TOOLS, Proxy, clean_env  # noqa: E402 - the scan benchmark's helpers

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import start_sandbox  # noqa: E402
from terraform_sandbox import CLI_CONFIG, OVERRIDE, available  # noqa: E402

REGION = "us-east-1"


def build(sb, subnets: int = 16, tables: int = 8, groups: int = 40, instances: int = 5) -> str:
    ec2 = sb.client("ec2", REGION)
    tag = lambda kind, name: [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}]}]  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16", TagSpecifications=tag("vpc", "bench"))["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subs = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.50.{n}.0/24", AvailabilityZone=f"{REGION}{'ab'[n % 2]}",
                              TagSpecifications=tag("subnet", f"sub-{n}"))["Subnet"]["SubnetId"]
            for n in range(subnets)]
    for n in range(tables):
        rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=tag("route-table", f"rt-{n}"))["RouteTable"][
            "RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
        for s in subs[n::tables]:
            ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
    sgs = []
    for n in range(groups):
        g = ec2.create_security_group(GroupName=f"sg-{n}", Description="bench", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
            for p in (22, 443)])
        sgs.append(g)
    image = ec2.register_image(Name="bench", Architecture="x86_64", RootDeviceName="/dev/xvda",
                               VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]
    for n in range(instances):
        ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subs[n],
                          SecurityGroupIds=[sgs[n]], TagSpecifications=tag("instance", f"box-{n}"))
    return vpc


def export(endpoint: str, state: Path, out: Path, vpc: str) -> tuple[float, dict]:
    env = clean_env(AWS_ENDPOINT_URL=endpoint, AWSWIZ_STATE_DIR=str(state))
    t = time.perf_counter()
    p = subprocess.run([sys.executable, str(TOOLS / "export.py"), "--vpc", vpc, "--region", REGION, "--out",
                        str(out)], env=env, capture_output=True, text=True, timeout=900)
    wall = time.perf_counter() - t
    assert p.returncode == 0, p.stdout + p.stderr
    return wall, json.loads(p.stdout)


def terraform(folder: Path, endpoint: str, *args: str) -> tuple[float, subprocess.CompletedProcess]:
    env = clean_env(AWS_ENDPOINT_URL=endpoint, TF_CLI_CONFIG_FILE=str(folder.parent / "cli.tfrc"),
                    TF_IN_AUTOMATION="1", CHECKPOINT_DISABLE="1", AWS_REGION=REGION)
    t = time.perf_counter()
    p = subprocess.run(["terraform", f"-chdir={folder}", *args, "-no-color"], env=env, capture_output=True,
                       text=True, timeout=1800)
    return time.perf_counter() - t, p


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--latency-ms", type=float, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sb = start_sandbox(tmp / "sandbox", seed=False)
        result: dict = {"latency_ms": a.latency_ms}
        try:
            vpc = build(sb)
            with Proxy(sb.url, a.latency_ms) as proxy:
                export(proxy.url, tmp / "st", tmp / "warm", vpc)  # warm-up: bytecode
                walls = []
                for n in range(a.repeat):
                    mark = sb.mark()
                    wall, doc = export(proxy.url, tmp / "st", tmp / f"e{n}", vpc)
                    walls.append(wall)
                    ops = Counter(c["action"] or c["service"] for c in sb.calls(mark))
                result["export"] = {"wall_s": round(statistics.median(walls), 2), "walls": [round(w, 2) for w in walls],
                                    "calls": sum(ops.values()), "by_operation": dict(ops.most_common()),
                                    "resources": doc["data"]["resources"]}
                if available():
                    gen = tmp / "gen" / "tf"
                    gen.mkdir(parents=True)
                    (gen.parent / "cli.tfrc").write_text(CLI_CONFIG)
                    for f in ("versions.tf", "imports.tf"):
                        shutil.copy(tmp / "e0" / f, gen / f)
                    (gen / "sandbox_override.tf").write_text(OVERRIDE)
                    _, init = terraform(gen, sb.url, "init", "-input=false")
                    assert init.returncode == 0, init.stderr
                    mark = sb.mark()
                    wall, plan = terraform(gen, proxy.url, "plan", "-input=false", "-generate-config-out=generated.tf")
                    ops = Counter(c["action"] or c["service"] for c in sb.calls(mark))
                    blocks = (gen / "generated.tf").read_text().count("\nresource ") + 1 \
                        if (gen / "generated.tf").exists() else 0
                    result["terraform_generate"] = {"wall_s": round(wall, 2), "calls": sum(ops.values()),
                                                    "exit": plan.returncode, "resource_blocks": blocks,
                                                    "errors": sorted({ln.strip() for ln in (plan.stdout + plan.stderr)
                                                                      .splitlines() if ln.strip().startswith("Error")}),
                                                    "by_operation": dict(ops.most_common(8))}
        finally:
            sb.proc.terminate()
            sb.proc.wait(10)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"export-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: ({kk: vv for kk, vv in v.items() if kk != "by_operation"} if isinstance(v, dict) else v)
                      for k, v in result.items()}, indent=1))
    print(f"written {path}")


if __name__ == "__main__":
    main()
