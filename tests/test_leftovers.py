"""Issue 20 item 3, "Leftovers": scan's findings and waste.py judge what is left behind with one rule set
(money/leftovers.py), one name per case, and scan, waste and costs --now give the same resource the same monthly
price, from the same source (the Pricing API's answers, cached, else the dated table): the three tools run on the
lab, as the agent runs them.

AWS: a stopped instance is not billed for its hours, its EBS volumes are ("We don't charge hourly usage for a
stopped instance ... you are charged for Amazon EBS volume usage": EC2 API Reference, StopInstances), so its price is
its volumes' (costs --now lists those, not the instance). Every public IPv4 address is billed, in use or idle (Amazon
VPC pricing, "Public IPv4 Address"), and an Elastic IP is priced as itself, never on what holds it: "Deleting a NAT
gateway disassociates its Elastic IP address, but does not release the address from your account" (EC2 API
Reference, DeleteNatGateway), and an address stays allocated until ReleaseAddress (EC2 API Reference)."""

from __future__ import annotations

import pytest
from mutation_helpers import image

LAB = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1"]
OWN = "me-south-1"  # this test's own stopped instance and its Elastic IP (no other test uses the region)
LEFT_BEHIND = {"stopped-instance", "unattached-volume", "unassociated-eip", "stopped-instance-eip"}


def test_scan_waste_and_costs_now_name_and_price_every_leftover_the_same(sandbox, run_tool):
    ec2 = sandbox.client("ec2", OWN)
    iid = ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, InstanceType="t3.micro", BlockDeviceMappings=[
        {"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3"}}])["Instances"][0]["InstanceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    ec2.stop_instances(InstanceIds=[iid])
    try:
        regions = ",".join([*LAB, OWN])
        runs = {tool: run_tool(tool, *args, "--region", regions)
                for tool, args in (("scan", ()), ("waste", ()), ("costs", ("--now",)))}
    finally:
        ec2.terminate_instances(InstanceIds=[iid])  # AWS disassociates the address, and does not release it
        ec2.release_address(AllocationId=alloc)
    for tool, r in runs.items():
        assert r.code == 0, (tool, r.stdout[-2000:], r.stderr[-2000:])
    scan, waste, costs = (runs[t].json["data"] for t in ("scan", "waste", "costs"))
    records = {r["id"]: r for r in scan["resources"]}
    found = {f["id"]: f for f in scan["findings"] if f["kind"] in LEFT_BEHIND | {"nat-gateway"}}
    items = {i["id"]: i for i in waste["items"]}
    lines = {b["id"]: b for b in costs["burn"]}
    assert {f["kind"] for f in found.values()} == LEFT_BEHIND | {"nat-gateway"}  # the lab and OWN hold each case
    assert found[iid]["kind"] == "stopped-instance" and found[alloc]["kind"] == "stopped-instance-eip"

    # one name per case, both ways
    for rid, f in found.items():
        # a NAT gateway is running money in scan (no CloudWatch there); waste names it idle on its metrics (the
        # lab's moves no bytes): a different case, the same price
        assert items[rid]["kind"] == ("idle-nat-gateway" if f["kind"] == "nat-gateway" else f["kind"]), rid
    assert {i["id"] for i in items.values() if i["kind"] in LEFT_BEHIND} == \
        {rid for rid, f in found.items() if f["kind"] in LEFT_BEHIND}

    # one price per resource, the same in all three
    for rid, f in found.items():
        item = items[rid]
        assert f["per_month"] == item["monthly_usd"], (f, item)
        if f["kind"] == "stopped-instance":
            assert rid not in lines  # not billed by the hour while stopped
            vols = records[rid]["volumes"]
            assert vols and all(v in lines for v in vols)
            assert f["per_month"] == pytest.approx(sum(lines[v]["per_month"] for v in vols), abs=0.01)
            source = lines[vols[0]]["price_source"]
        else:
            assert f["per_month"] == lines[rid]["per_month"], (f, lines[rid])
            source = lines[rid]["price_source"]
        assert item["price_basis"].split(";")[0] in source  # the same source: the region's Pricing API answer
        assert item["price_basis"].startswith(f"Pricing API {f['region']}")
    # a NAT gateway's own hours: the Elastic IP it holds is priced as itself, its own line in costs --now
    nat = next(f for f in found.values() if f["kind"] == "nat-gateway")
    eip = next(r for r in scan["resources"] if r["type"] == "ec2:elastic-ip"
               and r.get("public_ip") == records[nat["id"]]["public_ip"])
    assert eip["id"] in nat["message"] and eip["id"] in items[nat["id"]]["why"]
    assert lines[nat["id"]]["what"] == "NAT gateway (hours only)" and eip["id"] in lines
    # the rest of waste prices each resource as costs --now does (an idle load balancer and its addresses)
    for rid, item in items.items():
        if rid in lines and item["kind"] != "stopped-instance":
            assert item["monthly_usd"] == lines[rid]["per_month"], (item, lines[rid])


def test_scan_without_the_pricing_api_prices_from_the_table_and_is_not_partial(faulty, run_tool):
    """A read-only role may lack pricing:GetProducts (the Pricing API's own action: "Actions defined by AWS Price
    List", Service Authorization Reference). The inventory is whole, so the scan is not partial (exit 0, not 3):
    the findings fall back to the dated list-price table, say so in their price basis through `price_errors`."""
    url, _ = faulty(fail={"GetProducts": ("AccessDeniedException", 400)})
    r = run_tool("scan", "--region", "us-east-1", endpoint=url)
    assert r.code == 0, (r.stdout[-2000:], r.stderr[-2000:])
    data = r.json["data"]
    assert not r.json["errors"]
    assert data["price_errors"] and all(e["code"] == "AccessDeniedException" for e in data["price_errors"])
    volumes = [f for f in data["findings"] if f["kind"] == "unattached-volume"]
    assert volumes and all(f["per_month"] is not None for f in volumes)  # priced from the table
