"""network.py (issue 23 item 1): create plans then applies a training network, every part tagged; list shows it;
cleanup_vpc.py removes it, also after a create killed half-way; bad input is exit 2 and creates nothing."""

from __future__ import annotations

import pytest
from gate import kill_through
from mutation_helpers import mutating_calls
from test_bad_input import message, refused

REGION = "eu-north-1"  # this file's own region (moto gives it three AZs)


def tagged(ec2, name: str) -> dict[str, list]:
    """What carries awswiz:network=NAME in the region, by kind (deleted or gone parts left out)."""
    flt = [{"Name": "tag:awswiz:network", "Values": [name]}]
    return {"vpcs": ec2.describe_vpcs(Filters=flt)["Vpcs"], "subnets": ec2.describe_subnets(Filters=flt)["Subnets"],
            "igws": ec2.describe_internet_gateways(Filters=flt)["InternetGateways"],
            "route_tables": ec2.describe_route_tables(Filters=flt)["RouteTables"],
            "addresses": ec2.describe_addresses(Filters=flt)["Addresses"],
            "nats": [n for n in ec2.describe_nat_gateways(Filters=flt)["NatGateways"] if n["State"] != "deleted"],
            "endpoints": [e for e in ec2.describe_vpc_endpoints(Filters=flt)["VpcEndpoints"]
                          if e["State"].lower() != "deleted"]}


def tags(item: dict) -> dict:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def test_create_plans_then_builds_the_network_tagged_and_listed(sandbox, guarded, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    flow = guarded("network", "create", "--name", "trainnet", "--cidr", "10.77.0.0/16", "--azs", "2", "--nat",
                   "per-az", "--s3-endpoint", "--region", REGION)
    plan = flow.plan()
    kinds = [a["type"] for a in plan["plan"]]
    assert kinds.count("vpc:subnet") == 4 and kinds.count("vpc:nat-gateway") == 2 and "vpc:endpoint" in kinds
    # Amazon VPC pricing: NAT gateway hours and every public IPv4 address (the NATs' Elastic IPs) bill by the hour;
    # list_prices' table (no Pricing API answer for eu-north-1 in the sandbox is fine: the floor is the table's)
    cost = plan["monthly_cost"]
    assert cost["per_month"] == pytest.approx(2 * (0.045 + 0.005) * 730, rel=0.35) and cost["price_source"]
    assert tagged(ec2, "trainnet")["vpcs"] == []  # the plan made nothing
    r = flow.confirm()
    assert r.json["data"]["summary"] == {"done": len(kinds), "failed": 0, "not_attempted": 0}
    made = tagged(ec2, "trainnet")
    [vpc] = made["vpcs"]
    vid = vpc["VpcId"]
    # EC2 API Reference, DescribeVpcAttribute: enableDnsSupport and enableDnsHostnames, asked one at a time
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    assert ec2.describe_vpc_attribute(VpcId=vid, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    tiers = {(s["AvailabilityZone"], tags(s)["awswiz:tier"], s["MapPublicIpOnLaunch"]) for s in made["subnets"]}
    assert tiers == {(f"{REGION}{z}", t, t == "public") for z in "ab" for t in ("public", "private")}
    [igw] = made["igws"]
    assert igw["Attachments"][0]["VpcId"] == vid
    # Amazon VPC User Guide, "NAT gateways": a NAT gateway in each public subnet with an Elastic IP; the private
    # subnets route 0.0.0.0/0 to the NAT of their AZ; the public route table sends 0.0.0.0/0 to the internet gateway
    public = {s["SubnetId"] for s in made["subnets"] if s["MapPublicIpOnLaunch"]}
    assert {n["SubnetId"] for n in made["nats"]} == public and len(made["addresses"]) == 2
    assert {a["AllocationId"] for n in made["nats"] for a in n["NatGatewayAddresses"]} == \
        {a["AllocationId"] for a in made["addresses"]}
    routes = {tags(rt)["Name"]:
              {r.get("DestinationCidrBlock"): r.get("GatewayId") or r.get("NatGatewayId") for r in rt["Routes"]}
              for rt in made["route_tables"]}
    assert routes["trainnet-public"]["0.0.0.0/0"] == igw["InternetGatewayId"]
    nat_of = {n["SubnetId"]: n["NatGatewayId"] for n in made["nats"]}
    az_nat = {s["AvailabilityZone"]: nat_of[s["SubnetId"]] for s in made["subnets"] if s["SubnetId"] in nat_of}
    for z in "ab":
        assert routes[f"trainnet-private-{REGION}{z}"]["0.0.0.0/0"] == az_nat[f"{REGION}{z}"]
    # Amazon VPC User Guide, "Gateway endpoints for Amazon S3": the endpoint is associated with the private tables
    [ep] = made["endpoints"]
    private_rts = {rt["RouteTableId"] for rt in made["route_tables"] if "private" in tags(rt)["Name"]}
    assert ep["ServiceName"] == f"com.amazonaws.{REGION}.s3" and set(ep["RouteTableIds"]) == private_rts
    every = [*made["vpcs"], *made["subnets"], *made["igws"], *made["route_tables"], *made["addresses"],
             *made["nats"], *made["endpoints"]]
    assert all(tags(x).get("awswiz:managed") == "true" for x in every)
    assert "CreateVpc" in flow.ops and flow.ops.count("CreateNatGateway") == 2
    listed = run_tool("network", "list", "--region", REGION).json["data"]["networks"]
    [net] = [n for n in listed if n["name"] == "trainnet"]
    assert (net["vpc"], len(net["public_subnets"]), len(net["nat_gateways"])) == (vid, 2, 2) and net["s3_endpoint"]
    # removal is cleanup_vpc's: it knows what create made
    plan = run_tool("cleanup_vpc", "--id", vid, "--region", REGION)
    assert plan.code == 0, plan.stdout
    done = run_tool("cleanup_vpc", "--id", vid, "--region", REGION, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert not any(tagged(ec2, "trainnet").values())


def test_create_killed_half_way_is_cleaned_by_cleanup_vpc(sandbox, run_tool, state_dir):
    # killed (SIGKILL) right after its Elastic IP was allocated, before the NAT gateway holds it: the address carries
    # awswiz:teardown-of=VPC from its allocation, so cleanup_vpc releases it with the VPC (vpc_teardown.eips)
    ec2 = sandbox.client("ec2", REGION)
    args = ["create", "--name", "halfnet", "--cidr", "10.78.0.0/16", "--azs", "2", "--nat", "single", "--region",
            REGION]
    plan = run_tool("network", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    assert kill_through(sandbox.url, state_dir, "network", [*args, "--confirm", plan.json["data"]["confirm"]],
                        "AllocateAddress", 1) is None
    left = tagged(ec2, "halfnet")
    assert len(left["vpcs"]) == 1 and len(left["addresses"]) == 1 and not left["nats"]
    vid = left["vpcs"][0]["VpcId"]
    listed = run_tool("network", "list", "--region", REGION).json["data"]["networks"]
    assert [n["vpc"] for n in listed if n["name"] == "halfnet"] == [vid]  # list finds the half-made network
    # the name is taken now: a second create is bad input naming the VPC, and creates nothing
    mark = sandbox.mark()
    again = run_tool("network", *args)
    assert again.code == 2 and vid in again.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []
    cleanup = run_tool("cleanup_vpc", "--id", vid, "--region", REGION)
    assert cleanup.code == 0, cleanup.stdout
    assert left["addresses"][0]["AllocationId"] in {a["id"] for a in cleanup.json["data"]["plan"]}
    done = run_tool("cleanup_vpc", "--id", vid, "--region", REGION, "--confirm", cleanup.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert not any(tagged(ec2, "halfnet").values())


@pytest.mark.parametrize("args, words", [
    (["--cidr", "10.20.0.0/16"], ["overlaps", "research-vpc"]),   # the lab's research-vpc in us-east-1
    (["--cidr", "10.79.0.0/16", "--azs", "4", "--region", REGION], ["--azs 4", "3 available AZs"]),
    (["--cidr", "10.79.0.0/16", "--name", "research-vpc"], ["in use"]),
])
def test_bad_input_aws_must_be_asked_about_is_exit_2_creating_nothing(sandbox, run_tool, args, words):
    # an overlapping block, an AZ count the region lacks (DescribeAvailabilityZones), a name in use
    base = {"--name": "badnet", "--azs": "2", "--region": "us-east-1"}
    for k, v in zip(args[::2], args[1::2], strict=True):
        base[k] = v
    mark = sandbox.mark()
    r = run_tool("network", "create", *[w for kv in base.items() for w in kv])
    assert r.code == 2, r.stdout + r.stderr
    assert all(w in r.json["errors"][0]["message"] for w in words), r.json["errors"]
    assert mutating_calls(sandbox, mark) == []


@pytest.mark.parametrize("args, words", [
    (["--name", "n", "--cidr", "10.0.0.0/8"], ["/16 to /28"]),
    (["--name", "n", "--cidr", "10.0.0.1/16"], ["10.0.0.0/16"]),
    (["--name", "n", "--cidr", "10.0.0.0/26", "--azs", "3"], ["too small"]),
    (["--name", "n", "--cidr", "10.0.0.0/16", "--nat", "two"], ["single", "per-az", "none"]),
    (["--name", "bad name", "--cidr", "10.0.0.0/16"], ["--name"]),
    (["--cidr", "10.0.0.0/16"], ["--name"]),
    (["--name", "n", "--cidr", "10.0.0.0/16", "--azs", "0"], ["--azs"]),
    (["--name", "n", "--cidr", "10.0.0.0/16", "--region", "us-east-1,us-west-2"], ["one region"]),
    # the core's one_region (guard/targets.py): `all` refused before any call, `auto` is no region name
    (["--name", "n", "--cidr", "10.0.0.0/16", "--region", "all"], ["one region", "got --region all"]),
    (["--name", "n", "--cidr", "10.0.0.0/16", "--region", "auto"], ["unknown region auto", "us-east-1"]),
])
def test_bad_flags_are_exit_2_before_anything_is_sent(offline, state_dir, args, words):
    region = [] if "--region" in args else ["--region", "us-east-1"]
    doc = refused(offline, state_dir, "network", "create", *args, *region)
    assert all(w in message(doc) for w in words), message(doc)
