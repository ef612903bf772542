"""launch.py --count N --cluster (issue 23 items 2 and 4): a tagged cluster placement group, all N nodes in one
RunInstances (MinCount = MaxCount = N), EFA where the type has it, a group open to itself, the hosts and ranks the boot
script reads, a Host block per node; capacity refused in one AZ tries the next; the placement group goes with the last
node (terminate) or with a failed launch (rollback); bad input is exit 2."""

from __future__ import annotations

import base64
import json

import pytest
from test_bad_input import message, refused
from test_launch import clean_launches, set_faults

REGION = "us-east-1"
CIDR = "198.51.100.23/32"
TYPE = "c5n.9xlarge"  # DescribeInstanceTypes: NetworkInfo.EfaSupported true, 36 vCPUs (Standard quota)


@pytest.fixture(autouse=True)
def cleanup(sandbox):
    """Leave the worker's lab as it was (other tests count its instances), also when an assertion failed mid-test."""
    yield
    clean_launches(sandbox)
    ec2 = sandbox.client("ec2", REGION)
    for pg in ec2.describe_placement_groups(Filters=[{"Name": "tag:awswiz:managed", "Values": ["true"]}])[
            "PlacementGroups"]:
        try:
            ec2.delete_placement_group(GroupName=pg["GroupName"])
        except Exception:  # noqa: BLE001 - still holding a node: left for the next cleanup
            pass


@pytest.fixture
def faults(sandbox):
    yield lambda f: set_faults(sandbox, f)
    set_faults(sandbox, [])


def args(name: str, *more: str) -> list[str]:
    return ["--type", TYPE, "--count", "2", "--cluster", "--name", name, "--region", REGION, "--ssh-cidr", CIDR,
            "--no-wait", *more]


def sent(state_dir, op: str) -> list[dict]:
    """The audit log's changing calls of op (not DryRuns)."""
    path = state_dir / "audit.jsonl"
    lines = [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []
    return [x for x in lines if x["phase"] == "sent" and x["operation"] == op and not x["params"].get("DryRun")]


def tags(item: dict) -> dict:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def terminate_launch(run_tool, lid: str):
    plan = run_tool("terminate", "--type", "ec2", "--tag", f"awswiz:launch-id={lid}", "--region", REGION)
    assert plan.code == 0, plan.stdout + plan.stderr
    done = run_tool("terminate", "--type", "ec2", "--tag", f"awswiz:launch-id={lid}", "--region", REGION,
                    "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    return plan.json["data"]["plan"]


def test_cluster_launch_one_request_placement_efa_group_hosts_then_terminate_leaves_nothing(
        sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    plan = run_tool("launch", *args("clu-a"))
    assert plan.code == 0, plan.stdout + plan.stderr
    detail = plan.json["data"]["plan"][0]["detail"]
    # the quota and price shown are for N nodes
    assert detail["quota"]["needs"] == 2 * 36
    assert detail["cluster"]["price_per_hour_all_nodes"] == pytest.approx(2 * detail["price_per_hour"])
    assert detail["cluster"]["efa"].startswith("primary interface EFA")
    assert ec2.describe_placement_groups(Filters=[{"Name": "group-name", "Values": ["awswiz-clu-a"]}])[
        "PlacementGroups"] == []  # the plan made nothing (its RunInstances are amis.py's DryRuns)
    assert sent(state_dir, "CreatePlacementGroup") == []
    r = run_tool("launch", *args("clu-a"), "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    out = r.json["data"]["results"][0]
    # EC2 API Reference, RunInstances MinCount: "If Amazon EC2 cannot launch at least MinCount instances, no
    # instances are launched at all": one request for all N
    [run] = sent(state_dir, "RunInstances")
    assert (run["params"]["MinCount"], run["params"]["MaxCount"]) == (2, 2)
    assert run["params"]["Placement"] == {"GroupName": "awswiz-clu-a"}
    assert run["params"]["MetadataOptions"]["InstanceMetadataTags"] == "enabled"
    ids = out["instances"]
    insts = sorted((i for res in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in res["Instances"]),
                   key=lambda i: i["AmiLaunchIndex"])
    # User Guide, "Placement strategies": a cluster group is one AZ; the group is the launch's, tagged managed
    assert {i["Placement"]["GroupName"] for i in insts} == {"awswiz-clu-a"}
    assert len({i["Placement"]["AvailabilityZone"] for i in insts}) == 1
    [pg] = ec2.describe_placement_groups(GroupNames=["awswiz-clu-a"])["PlacementGroups"]
    assert pg["Strategy"] == "cluster" and tags(pg)["awswiz:managed"] == "true"
    # EFA where DescribeInstanceTypes says EfaSupported: the primary interface is an EFA
    assert [n["InterfaceType"] for i in insts for n in i["NetworkInterfaces"]] == ["efa", "efa"]
    # User Guide, "Elastic Fabric Adapter": the group allows all traffic from itself; from outside only SSH
    [group] = ec2.describe_security_groups(GroupIds=[out["security_group"]])["SecurityGroups"]
    rules = {(p["IpProtocol"], p.get("FromPort"), tuple(g["GroupId"] for g in p.get("UserIdGroupPairs", [])),
              tuple(x["CidrIp"] for x in p.get("IpRanges", []))) for p in group["IpPermissions"]}
    assert rules == {("-1", None, (group["GroupId"],), ()), ("tcp", 22, (), (CIDR,))}
    # what the boot script reads: rank = launch index, the hosts in launch order; head = node 0
    ips = [i["PrivateIpAddress"] for i in insts]
    for rank, i in enumerate(insts):
        t = tags(i)
        assert t["awswiz:node-rank"] == str(rank) and t["awswiz:cluster-hosts-0"] == ",".join(ips)
    assert out["master_addr"] == ips[0] and out["head"] == insts[0]["InstanceId"]
    data = ec2.describe_instance_attribute(InstanceId=ids[0], Attribute="userData")["UserData"]["Value"]
    script = base64.b64decode(data).decode()
    assert "cluster_env.sh" in script and "ami-launch-index" in script and "MASTER_ADDR" in script
    assert [n for n in r.json["next"] if "connect.py" in n] == [
        f"uv run tools/connect.py --id {i} --region {REGION} -- nvidia-smi" for i in ids]  # each node
    # terminate by the launch's tag: the nodes, then their group, key and placement group (User Guide, "Delete a
    # placement group": it must contain no instances first)
    planned = terminate_launch(run_tool, out["launch_id"])
    assert [a["action"] for a in planned][-1] == "delete-launch-placement-group"
    assert ec2.describe_placement_groups(Filters=[{"Name": "group-name", "Values": ["awswiz-clu-a"]}])[
        "PlacementGroups"] == []
    assert not ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["awswiz-ssh-cluster-clu-a"]}])[
        "SecurityGroups"]


def test_capacity_refused_for_n_in_one_az_tries_the_next_with_one_group(sandbox, run_tool, state_dir, faults):
    ec2 = sandbox.client("ec2", REGION)
    plan = run_tool("launch", *args("clu-b"))
    assert plan.code == 0, plan.stdout + plan.stderr
    first = plan.json["data"]["plan"][0]["detail"]["azs"][0]
    faults([{"type": TYPE, "region": REGION, "azs": [first]}])
    r = run_tool("launch", *args("clu-b"), "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    out = r.json["data"]["results"][0]
    assert [(a["az"], a["code"]) for a in out["attempts"]][0] == (first, "InsufficientInstanceCapacity")
    assert out["attempts"][-1]["code"] == "ok" and out["az"] != first
    assert len(sent(state_dir, "CreatePlacementGroup")) == 1 and len(sent(state_dir, "RunInstances")) == 2
    found = ec2.describe_instances(InstanceIds=out["instances"])["Reservations"]
    assert {i["Placement"]["AvailabilityZone"] for res in found for i in res["Instances"]} == {out["az"]}
    terminate_launch(run_tool, out["launch_id"])


def test_failed_cluster_launch_removes_its_placement_group(sandbox, run_tool, state_dir, faults):
    ec2 = sandbox.client("ec2", REGION)
    plan = run_tool("launch", *args("clu-c"))
    faults([{"type": TYPE, "region": REGION}])  # no capacity in any AZ
    r = run_tool("launch", *args("clu-c"), "--confirm", plan.json["data"]["confirm"])
    assert r.code == 1, r.stdout + r.stderr
    out = r.json["data"]["results"][0]
    assert {m["type"] for m in out["rolled_back"]} >= {"ec2:placement-group", "vpc:security-group"}
    assert all(m["ok"] for m in out["rolled_back"])
    assert len(out["attempts"]) == len(plan.json["data"]["plan"][0]["detail"]["azs"])  # every AZ, each said
    assert ec2.describe_placement_groups(Filters=[{"Name": "group-name", "Values": ["awswiz-clu-c"]}])[
        "PlacementGroups"] == []


@pytest.mark.parametrize("more, words", [
    (["--count", "1"], ["--count 2 or more"]),
    (["--spot", "--persistent"], ["placement group"]),
])
def test_cluster_bad_input_is_exit_2(offline, state_dir, more, words):
    doc = refused(offline, state_dir, "launch", *args("clu-x"), *more)
    assert all(w in message(doc) for w in words), message(doc)


def test_private_subnet_is_reached_through_a_public_head_never_opened(sandbox, run_tool, state_dir):
    # issue 23 item 3. Amazon VPC User Guide, "Subnets for your VPC": a private subnet has no direct route to an
    # internet gateway; the box there gets no public IPv4 and is reached with ProxyJump through a public AwsWiz box
    ec2 = sandbox.client("ec2", REGION)
    net = ["create", "--name", "jumpnet", "--cidr", "10.92.0.0/16", "--azs", "1", "--nat", "none", "--region", REGION]
    made = run_tool("network", *net, "--confirm", run_tool("network", *net).json["data"]["confirm"])
    assert made.code == 0, made.stdout + made.stderr
    listed = run_tool("network", "list", "--region", REGION).json["data"]["networks"]
    [n] = [x for x in listed if x["name"] == "jumpnet"]
    public, private = n["public_subnets"][0]["id"], n["private_subnets"][0]["id"]
    try:
        alone = run_tool("launch", "--type", "g5.xlarge", "--name", "jn-node", "--subnet", private, "--region", REGION,
                         "--ssh-cidr", CIDR)  # no jump host yet: the plan says the box would be unreachable
        assert alone.code == 0, alone.stdout + alone.stderr
        alone = alone.json["data"]["plan"][0]["detail"]
        assert any("is private" in w and "head node" in w for w in alone["warnings"]) and "ssh_via" not in alone
        head = ["--type", "g5.xlarge", "--name", "jn-head", "--subnet", public, "--region", REGION, "--ssh-cidr", CIDR,
                "--no-wait"]
        r = run_tool("launch", *head, "--confirm", run_tool("launch", *head).json["data"]["confirm"])
        assert r.code == 0, r.stdout + r.stderr
        [hid] = r.json["data"]["results"][0]["instances"]
        [h] = ec2.describe_instances(InstanceIds=[hid])["Reservations"][0]["Instances"]
        node = ["--type", "g5.xlarge", "--name", "jn-node", "--subnet", private, "--region", REGION, "--wait",
                "--wait-timeout", "60"]
        plan = run_tool("launch", *node)
        assert plan.code == 0, plan.stdout + plan.stderr
        detail = plan.json["data"]["plan"][0]["detail"]
        assert detail["ssh_rule"].startswith(f"tcp/22 from {h['PrivateIpAddress']}/32") and hid in detail["ssh_via"]
        r = run_tool("launch", *node, "--confirm", plan.json["data"]["confirm"])
        assert r.code == 0, r.stdout + r.stderr
        out = r.json["data"]["results"][0]
        [nic] = [x["params"]["NetworkInterfaces"][0] for x in sent(state_dir, "RunInstances")
                 if x["params"]["NetworkInterfaces"][0]["SubnetId"] == private]
        assert nic["AssociatePublicIpAddress"] is False
        [box] = ec2.describe_instances(InstanceIds=out["instances"])["Reservations"][0]["Instances"]
        assert not box.get("PublicIpAddress")
        [group] = ec2.describe_security_groups(GroupIds=[out["security_group"]])["SecurityGroups"]
        assert [r["CidrIp"] for p in group["IpPermissions"] for r in p["IpRanges"]] == [f"{h['PrivateIpAddress']}/32"]
        config = (state_dir / "ssh_config").read_text()
        assert f"Host jump-{hid}\n" in config and "Host jn-node\n" in config
        assert config.split("Host jn-node\n")[1].split("\n\n")[0].rstrip().endswith(f"ProxyJump jump-{hid}")
        # connect.py goes the same way (as ssh -J: RFC 4254 section 7.2, a "direct-tcpip" channel opened on the head
        # to the box's private IP:22), never to the box directly; both host keys pinned
        nid, ip = box["InstanceId"], box["PrivateIpAddress"]
        mark = sandbox.mark()
        res = run_tool("connect", "--id", nid, "--region", REGION, "--", "hostname")
        assert res.code == 0, res.stdout + res.stderr
        assert res.json["data"]["stdout"] == f"{nid}\n" and hid in res.json["data"]["via"]
        assert res.json["data"]["host"] == f"ubuntu@{ip}"
        hops = [(c["path"], c["query"]) for c in sandbox.calls(mark) if c["service"] == "ssh"]
        assert hops == [(hid, f"{ip}:22")]
        assert f"\n{ip} " in "\n" + (state_dir / "known_hosts").read_text()
        (state_dir.parent / "up.txt").write_text("through the head")
        up = run_tool("connect", "--id", nid, "--region", REGION, "--copy", str(state_dir.parent / "up.txt"), ":up.txt")
        assert up.code == 0 and up.json["data"]["bytes"] == len("through the head"), up.stdout + up.stderr
        # instance_status gives the same way as an ssh line (ssh(1) -W through the head, in a ProxyCommand)
        [row] = [x for x in run_tool("instance_status", "--region", REGION).json["data"]["instances"] if x["id"] == nid]
        assert row["ssh_via"] == hid and row["ssh"].endswith(f" ubuntu@{ip}") and " -W %h:%p " in row["ssh"]
        assert "ssh_answers" not in row and row["connect"].startswith(f"uv run tools/connect.py --id {nid}")
        import shutil
        import subprocess

        if shutil.which("ssh"):  # the line works as printed, with OpenSSH's client, on the keys connect.py pinned
            ran = subprocess.run(row["ssh"] + " -o BatchMode=yes hostname", shell=True, capture_output=True,
                                 text=True, timeout=60, stdin=subprocess.DEVNULL)
            assert ran.returncode == 0 and ran.stdout == f"{nid}\n", ran.stderr
        # no head left: a clear error naming what to launch (exit 1: the input is fine, the VPC lacks a head)
        ec2.terminate_instances(InstanceIds=[hid])
        mark = sandbox.mark()
        res = run_tool("connect", "--id", nid, "--region", REGION, "--", "hostname")
        assert res.code == 1 and res.json["errors"][0]["code"] == "NoJumpHost", res.stdout + res.stderr
        assert res.json["next"][0].startswith(f"uv run tools/launch.py --type g5.xlarge --name head-{n['vpc']} "
                                              f"--subnet {public} --region {REGION}")
        assert not [c for c in sandbox.calls(mark) if c["service"] == "ssh"]
        import shlex  # the hint works as printed: the head's launch plan

        again = run_tool("launch", *shlex.split(res.json["next"][0])[3:])
        assert again.code == 0 and again.json["data"]["plan"][0]["detail"]["ssh_rule"].startswith("tcp/22 from "), \
            again.stdout + again.stderr
    finally:
        clean_launches(sandbox)
        vpc = ["--id", n["vpc"], "--region", REGION]
        gone = run_tool("cleanup_vpc", *vpc, "--confirm", run_tool("cleanup_vpc", *vpc).json["data"]["confirm"])
        assert gone.code == 0, gone.stdout + gone.stderr
