"""costs.py --now against the seeded lab: each running thing with its id and the price it is billed at."""

from __future__ import annotations

import json
import re

import pytest

HOURS = 730  # AWS Pricing Calculator: 730 hours per month


def on_demand(sandbox, itype: str, region: str) -> float:
    # AWS Price List Query API, GetProducts: PriceList entries are JSON strings whose OnDemand terms carry
    # pricePerUnit USD per hour.
    items = sandbox.client("pricing").get_products(ServiceCode="AmazonEC2", Filters=[
        {"Type": "TERM_MATCH", "Field": "instanceType", "Value": itype},
        {"Type": "TERM_MATCH", "Field": "regionCode", "Value": region}])["PriceList"]
    doc = json.loads(items[0])
    term = next(iter(doc["terms"]["OnDemand"].values()))
    return float(next(iter(term["priceDimensions"].values()))["pricePerUnit"]["USD"])


def test_burn_rate_per_resource(sandbox, run_tool):
    r = run_tool("costs", "--now", "--region", "us-east-1,us-west-2,eu-west-1")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    lines = {b["name"]: b for b in data["burn"] if b["name"]}
    ec2 = sandbox.client("ec2")
    train_a = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["train-a"]}])
    train_a = train_a["Reservations"][0]["Instances"][0]
    # an on-demand instance is billed at its on-demand price per hour while running
    assert lines["train-a"]["id"] == train_a["InstanceId"]
    assert lines["train-a"]["per_hour"] == pytest.approx(on_demand(sandbox, "g5.xlarge", "us-east-1"), abs=1e-4)
    assert lines["train-a"]["per_month"] == pytest.approx(lines["train-a"]["per_hour"] * HOURS, abs=0.01)
    # a stopped instance costs nothing per hour (its volumes still do)
    assert "train-big" not in lines and "h100-box" not in lines
    # Amazon EBS pricing: provisioned GB-month, attached or not (gp3 us-east-1 $0.08)
    vol = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["old-dataset"]}])["Volumes"][0]
    assert lines["old-dataset"]["id"] == vol["VolumeId"]
    assert lines["old-dataset"]["per_month"] == pytest.approx(0.08 * vol["Size"], abs=0.01)
    # Amazon VPC pricing: a public IPv4 address costs $0.005/h whether associated or idle
    assert lines["spare-ip"]["per_hour"] == 0.005 and lines["sweep-ip"]["per_hour"] == 0.005
    # a spot instance at the current spot price of its region, below on-demand
    sweep = lines["sweep-1"]
    assert "spot" in sweep["what"] and sweep["per_hour"] < on_demand(sandbox, "g6.xlarge", "us-west-2")
    hist = sandbox.client("ec2", "us-west-2").describe_spot_price_history(
        InstanceTypes=["g6.xlarge"], ProductDescriptions=["Linux/UNIX"])["SpotPriceHistory"]
    assert sweep["per_hour"] == pytest.approx(min(float(h["SpotPrice"]) for h in hist), abs=1e-4)
    assert data["totals"]["per_hour"] == pytest.approx(sum(b["per_hour"] for b in data["burn"]), abs=1e-3)


def test_now_sends_no_cost_explorer_call(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("costs", "--now", "--region", "us-east-1")
    assert r.code == 0
    assert not [c for c in sandbox.calls(mark) if c["action"] in ("GetCostAndUsage", "GetCostForecast")]
    assert {b["region"] for b in r.json["data"]["burn"]} == {"us-east-1"}
    assert r.json["next"] == ["uv run tools/scan.py --region us-east-1"]


IPV4_REGION = "il-central-1"  # fresh resources of the test below only (no lab, no other test file uses it)


def api_price(sandbox, service: str, usage: str, region: str, **filters: str) -> float:
    """The Pricing API's USD per unit of the product of this usagetype (after its region prefix) in the region
    ("Using the AWS Price List API", AWS Billing User Guide: GetProducts with TERM_MATCH filters)."""
    terms = [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in {**filters, "regionCode": region}.items()]
    for raw in sandbox.client("pricing").get_products(ServiceCode=service, Filters=terms)["PriceList"]:
        doc = json.loads(raw)
        if re.sub(r"^[A-Z]{2,5}[0-9]?-", "", doc["product"]["attributes"]["usagetype"]) == usage:
            term = next(iter(doc["terms"]["OnDemand"].values()))
            return float(next(iter(term["priceDimensions"].values()))["pricePerUnit"]["USD"])
    raise AssertionError(f"no {service} {usage} price in {region}")


def test_every_public_ipv4_address_is_priced_once(sandbox, run_tool):
    # Amazon VPC pricing, "Public IPv4 Address" tab (https://aws.amazon.com/vpc/pricing/): since 2024-02-01 every
    # public IPv4 address costs $0.005/h (us-east-1), in use or idle, Elastic IP or not. EC2 API Reference,
    # InstanceNetworkInterfaceSpecification.AssociatePublicIpAddress: AWS "charges for all public IPv4 addresses,
    # including public IPv4 addresses associated with running instances and Elastic IP addresses". elbv2
    # CreateLoadBalancer, Scheme: "The nodes of an Internet-facing load balancer have public IP addresses" (the
    # default scheme): one per AZ it is in; an internal one has none, nor one of IpAddressType
    # dualstack-without-public-ipv4; an NLB's Elastic IP in an AZ (SubnetMappings AllocationId, listed in that zone's
    # LoadBalancerAddresses) is billed once, as the address.
    r = IPV4_REGION
    ec2, elb = sandbox.client("ec2", r), sandbox.client("elbv2", r)
    vpc = ec2.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.91.{i}.0/24", AvailabilityZone=f"{r}{az}")
               ["Subnet"]["SubnetId"] for i, az in enumerate("ab")]
    img = ec2.register_image(Name="ipv4-test", RootDeviceName="/dev/sda1", VirtualizationType="hvm",
                             BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]

    def box(public: bool) -> dict:
        return ec2.run_instances(ImageId=img, MinCount=1, MaxCount=1, InstanceType="t3.micro", NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnets[0], "AssociatePublicIpAddress": public}])["Instances"][0]

    own_ip, no_ip, with_eip = box(True), box(False), box(True)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=with_eip["InstanceId"])
    public_alb = elb.create_load_balancer(Name="ipv4-public", Subnets=subnets)["LoadBalancers"][0]
    internal_alb = elb.create_load_balancer(Name="ipv4-internal", Subnets=subnets,
                                            Scheme="internal")["LoadBalancers"][0]
    public_nlb = elb.create_load_balancer(Name="ipv4-nlb", Subnets=subnets, Type="network")["LoadBalancers"][0]
    no_ipv4_alb = elb.create_load_balancer(Name="ipv4-none", Subnets=subnets,
                                           IpAddressType="dualstack-without-public-ipv4")["LoadBalancers"][0]
    nlb_eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    eip_nlb = elb.create_load_balancer(Name="ipv4-nlb-eip", Type="network", SubnetMappings=[
        {"SubnetId": subnets[0], "AllocationId": nlb_eip}, {"SubnetId": subnets[1]}])["LoadBalancers"][0]

    out = run_tool("costs", "--now", "--region", r)
    assert out.code == 0, out.stderr
    burn = {b["id"]: b for b in out.json["data"]["burn"]}
    ip_hour = api_price(sandbox, "AmazonVPC", "PublicIPv4:InUseAddress", r, group="VPCPublicIPv4Address")
    # the Pricing API's (not the us-east-1 table's $0.005): one price source
    assert ip_hour != 0.005
    t3 = on_demand(sandbox, "t3.micro", r)
    assert burn[own_ip["InstanceId"]]["per_hour"] == pytest.approx(t3 + ip_hour, abs=1e-4)
    assert "public IPv4" in burn[own_ip["InstanceId"]]["what"]
    assert "AmazonVPC" in burn[own_ip["InstanceId"]]["price_source"]
    assert burn[no_ip["InstanceId"]]["per_hour"] == pytest.approx(t3, abs=1e-4)
    # an instance's Elastic IP is priced once, as the address (its own line), not again on the instance
    assert burn[with_eip["InstanceId"]]["per_hour"] == pytest.approx(t3, abs=1e-4)
    assert burn[alloc]["per_hour"] == pytest.approx(ip_hour, abs=1e-4)
    assert burn[nlb_eip]["per_hour"] == pytest.approx(ip_hour, abs=1e-4)
    for lb, ips in ((public_alb, 2), (internal_alb, 0), (public_nlb, 2), (no_ipv4_alb, 0), (eip_nlb, 1)):
        family = "Load Balancer-" + lb["Type"].capitalize()
        lb_hour = api_price(sandbox, "AWSELB", "LoadBalancerUsage", r, productFamily=family)
        line = burn[lb["LoadBalancerArn"]]
        assert line["per_hour"] == pytest.approx(lb_hour + ips * ip_hour, abs=1e-4), line
        assert ("public IPv4" in line["what"]) == bool(ips)
    assert "AWSELB" in burn[public_alb["LoadBalancerArn"]]["price_source"]


def test_launch_price_counts_the_public_ipv4_address_it_asks_for(sandbox, run_tool):
    # launch asks for a public address (RunInstances NetworkInterfaces AssociatePublicIpAddress true), and AWS
    # "charges for all public IPv4 addresses, including public IPv4 addresses associated with running instances"
    # (EC2 API Reference, InstanceNetworkInterfaceSpecification; Amazon VPC pricing, "Public IPv4 Address"): the
    # plan's hourly price is the instance's and its address's, from the same Pricing API answer costs --now reads
    region = "eu-west-1"
    plan = run_tool("launch", "--type", "g5.xlarge", "--region", region, "--no-wait")
    assert plan.code == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
    assert plan.json["data"]["applied"] is False  # a plan only: nothing launched
    detail = plan.json["data"]["plan"][0]["detail"]
    ip_hour = api_price(sandbox, "AmazonVPC", "PublicIPv4:InUseAddress", region, group="VPCPublicIPv4Address")
    assert ip_hour != 0.005  # the region's price, not the us-east-1 table's
    assert detail["on_demand_price"] == pytest.approx(on_demand(sandbox, "g5.xlarge", region), abs=1e-4)
    assert detail["price_per_hour"] == pytest.approx(detail["on_demand_price"] + ip_hour, abs=1e-4)


def test_an_in_use_address_is_priced_from_an_older_cache_too():
    # Amazon VPC pricing: an in-use public IPv4 address costs what an idle one does; a price cache written before
    # the in-use usage type was read holds only the idle one, which then prices both (not the us-east-1 table)
    from _awswiz.compute import list_prices as lp

    doc = {"ipv4": {"date": "2026-11-10", "prices": {"eu-west-1": {"ipv4": 0.0056}}}}
    assert lp.rate(doc, "ipv4:in-use", "eu-west-1") == (0.0056, "Pricing API eu-west-1 (AmazonVPC)", "2026-11-10")
    assert lp.rate(doc, "ipv4:in-use", "us-west-2")[1].startswith("list price us-east-1")


def test_what_runs_and_is_not_priced_is_named_in_unpriced(sandbox, run_tool):
    # issue 25 item 6: an RDS instance (per instance-hour and storage GiB-month), an EKS cluster (per cluster-hour)
    # and a SageMaker notebook (per ML instance-hour, and its volume even stopped) are billed while they exist
    # (Amazon RDS, Amazon EKS, Amazon SageMaker pricing pages); their prices are the Pricing API's AmazonRDS,
    # AmazonEKS and AmazonSageMaker service codes, which costs --now does not read yet (and the sandbox does not
    # serve): each is named in `unpriced` with why, not left out nor given an invented price
    pricing = sandbox.client("pricing")
    for code in ("AmazonRDS", "AmazonEKS", "AmazonSageMaker"):
        assert pricing.get_products(ServiceCode=code, MaxResults=1)["PriceList"] == []
    r = run_tool("costs", "--now", "--region", "us-west-2,eu-west-1")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    unpriced = {(u["type"], u["id"]): u for u in data["unpriced"]}
    db = sandbox.client("rds", "eu-west-1").describe_db_instances(DBInstanceIdentifier="exp-tracking")["DBInstances"]
    assert db and ("rds:db-instance", "exp-tracking") in unpriced
    assert "vision-eks" in sandbox.client("eks", "eu-west-1").list_clusters()["clusters"]
    assert ("eks:cluster", "vision-eks") in unpriced
    nb = sandbox.client("sagemaker", "us-west-2").describe_notebook_instance(NotebookInstanceName="explore")
    assert nb["NotebookInstanceStatus"] == "InService" and ("sagemaker:notebook", "explore") in unpriced
    code = {"rds:db-instance": "AmazonRDS", "eks:cluster": "AmazonEKS", "sagemaker:notebook": "AmazonSageMaker"}
    for (rtype, _), u in unpriced.items():
        if rtype in code:
            assert code[rtype] in u["reason"] and u["reason"].startswith("billed per "), u
    assert not {(b["type"], b["id"]) for b in data["burn"]} & set(unpriced)  # never both priced and unpriced
