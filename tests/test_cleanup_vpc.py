"""cleanup_vpc.py: a full VPC torn down in a valid order (checked call by call at the server), default
VPCs untouched, VPCs with instances refused with the instances named, bad input changes nothing."""

from __future__ import annotations

import pytest
from guard_flow import Flow
from mutation_helpers import assert_audit_matches_server, audit_lines, image, mutating_calls, name

REGION = "ap-northeast-1"


def build_vpc(ec2, region: str, cidr: str = "10.60") -> dict:
    """A VPC with one of everything the teardown handles (Amazon VPC User Guide: Delete your VPC)."""
    vpc = ec2.create_vpc(CidrBlock=f"{cidr}.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Name", "Value": name("teardown")}]}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"{cidr}.{i}.0/24", AvailabilityZone=f"{region}{z}")[
        "Subnet"]["SubnetId"] for i, z in enumerate("ac")]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[0])
    a = ec2.create_security_group(GroupName=name("a"), Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName=name("b"), Description="b", VpcId=vpc)["GroupId"]
    for x, y in ((a, b), (b, a)):
        ec2.authorize_security_group_ingress(GroupId=x, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": y}]}])
    endpoint = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.s3", RouteTableIds=[rt],
                                       VpcEndpointType="Gateway")["VpcEndpoint"]["VpcEndpointId"]
    iface = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.ssm", SubnetIds=[subnets[1]],
                                    VpcEndpointType="Interface", SecurityGroupIds=[a])["VpcEndpoint"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnets[0], AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    eni = ec2.create_network_interface(SubnetId=subnets[1], Groups=[b])["NetworkInterface"]["NetworkInterfaceId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    cagw = ec2.create_carrier_gateway(VpcId=vpc)["CarrierGateway"]["CarrierGatewayId"]
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    peer = ec2.create_vpc(CidrBlock=f"{int(cidr.split('.')[1]) + 100}.0.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    return {"vpc": vpc, "subnets": subnets, "igw": igw, "rt": rt, "sgs": [a, b], "endpoint": endpoint,
            "iface_endpoint": iface["VpcEndpointId"], "iface_enis": iface["NetworkInterfaceIds"], "alloc": alloc,
            "nat": nat, "acl": acl, "eni": eni, "eigw": eigw, "cagw": cagw, "vgw": vgw, "peer": peer, "pcx": pcx}


def first(ops: list[str], op: str) -> int:
    return ops.index(op)


def last(ops: list[str], op: str) -> int:
    return len(ops) - 1 - ops[::-1].index(op)


def assert_nothing_left(ec2, net: dict) -> None:
    """The VPC and everything the teardown owns are gone; the VPN gateway (kept) is detached."""
    assert net["vpc"] not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert net["alloc"] not in [a.get("AllocationId") for a in ec2.describe_addresses()["Addresses"]]
    assert not ec2.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [net["vpc"]]}])[
        "NetworkInterfaces"]
    assert net["igw"] not in [g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]]
    assert net["eigw"] not in [g["EgressOnlyInternetGatewayId"] for g in
                               ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]]
    assert net["cagw"] not in [g["CarrierGatewayId"] for g in ec2.describe_carrier_gateways()["CarrierGateways"]]
    [vgw] = ec2.describe_vpn_gateways(VpnGatewayIds=[net["vgw"]])["VpnGateways"]
    assert all(a["State"] == "detached" for a in vgw["VpcAttachments"])
    pcx = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[net["pcx"]])["VpcPeeringConnections"]
    assert all(p["Status"]["Code"] == "deleted" for p in pcx)


def test_full_teardown_in_dependency_order(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    net = build_vpc(ec2, REGION)
    default = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
    flow = Flow(sandbox, run_tool, state_dir, "cleanup_vpc", "--id", net["vpc"], "--region", REGION)
    planned = {a["id"] for a in flow.plan()["plan"]}
    assert {net["nat"], net["alloc"], net["endpoint"], net["iface_endpoint"], net["igw"], net["rt"], net["acl"],
            net["vpc"], net["eni"], net["eigw"], net["cagw"], net["vgw"], net["pcx"], *net["subnets"],
            *net["sgs"]} <= planned
    # an interface endpoint's interfaces are requester-managed: never deleted directly, they go with it
    assert not set(net["iface_enis"]) & planned
    flow.confirm()  # the audit log is what the server saw, each line with the token
    assert_nothing_left(ec2, net)
    assert all(v in [x["VpcId"] for x in ec2.describe_vpcs()["Vpcs"]] for v in default)
    ops, sent = flow.ops, flow.sent
    # the order AWS needs; the sandbox refuses most wrong orders as AWS does (tests/test_vpc_rules.py)
    assert ops[:2] == ["CreateTags", "DeleteNatGateway"] and ops[-1] == "DeleteVpc"
    assert first(ops, "DeleteNatGateway") < first(ops, "ReleaseAddress") < first(ops, "DetachInternetGateway")
    assert last(ops, "DeleteVpcEndpoints") < first(ops, "DeleteRouteTable")
    assert last(ops, "DeleteVpcEndpoints") < first(ops, "DeleteSubnet")
    # only our own free interface is deleted: the NAT's and the endpoint's go with their owners
    assert [s["resources"] for s in sent if s["operation"] == "DeleteNetworkInterface"] == [[net["eni"]]]
    assert first(ops, "DetachInternetGateway") < first(ops, "DeleteInternetGateway")
    assert {"DeleteEgressOnlyInternetGateway", "DeleteCarrierGateway", "DetachVpnGateway"} <= set(ops)
    assert last(ops, "DisassociateRouteTable") < first(ops, "DeleteSubnet")
    assert last(ops, "DeleteSubnet") < first(ops, "DeleteRouteTable") < first(ops, "DeleteNetworkAcl")
    # peering connections go before the security groups whose rules may refer across them
    assert first(ops, "DeleteVpcPeeringConnection") < first(ops, "RevokeSecurityGroupIngress")
    assert last(ops, "RevokeSecurityGroupIngress") < first(ops, "DeleteSecurityGroup")
    assert last(ops, "DeleteSecurityGroup") < first(ops, "DeleteVpc")
    assert ops.count("DeleteSubnet") == 2 and ops.count("DeleteSecurityGroup") == 2


def test_vpc_with_instances_is_refused_naming_them_and_others_go_on(sandbox, run_tool, guarded):
    region = "ap-northeast-2"
    ec2 = sandbox.client("ec2", region)
    busy = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=busy, CidrBlock="10.61.0.0/24")["Subnet"]["SubnetId"]
    iid = ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    free = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", busy, "--region", region)
    assert r.code == 4 and iid in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []
    flow = guarded("cleanup_vpc", "--all", "--region", region)
    data = flow.plan()
    skipped = {s["id"]: s["reason"] for s in data["skipped"]}
    assert iid in skipped[busy] and "default" in " ".join(skipped.values())
    assert {a["id"] for a in data["plan"]} == {free}
    flow.confirm()
    left = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert free not in left and busy in left and any(v["IsDefault"] for v in ec2.describe_vpcs()["Vpcs"])


def test_a_change_between_plan_and_confirm_is_refused(sandbox, run_tool):
    region = "eu-west-3"
    ec2 = sandbox.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.63.0.0/24")["Subnet"]["SubnetId"]
    plan = run_tool("cleanup_vpc", "--id", vpc, "--region", region).json["data"]
    ec2.delete_subnet(SubnetId=sub)  # the world changes: the token is refused, the fresh plan is shown
    r = run_tool("cleanup_vpc", "--id", vpc, "--region", region, "--confirm", plan["confirm"])
    assert r.code == 4 and sub in r.json["errors"][0]["message"]
    assert sub not in {a["id"] for a in r.json["data"]["plan"]} and r.json["data"]["confirm"]


def test_one_vpc_failing_does_not_stop_the_others_and_the_blocker_is_named(sandbox, run_tool, state_dir):
    """A transit gateway attachment is not part of the teardown: AWS refuses DeleteVpc with DependencyViolation
    (Amazon VPC User Guide, Delete your VPC: "delete ... transit gateway VPC attachments" first), whose message
    names no blocker; the tool names it, and the other VPC is still deleted. (In AWS the attachment's
    requester-managed interfaces would already block the plan; moto gives the attachment none.)"""
    region = "eu-west-3"
    ec2 = sandbox.client("ec2", region)
    stuck, other = (ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (65, 66))
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    vgw = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=stuck, SubnetIds=[])[
        "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    args = ("cleanup_vpc", "--id", f"{stuck},{other}", "--region", region)
    mark = sandbox.mark()
    r = run_tool(*args, "--confirm", run_tool(*args).json["data"]["confirm"])
    assert r.code == 3, r.stdout + r.stderr
    err = r.json["errors"][0]
    assert err["code"] == "DependencyViolation" and vgw in err["message"] and stuck in err["message"]
    left = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    assert stuck in left and other not in left
    sent = assert_audit_matches_server(sandbox, state_dir, mark)
    done = {d["id"]: d for d in audit_lines(state_dir, "done")}
    outcomes = [(s["resources"][0], done[s["id"]]["outcome"]) for s in sent if s["operation"] == "DeleteVpc"]
    assert sorted(outcomes) == sorted([(stuck, "error"), (other, "ok")])
    ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=vgw)


def test_default_vpc_is_never_touched(sandbox, run_tool):
    ec2 = sandbox.client("ec2", "eu-central-1")
    default = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]][0]
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", default, "--region", "eu-central-1")
    assert r.code == 4 and "default VPC" in r.json["errors"][0]["message"]
    r = run_tool("cleanup_vpc", "--all", "--region", "eu-central-1")
    assert r.code == 0 and r.json["data"]["plan"] == []
    assert mutating_calls(sandbox, mark) == []


def test_unknown_id_is_exit_2_and_changes_nothing(sandbox, run_tool, state_dir):
    # bad flags and ids of a bad form are refused before anything is sent: test_bad_input.py, without the sandbox
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", "vpc-0123456789abcdef0", "--region", REGION)
    assert r.code == 2, r.stdout + r.stderr
    assert r.json["errors"][0]["code"] == "BadInput"
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()


def tag(ec2, rid: str, key: str, value: str) -> None:
    ec2.create_tags(Resources=[rid], Tags=[{"Key": key, "Value": value}])


def untag(ec2, rid: str, key: str) -> None:
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": key}])


def core_protects(key: str, value: str) -> bool:
    from _awswiz import guard

    return guard.protection({key: value}) is not None


@pytest.mark.parametrize("key,value", [("env", "prod"), ("Env", "Production"), ("stage", "prod "),
                                       ("awswiz:protected", "true")])
def test_a_protected_subnet_blocks_its_vpc_named_and_nothing_changes(sandbox, run_tool, state_dir, key, value):
    """Issue 7 item 3: protection is inherited; a protected part blocks its VPC's teardown, named."""
    if not core_protects(key, value):
        pytest.skip(f"the core guard does not yet strip/case-fold {key}={value!r} (issue 7 item 2, lead)")
    region = "ap-southeast-1"
    ec2 = sandbox.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.67.0.0/16")["Vpc"]["VpcId"]
    free = ec2.create_subnet(VpcId=vpc, CidrBlock="10.67.0.0/24")["Subnet"]["SubnetId"]
    guarded = ec2.create_subnet(VpcId=vpc, CidrBlock="10.67.1.0/24")["Subnet"]["SubnetId"]
    tag(ec2, guarded, key, value)
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", vpc, "--region", region)
    assert r.code == 4, r.stdout + r.stderr
    msg = r.json["errors"][0]["message"]
    assert f"subnet {guarded} is protected" in msg and free not in msg
    r = run_tool("cleanup_vpc", "--all", "--region", region)
    assert r.code == 0 and vpc not in {a["id"] for a in r.json["data"]["plan"]}
    assert f"subnet {guarded} is protected" in {s["id"]: s["reason"] for s in r.json["data"]["skipped"]}[vpc]
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()
    assert {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "Subnets"]} == {free, guarded}
    ec2.delete_subnet(SubnetId=free)
    ec2.delete_subnet(SubnetId=guarded)
    ec2.delete_vpc(VpcId=vpc)


@pytest.mark.parametrize("alone", [False, pytest.param(True, marks=pytest.mark.nightly)], ids=["together", "alone"])
def test_every_kind_of_part_passes_its_protection_to_the_vpc(sandbox, run_tool, alone):
    """Gateways, route tables, ACLs, groups, NAT gateways and their Elastic IPs, endpoints, interfaces and
    peerings: each one tagged env=prod refuses the teardown, naming it. All tagged at once, one plan names
    each (a refusal lists every blocked part); `pytest -m nightly` tags each alone, one plan per part."""
    region = "ap-southeast-2"
    ec2 = sandbox.client("ec2", region)
    net = build_vpc(ec2, region, "10.68")
    parts = {"internet gateway": net["igw"], "route table": net["rt"], "network ACL": net["acl"],
             "security group": net["sgs"][0], "NAT gateway": net["nat"], "Elastic IP": net["alloc"],
             "VPC endpoint": net["iface_endpoint"], "network interface": net["eni"],
             "egress-only internet gateway": net["eigw"], "carrier gateway": net["cagw"],
             "VPN gateway": net["vgw"], "peering connection": net["pcx"]}
    mark = sandbox.mark()
    for group in ([{k: v} for k, v in parts.items()] if alone else [parts]):
        for rid in group.values():
            tag(ec2, rid, "env", "prod")
        r = run_tool("cleanup_vpc", "--id", net["vpc"], "--region", region)
        for rid in group.values():
            untag(ec2, rid, "env")
        assert r.code == 4, r.stdout + r.stderr
        for kind, rid in group.items():
            assert f"{kind} {rid} is protected" in r.json["errors"][0]["message"], (kind, r.stdout)
    # the VPC on the other end of a peering connection counts too: deleting the peering cuts it off
    tag(ec2, net["peer"], "env", "prod")
    r = run_tool("cleanup_vpc", "--id", net["vpc"], "--region", region)
    untag(ec2, net["peer"], "env")
    assert r.code == 4 and net["peer"] in r.json["errors"][0]["message"]
    assert [c for c in mutating_calls(sandbox, mark) if c["action"] not in ("CreateTags", "DeleteTags")] == []
    assert run_tool("cleanup_vpc", "--id", net["vpc"], "--region", region).code == 0


def test_after_terminate_the_vpc_can_be_torn_down(sandbox, run_tool):
    """End to end against the sandbox's AWS rules: terminate.py releases the instance's interfaces and detaches
    its Elastic IP (Amazon EC2 User Guide: How instance termination works), so the VPC that was refused for
    its instance now goes; the Elastic IP is not the VPC's, it stays allocated (and is not released)."""
    region = "eu-north-1"
    ec2 = sandbox.client("ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.69.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.69.0.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName=name("web"), Description="web", VpcId=vpc)["GroupId"]
    iid = ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, SubnetId=subnet,
                            SecurityGroupIds=[group])["Instances"][0]["InstanceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    assert iid in run_tool("cleanup_vpc", "--id", vpc, "--region", region).json["errors"][0]["message"]
    args = ("terminate", "--type", "ec2", "--id", iid, "--region", region)
    assert run_tool(*args, "--confirm", run_tool(*args).json["data"]["confirm"]).code == 0
    args = ("cleanup_vpc", "--id", vpc, "--region", region)
    plan = run_tool(*args)
    assert plan.code == 0, plan.stdout + plan.stderr
    r = run_tool(*args, "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert vpc not in [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]]
    [addr] = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert not addr.get("AssociationId")
    ec2.release_address(AllocationId=alloc)


def test_two_peered_vpcs_go_together_and_the_peering_is_deleted_once(sandbox, run_tool, state_dir):
    region = "eu-west-2"
    ec2 = sandbox.client("ec2", region)
    a, b = (ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"] for n in (71, 72))
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    args = ("cleanup_vpc", "--id", f"{a},{b}", "--region", region)
    plan = run_tool(*args)
    assert [x["id"] for x in plan.json["data"]["plan"]].count(pcx) == 1
    mark = sandbox.mark()
    r = run_tool(*args, "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert [c["action"] for c in mutating_calls(sandbox, mark)].count("DeleteVpcPeeringConnection") == 1
    assert not {a, b} & {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}


def test_interfaces_of_other_services_block_and_the_plans_owners_do_not():
    """Pure logic on AWS's shapes (botocore ec2 NetworkInterfaceType; Amazon EC2 User Guide: Requester-managed
    network interfaces, whose example shows endpoint interfaces typed both "vpc_endpoint" and "interface")."""
    from _awswiz.removal import vpc_teardown

    def eni(i, kind, status="in-use", rm=True, desc=""):
        return {"NetworkInterfaceId": i, "VpcId": "vpc-1", "InterfaceType": kind, "Status": status,
                "RequesterManaged": rm, "Description": desc}

    inv = {k: [] for k in vpc_teardown.INVENTORY}
    inv["endpoints"] = [{"VpcEndpointId": "vpce-1", "VpcId": "vpc-1", "State": "available",
                         "NetworkInterfaceIds": ["eni-old-endpoint"]}]
    inv["nats"] = [{"NatGatewayId": "nat-1", "VpcId": "vpc-1", "State": "available",
                    "NatGatewayAddresses": [{"AllocationId": "eipalloc-1", "NetworkInterfaceId": "eni-nat"}]}]
    inv["enis"] = [eni("eni-nat", "natGateway"), eni("eni-old-endpoint", "interface"),
                   eni("eni-new-endpoint", "vpc_endpoint"), eni("eni-lambda", "lambda"),
                   eni("eni-rds", "interface", desc="RDSNetworkInterface"),
                   eni("eni-left", "interface", status="available", rm=True),
                   eni("eni-mine", "interface", status="available", rm=False)]
    vpc = {"VpcId": "vpc-1", "IsDefault": False}
    blocked = " ".join(vpc_teardown.blockers(inv, vpc))
    assert "eni-lambda" in blocked and "eni-rds" in blocked
    assert not {"eni-nat", "eni-old-endpoint", "eni-new-endpoint", "eni-left", "eni-mine"} & set(blocked.split())
    inv["enis"] = [e for e in inv["enis"] if e["NetworkInterfaceId"] not in ("eni-lambda", "eni-rds")]
    deleted = {a.id for a in vpc_teardown.vpc_actions(inv, vpc, "r") if a.type == "vpc:network-interface"}
    assert deleted == {"eni-left", "eni-mine"}
