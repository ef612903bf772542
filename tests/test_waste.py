"""waste.py against the sandbox: each kind of waste made fresh with the sandbox's boto3 client (and CloudWatch
data where the rule reads metrics), found with its monthly cost and the `next` that removes it.

Expected costs are computed here from the price basis each item names: the Pricing API's answer for the region
(read here from the sandbox's GetProducts, in the AWS PriceList format: "Using the AWS Price List API", AWS
Billing User Guide), 730 hours a month as the AWS Pricing Calculator counts; and when the Pricing API refuses,
the us-east-1 list prices of list_prices.py (Amazon EBS pricing, Amazon VPC pricing).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid

import pytest
from test_hints import use_running_sandbox

REGION = "ap-northeast-3"  # fresh resources of these tests only (no lab, no other test file uses it)
GPU_REGION = "eu-south-2"  # g5.xlarge is offered here in the sandbox; no other test uses it
HOURS = 730  # AWS Pricing Calculator: hours in a month
# us-east-1 list prices (Amazon EBS pricing / Amazon VPC pricing), the fallback when the Pricing API refuses
GP3_GB_MONTH, IPV4_HOUR = 0.08, 0.005


def api_price(sb, service: str, usage: str, region: str = REGION, **filters: str) -> float:
    """The Pricing API's USD per unit for the product of this usagetype (region prefix aside) in the region."""
    pricing = sb.client("pricing", "us-east-1")
    terms = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {**filters, "regionCode": region}.items()]
    for raw in pricing.get_products(ServiceCode=service, Filters=terms)["PriceList"]:
        doc = json.loads(raw)
        if re.sub(r"^[A-Z]{2,5}[0-9]?-", "", doc["product"]["attributes"]["usagetype"]) == usage:
            (term,) = doc["terms"]["OnDemand"].values()
            (dim,) = term["priceDimensions"].values()
            return float(dim["pricePerUnit"]["USD"])
    raise AssertionError(f"no {service} {usage} price in {region}")


def gp3(sb) -> float:
    return api_price(sb, "AmazonEC2", "EBS:VolumeUsage.gp3", productFamily="Storage", volumeApiName="gp3")


def ipv4(sb) -> float:  # Amazon VPC pricing: every public IPv4 address, idle or in use, since 2024-02-01
    return api_price(sb, "AmazonVPC", "PublicIPv4:IdleAddress", group="VPCPublicIPv4Address")


def ipv4_in_use(sb, region: str = REGION) -> float:
    # Amazon VPC pricing, "Public IPv4 Address": an address in use (an instance's own, a load balancer node's) is
    # billed as an idle one is; the price list names it PublicIPv4:InUseAddress
    return api_price(sb, "AmazonVPC", "PublicIPv4:InUseAddress", region, group="VPCPublicIPv4Address")


def snapshot(sb) -> float:  # the standard tier, not the archive tier the same family holds
    return api_price(sb, "AmazonEC2", "EBS:SnapshotUsage", productFamily="Storage Snapshot")


def waste(run_tool, *args: str) -> tuple[dict, dict]:
    r = run_tool("waste", *args, "--sandbox")
    assert r.code == 0, r.stdout[-3000:] + r.stderr[-3000:]
    doc = r.json
    return doc, {i["id"]: i for i in doc["data"]["items"]}


def remove_cmd(rtype: str, rid: str, region: str = REGION) -> str:
    return f"uv run tools/terminate.py --type {rtype} --id {rid} --region {region} --sandbox"


@pytest.fixture
def sb(sandbox, state_dir):
    use_running_sandbox(sandbox, state_dir)
    return sandbox


def test_volume_eip_and_orphaned_snapshot_are_listed_with_cost_and_next(sb, run_tool):
    ec2 = sb.client("ec2", REGION)
    az = f"{REGION}a"
    vol = ec2.create_volume(AvailabilityZone=az, Size=123, VolumeType="gp3")["VolumeId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    gone = ec2.create_volume(AvailabilityZone=az, Size=40, VolumeType="gp3")["VolumeId"]
    orphan = ec2.create_snapshot(VolumeId=gone)["SnapshotId"]
    ec2.delete_volume(VolumeId=gone)
    live = ec2.create_volume(AvailabilityZone=az, Size=5, VolumeType="gp3")["VolumeId"]
    backup = ec2.create_snapshot(VolumeId=live)["SnapshotId"]
    kept = ec2.create_volume(AvailabilityZone=az, Size=9, VolumeType="gp3", TagSpecifications=[
        {"ResourceType": "volume", "Tags": [{"Key": "awswiz:protected", "Value": "true"}]}])["VolumeId"]
    # an AMI's snapshot (its volume long gone) is not orphaned while the AMI stays, and is once it is deregistered.
    # (moto ignores the mappings given to RegisterImage and makes a snapshot of its own: read them back.)
    dead_ami, kept_ami = (register(ec2) for _ in range(2))
    dead_snap, kept_snap = (ami_snapshots(ec2, a)[0][0] for a in (dead_ami, kept_ami))
    ec2.deregister_image(ImageId=dead_ami)

    day0 = dt.datetime.now(dt.UTC).date().isoformat()
    doc, items = waste(run_tool, "--region", REGION)
    days = {day0, dt.datetime.now(dt.UTC).date().isoformat()}  # the run may straddle 00:00 UTC
    v = items[vol]
    assert (v["kind"], v["type"], v["region"]) == ("unattached-volume", "ec2:volume", REGION)
    assert v["monthly_usd"] == round(123 * gp3(sb), 2) and gp3(sb) != GP3_GB_MONTH  # the region's own price
    assert v["price_basis"] == f"Pricing API {REGION} (AmazonEC2)"
    assert v["price_date"] in days  # fetched today, cached with its date
    assert v["next"] == remove_cmd("ec2:volume", vol)
    # Amazon VPC pricing: every public IPv4 address is billed since 2024-02-01, an idle Elastic IP included
    e = items[eip]
    assert (e["kind"], e["type"]) == ("unassociated-eip", "ec2:elastic-ip")
    assert e["monthly_usd"] == round(ipv4(sb) * HOURS, 2) and e["price_basis"] == f"Pricing API {REGION} (AmazonVPC)"
    assert e["next"] == remove_cmd("ec2:elastic-ip", eip)
    s = items[orphan]
    assert (s["kind"], s["type"]) == ("orphaned-snapshot", "ec2:snapshot")
    assert s["monthly_usd"] == round(40 * snapshot(sb), 2)
    assert s["next"] == remove_cmd("ec2:snapshot", orphan)
    assert backup not in items and kept_snap not in items  # a volume or an AMI holds them
    assert items[dead_snap]["kind"] == "orphaned-snapshot" and live in items  # (live: attached to nothing)
    # a protected volume is still waste, but AwsWiz offers no command to remove it (the guard would refuse)
    assert items[kept].get("next") is None and "protected" in items[kept]["why"]
    # totals per region and per kind, and the grand total, add up the items
    t = doc["data"]["totals"]
    assert t["monthly_usd"] == round(sum(i["monthly_usd"] for i in items.values()), 2)
    assert t["by_region"][REGION] == t["monthly_usd"]
    assert t["by_kind"]["unassociated-eip"]["count"] >= 1
    assert set(doc["next"]) <= {i.get("next") for i in items.values()} and doc["next"]


def register(ec2) -> str:
    return ec2.register_image(Name=f"w-{uuid.uuid4().hex[:6]}", RootDeviceName="/dev/sda1", VirtualizationType="hvm",
                              BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]


def ami_snapshots(ec2, ami: str) -> list[tuple[str, int]]:
    """(snapshot id, GiB) of each EBS mapping of the AMI, as DescribeImages reports them."""
    (img,) = ec2.describe_images(ImageIds=[ami])["Images"]
    return [(m["Ebs"]["SnapshotId"], m["Ebs"]["VolumeSize"]) for m in img["BlockDeviceMappings"] if "Ebs" in m]


def test_stopped_instance_pays_for_its_volume_and_elastic_ip(sb, run_tool):
    ec2 = sb.client("ec2", REGION)
    img = register(ec2)
    iid = ec2.run_instances(ImageId=img, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                            BlockDeviceMappings=[{"DeviceName": "/dev/sda1",
                                                  "Ebs": {"VolumeSize": 60, "VolumeType": "gp3"}}]
                            )["Instances"][0]["InstanceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    _, running = waste(run_tool, "--region", REGION)
    assert iid not in running and alloc not in running  # a running instance and its address are in use
    ec2.stop_instances(InstanceIds=[iid])
    _, items = waste(run_tool, "--region", REGION)
    item = items[iid]
    assert (item["kind"], item["type"]) == ("stopped-instance", "ec2:instance")
    # EC2 API Reference, StopInstances: "We don't charge hourly usage for a stopped instance ... you are charged for
    # Amazon EBS volume usage": the item is its volume's price
    assert item["monthly_usd"] == round(60 * gp3(sb), 2)
    assert item["next"] == remove_cmd("ec2:instance", iid)
    # its Elastic IP is a public IPv4 address, billed too (Amazon VPC pricing), and a resource of its own: terminating
    # the instance does not release it (an address stays allocated until ReleaseAddress), so it is its own item,
    # priced as costs --now prices it (an associated address: PublicIPv4:InUseAddress), named on the instance's
    assert "Elastic IP" in item["why"] and "does not release" in item["why"]
    e = items[alloc]
    assert (e["kind"], e["type"]) == ("stopped-instance-eip", "ec2:elastic-ip")
    assert e["monthly_usd"] == round(ipv4_in_use(sb) * HOURS, 2)
    assert e["next"] == remove_cmd("ec2:elastic-ip", alloc)


def put_hourly(cw, namespace: str, name: str, dims: list[dict], value: float, hours: int = 48) -> None:
    now = dt.datetime.now(dt.UTC).replace(minute=30, second=0, microsecond=0)
    data = [{"MetricName": name, "Dimensions": dims, "Timestamp": now - dt.timedelta(hours=h), "Value": value,
             "Unit": "Percent"} for h in range(1, hours + 1)]
    cw.put_metric_data(Namespace=namespace, MetricData=data)


def gpu_instance(ec2, spot: bool = False) -> str:
    img = register(ec2)
    kw = {"InstanceMarketOptions": {"MarketType": "spot"}} if spot else {}
    return ec2.run_instances(ImageId=img, MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
                             **kw)["Instances"][0]["InstanceId"]


def on_demand_month(sb, itype: str, region: str) -> float:
    """The price basis of an on-demand item: the Pricing API's Linux on-demand price (as the sandbox serves it
    in the PriceList format), x 730 hours."""
    pricing = sb.client("pricing", "us-east-1")
    filters = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {
        "instanceType": itype, "regionCode": region, "operatingSystem": "Linux", "tenancy": "Shared",
        "preInstalledSw": "NA", "capacitystatus": "Used", "licenseModel": "No License required"}.items()]
    doc = json.loads(pricing.get_products(ServiceCode="AmazonEC2", Filters=filters)["PriceList"][0])
    (term,) = doc["terms"]["OnDemand"].values()
    (dim,) = term["priceDimensions"].values()
    return round(float(dim["pricePerUnit"]["USD"]) * HOURS, 2)


def test_idle_gpu_instances_from_cloudwatch_cpu_and_gpu(sb, run_tool):
    ec2, cw = sb.client("ec2", GPU_REGION), sb.client("cloudwatch", GPU_REGION)
    idle, busy, gpu_busy, gpu_idle = (gpu_instance(ec2) for _ in range(4))
    spot = gpu_instance(ec2, spot=True)
    for iid, cpu in ((idle, 1), (busy, 80), (gpu_busy, 1), (gpu_idle, 80), (spot, 1)):
        put_hourly(cw, "AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": iid}], cpu)
    # the CloudWatch agent's GPU series: one per GPU, with dimensions of its own besides InstanceId
    # ("Collect NVIDIA GPU metrics", Amazon CloudWatch User Guide): the GPU decides over the CPU
    for iid, gpu in ((gpu_busy, 90), (gpu_idle, 0)):
        put_hourly(cw, "CWAgent", "nvidia_smi_utilization_gpu", [
            {"Name": "InstanceId", "Value": iid}, {"Name": "index", "Value": "0"},
            {"Name": "name", "Value": "NVIDIA A10G"}], gpu)
    mark = sb.mark()
    _, items = waste(run_tool, "--region", GPU_REGION, "--idle-hours", "24")
    assert busy not in items and gpu_busy not in items
    # EC2 API Reference, AssociatePublicIpAddress: "If launching into a default subnet, the default value is true",
    # and AWS "charges for all public IPv4 addresses, including public IPv4 addresses associated with running
    # instances": an idle box costs its hour and its address's
    month = on_demand_month(sb, "g5.xlarge", GPU_REGION) + ipv4_in_use(sb, GPU_REGION) * HOURS
    for iid in (idle, gpu_idle):
        item = items[iid]
        (inst,) = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
        assert inst.get("PublicIpAddress")
        assert (item["kind"], item["type"]) == ("idle-gpu", "ec2:instance")
        assert item["monthly_usd"] == pytest.approx(month, abs=0.011)
        assert item["price_basis"] == f"Pricing API on-demand (Linux); Pricing API {GPU_REGION} (AmazonVPC)"
        assert item["price_date"]
        assert item["next"] == f"uv run tools/stop.py --id {iid} --region {GPU_REGION} --sandbox"
    assert "GPU utilisation" in items[gpu_idle]["why"] and "CPU" in items[idle]["why"]
    # a one-time spot instance cannot be stopped ("Stop a Spot Instance", EC2 User Guide): terminate it instead
    s = items[spot]
    assert s["next"] == remove_cmd("ec2:instance", spot, GPU_REGION) and "one-time" in s["why"]
    assert s["price_basis"].startswith("spot price")
    # batched: one GetMetricData for the region's every question (up to 500 queries a call), not one per instance
    calls = [c["action"] for c in sb.calls(mark) if c["service"] == "monitoring"]
    assert calls.count("GetMetricData") == 1 and calls.count("ListMetrics") == 1, calls


def test_nat_gateway_and_load_balancer_without_traffic(sb, run_tool):
    ec2, cw = sb.client("ec2", REGION), sb.client("cloudwatch", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.77.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.77.{i}.0/24", AvailabilityZone=f"{REGION}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    nats = [ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=ec2.allocate_address(Domain="vpc")
                                   ["AllocationId"])["NatGateway"]["NatGatewayId"] for _ in range(2)]
    put_hourly(cw, "AWS/NATGateway", "BytesOutToDestination", [{"Name": "NatGatewayId", "Value": nats[1]}], 5e6, 3)
    elb = sb.client("elbv2", REGION)
    lbs = [elb.create_load_balancer(Name=f"w{n}-{uuid.uuid4().hex[:6]}", Subnets=subnets)["LoadBalancers"][0]
           for n in range(2)]
    busy_dim = lbs[1]["LoadBalancerArn"].split(":loadbalancer/")[1]  # app/NAME/ID
    put_hourly(cw, "AWS/ApplicationELB", "RequestCount", [{"Name": "LoadBalancer", "Value": busy_dim}], 120, 3)

    _, items = waste(run_tool, "--region", REGION)
    n = items[nats[0]]
    assert (n["kind"], n["type"]) == ("idle-nat-gateway", "vpc:nat-gateway")
    # Amazon VPC pricing: the NAT gateway's hour (not its data processed, nor a regional NAT gateway's hour). Its
    # Elastic IP is priced as itself, not on the NAT gateway: "Deleting a NAT gateway disassociates its Elastic IP
    # address, but does not release the address from your account" (EC2 API Reference, DeleteNatGateway)
    nat_hour = api_price(sb, "AmazonEC2", "NatGateway-Hours", productFamily="NAT Gateway")
    assert n["monthly_usd"] == round(nat_hour * HOURS, 2)
    held = ec2.describe_nat_gateways(NatGatewayIds=[nats[0]])["NatGateways"][0]["NatGatewayAddresses"][0]
    assert held["AllocationId"] in n["why"] and "does not release it" in n["why"]
    assert n["next"] == remove_cmd("vpc:nat-gateway", nats[0])
    assert nats[1] not in items
    arn = lbs[0]["LoadBalancerArn"]
    lb = items[arn]
    assert (lb["kind"], lb["type"]) == ("idle-load-balancer", "elb:load-balancer")
    alb_hour = api_price(sb, "AWSELB", "LoadBalancerUsage", productFamily="Load Balancer-Application")
    # Elastic Load Balancing pricing: the hour, not LCUs; and the public IPv4 address of each of its nodes, one per
    # AZ (elbv2 CreateLoadBalancer, Scheme: "The nodes of an Internet-facing load balancer have public IP addresses",
    # internet-facing being the default; Amazon VPC pricing, "Public IPv4 Address")
    assert lb["monthly_usd"] == round((alb_hour + 2 * ipv4_in_use(sb)) * HOURS, 2)
    assert lb["next"] == remove_cmd("elb:load-balancer", arn)
    assert lbs[1]["LoadBalancerArn"] not in items


def test_no_next_points_at_what_a_protected_vpc_holds(sb, run_tool):
    # issue 19: waste suggested removing a NAT gateway in a protected VPC, which the guard then refused (DESIGN.md:
    # what a protected resource contains is protected too); the item stays, without a command, saying why. And the
    # envelope names the account it asked (it printed "account": null)
    ec2 = sb.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.78.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Environment", "Value": "Production"}]}])["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.78.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sub, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    doc, items = waste(run_tool, "--region", REGION)
    assert doc["account"] == "123456789012"
    n = items[nat]
    assert n["kind"] == "idle-nat-gateway" and n.get("next") is None
    assert f"VPC {vpc} is protected" in n["why"], n["why"]
    assert not [c for c in doc["next"] if nat in c]
    ec2.delete_nat_gateway(NatGatewayId=nat)


def test_old_ami_by_age_and_min_usd_filter(sb, run_tool):
    ec2 = sb.client("ec2", REGION)
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=200, VolumeType="gp3")["VolumeId"]
    ami = register(ec2)
    ((snap, gib),) = ami_snapshots(ec2, ami)
    _, young = waste(run_tool, "--region", REGION, "--ami-days", "30")
    assert ami not in young
    doc, items = waste(run_tool, "--region", REGION, "--ami-days", "0")
    item = items[ami]
    assert (item["kind"], item["type"]) == ("old-ami", "ec2:image")
    assert item["monthly_usd"] == round(gib * snapshot(sb), 2)  # Amazon EBS pricing: its snapshot's storage
    assert item["next"] == remove_cmd("ec2:image", ami)
    assert snap not in items  # held by the AMI: not orphaned
    cheap = [i for i in items.values() if i["monthly_usd"] < 10]
    assert ami in {i["id"] for i in cheap} and items[vol]["monthly_usd"] == round(200 * gp3(sb), 2)
    filtered, kept = waste(run_tool, "--region", REGION, "--ami-days", "0", "--min-usd", "10")
    assert vol in kept and all(i["monthly_usd"] >= 10 for i in kept.values())
    assert not set(kept) & {i["id"] for i in cheap}
    assert filtered["data"]["totals"]["count"] == len(kept)


def test_pretty_sorts_by_money(sb, run_tool):
    ec2 = sb.client("ec2", REGION)
    small, big = (ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=gib, VolumeType="gp3")["VolumeId"]
                  for gib in (3, 300))
    r = run_tool("waste", "--region", REGION, "--pretty", "--sandbox")
    assert r.code == 0, r.stdout
    assert "Per kind" in r.stdout and r.stdout.index(big) < r.stdout.index(small)  # most money first
    doc, _ = waste(run_tool, "--region", REGION)
    money = [i["monthly_usd"] for i in doc["data"]["items"]]
    assert len(money) >= 2 and money == sorted(money, reverse=True)


@pytest.mark.parametrize("args,word", [
    (["--idle-hours", "0"], "--idle-hours"), (["--ami-days", "-1"], "--ami-days"),
    (["--min-usd", "-5"], "--min-usd"), (["--min-usd", "lots"], "--min-usd"), (["--region", "mars-1"], "region"),
])
def test_bad_flags_exit_2_and_send_nothing(sandbox, run_tool, args, word):
    mark = sandbox.mark()
    r = run_tool("waste", *args)
    assert r.code == 2, r.stdout
    assert word in r.json["errors"][0]["message"] and r.json["next"] == []
    assert [c for c in sandbox.calls(mark) if c["service"] != "sts"] == []


def test_a_region_failing_gives_exit_3_and_the_other_regions(run_tool, faulty):
    url, stats = faulty(deny={"eu-west-1"})
    r = run_tool("waste", "--region", "us-east-1,eu-west-1", endpoint=url)
    assert r.code == 3, r.stdout[-2000:]
    doc = r.json
    assert doc["ok"] is False and {e["region"] for e in doc["errors"]} == {"eu-west-1"}
    regions = {i["region"] for i in doc["data"]["items"]}
    assert regions == {"us-east-1"}  # the lab's old-dataset volume and more; nothing guessed for eu-west-1
    assert any(i["name"] == "old-dataset" for i in doc["data"]["items"])
    assert stats.denied > 0 and "Traceback" not in r.stderr


def test_without_the_pricing_api_the_dated_list_prices_are_used(sb, run_tool, faulty):
    ec2 = sb.client("ec2", REGION)
    vol = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=77, VolumeType="gp3")["VolumeId"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    url, _ = faulty(fail={"GetProducts": ("AccessDeniedException", 400)})
    r = run_tool("waste", "--region", REGION, endpoint=url)
    assert r.code == 3, r.stdout[-2000:]  # the prices are a fallback: partial, and said
    doc = r.json
    assert {e["code"] for e in doc["errors"]} == {"AccessDeniedException"}
    items = {i["id"]: i for i in doc["data"]["items"]}
    assert items[vol]["monthly_usd"] == round(77 * GP3_GB_MONTH, 2)
    assert items[vol]["price_basis"] == "list price us-east-1 2025-05-01 (Amazon EBS pricing)"
    assert items[vol]["price_date"] == "2025-05-01"
    assert items[eip]["monthly_usd"] == round(IPV4_HOUR * HOURS, 2)
    assert "Amazon VPC pricing" in items[eip]["price_basis"]
