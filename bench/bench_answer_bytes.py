"""Benchmark: bytes of JSON an agent reads (issue 25 item 2 and its Benchmark), per tool, on the sandbox lab (all
20 sandbox regions, as `uv run tools/X.py --sandbox` answers): scan, scan --include-defaults, security,
quota_check and waste. No latency is injected: only sizes are measured, and how many records each answer lists.

Then the lab the issue's goal names ("the scan of a 20-region lab with a dozen resources of its own under 16 KB"):
an empty sandbox (`sandbox.py serve --empty`) that this bench seeds through boto3 with 12 resources over 3 regions
(DOZEN), scanned with `scan.py --sandbox` over all 20 regions: its bytes, whether under 16 KB, and the bytes per
data key and per resource type (what takes them).

Each --tools DIR (default: this checkout's tools/) gets its own state directory, so its own sandbox (the one that
tree's sandbox.py seeds), started by the first tool and stopped at the end. Never talks to real AWS: dummy
credentials, every endpoint on 127.0.0.1.

    uv run --group dev python bench/bench_answer_bytes.py [--tools DIR ...] [--lab both|demo|dozen]

To measure the code before a change: `git archive COMMIT tools | tar -x -C /tmp/before` and pass
--tools /tmp/before/tools --tools tools. Prints JSON: per tools dir, per command, bytes and records.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from conftest import clean_env as test_env  # noqa: E402 - the tests' own: no real credentials or endpoints

COMMANDS = {  # name -> the tool and its flags (each also gets --sandbox)
    "scan": ("scan.py",),
    "scan --include-defaults": ("scan.py", "--include-defaults"),
    "security": ("security.py",),
    "quota_check": ("quota_check.py",),
    "waste": ("waste.py",),
}


def records(name: str, data: dict) -> int:
    """How many things the answer lists (resources and findings; a grouped finding counts its resources)."""
    if name.startswith("scan"):
        return len(data["resources"]) + len(data["findings"])
    if name == "security":
        return sum(f.get("count", 1) for f in data["findings"])
    return len(data.get("quotas") or data.get("items") or [])


GOAL = 16 * 1024
DOZEN = (  # the dozen resources of its own, as the issue states them (AWS adds a root volume per instance)
    "us-east-1: vpc, 2 subnets, internet gateway, route table, security group, an m5.large instance in the subnet,"
    " a bucket; us-west-2: a g5.xlarge (GPU) instance in the default VPC, a key pair; eu-west-1: a volume, an EIP")


def seed_dozen(url: str) -> int:
    """Make DOZEN through the sandbox endpoint with plain boto3, as a person would; returns how many were made."""
    import boto3

    def client(service: str, region: str):
        return boto3.client(service, region_name=region, endpoint_url=url, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    def tags(kind: str, name: str) -> list[dict]:
        return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name}, {"Key": "project", "Value": "dozen"}]}]

    made = 0
    ec2 = client("ec2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=tags("vpc", "dozen-vpc"))["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{i}.0/24", AvailabilityZone=f"us-east-1{az}",
                                 TagSpecifications=tags("subnet", f"dozen-{az}"))["Subnet"]["SubnetId"]
               for i, az in enumerate("ab")]
    igw = ec2.create_internet_gateway(TagSpecifications=tags("internet-gateway", "dozen-igw"))
    igw = igw["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "dozen-public"))
    rt = rt["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    for s in subnets:
        ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
    sg = ec2.create_security_group(GroupName="dozen-web", Description="web", VpcId=vpc,
                                   TagSpecifications=tags("security-group", "dozen-web"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    made += 6
    ami = "ami-0aa7d40eeae50c9a9"  # Amazon's, not the account's: the empty sandbox loads no public AMIs
    ec2.run_instances(ImageId=ami, InstanceType="m5.large", MinCount=1, MaxCount=1, SubnetId=subnets[0],
                      SecurityGroupIds=[sg], TagSpecifications=tags("instance", "dozen-web-1"))
    client("s3", "us-east-1").create_bucket(Bucket="dozen-artifacts-123456789012")
    made += 2
    west = client("ec2", "us-west-2")
    west.create_key_pair(KeyName="dozen-key")
    west.run_instances(ImageId=ami, InstanceType="g5.xlarge", MinCount=1, MaxCount=1, KeyName="dozen-key",
                       TagSpecifications=tags("instance", "dozen-gpu-1"))
    made += 2
    eu = client("ec2", "eu-west-1")
    eu.create_volume(AvailabilityZone="eu-west-1a", Size=100, VolumeType="gp3",
                     TagSpecifications=tags("volume", "dozen-data"))
    eu.allocate_address(Domain="vpc", TagSpecifications=tags("elastic-ip", "dozen-eip"))
    return made + 2


def size(value) -> int:
    return len(json.dumps(value, separators=(",", ":")))  # as the tools print: compact


def measure_dozen(tools: Path) -> dict:
    """The issue's own lab: an empty sandbox, DOZEN seeded here, then `scan.py --sandbox` over all 20 regions."""
    with tempfile.TemporaryDirectory(prefix="awswiz-bench-dozen-") as tmp:
        state = Path(tmp) / "state"
        state.mkdir(mode=0o700)
        env = test_env(AWSWIZ_STATE_DIR=str(state))
        env.pop("AWS_ENDPOINT_URL", None)
        try:
            subprocess.run([sys.executable, str(tools / "sandbox.py"), "serve", "--detach", "--empty"], env=env,
                           capture_output=True, timeout=300, check=True)
            made = seed_dozen(json.loads((state / "sandbox.json").read_text())["url"])
            p = subprocess.run([sys.executable, str(tools / "scan.py"), "--sandbox"], env=env, capture_output=True,
                               timeout=900)
        finally:
            subprocess.run([sys.executable, str(tools / "sandbox.py"), "stop"], env=env, capture_output=True,
                           timeout=120)
    doc = json.loads(p.stdout)
    data = doc["data"]
    by_type: dict[str, int] = {}
    for r in data.get("resources", []):
        key = r.get("type") or r.get("service", "?")
        by_type[key] = by_type.get(key, 0) + size(r) + 1
    return {"lab": DOZEN, "made": made, "bytes": len(p.stdout), "exit": p.returncode,
            "records": records("scan", data), "under_16kb": len(p.stdout) < GOAL,
            "by_key": {k: size(v) for k, v in sorted(doc.items(), key=lambda kv: -size(kv[1])) if k != "data"}
            | {f"data.{k}": size(v) for k, v in sorted(data.items(), key=lambda kv: -size(kv[1]))},
            "by_type": dict(sorted(by_type.items(), key=lambda kv: -kv[1]))}


def measure(tools: Path, labs: str = "both") -> dict:
    if labs == "dozen":
        return {"scan, a dozen of its own (--empty)": measure_dozen(tools)}
    out = {}
    with tempfile.TemporaryDirectory(prefix="awswiz-bench-bytes-") as tmp:
        env = test_env(AWSWIZ_STATE_DIR=str(Path(tmp) / "state"))
        env.pop("AWS_ENDPOINT_URL", None)  # --sandbox starts this tree's own
        try:
            for name, (tool, *flags) in COMMANDS.items():
                p = subprocess.run([sys.executable, str(tools / tool), "--sandbox", *flags], env=env,
                                   capture_output=True, timeout=900)
                if p.returncode == 2:  # a tree from before the flag
                    continue
                doc = json.loads(p.stdout)
                out[name] = {"bytes": len(p.stdout), "exit": p.returncode, "records": records(name, doc["data"])}
        finally:
            subprocess.run([sys.executable, str(tools / "sandbox.py"), "stop"], env=env, capture_output=True,
                           timeout=120)
    if labs == "both":
        out["scan, a dozen of its own (--empty)"] = measure_dozen(tools)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tools", action="append", type=Path, help="a tools/ folder (repeatable; default: ours)")
    ap.add_argument("--lab", choices=("both", "demo", "dozen"), default="both",
                    help="the sandbox's demo lab, the dozen seeded here, or both (default)")
    args = ap.parse_args()
    print(json.dumps({str(t): measure(t.resolve(), args.lab) for t in args.tools or [ROOT / "tools"]}, indent=1))


if __name__ == "__main__":
    main()
