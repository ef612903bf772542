"""terminate.py --type T for the EC2 and VPC types (removers/ebs, elastic_ip, key_pair, security_group, network,
nat_endpoint, vpc): each resource made fresh with boto3, found by scan, planned (what must go first planned
first), confirmed, gone from AWS and from a fresh scan, the delete call in the audit log; what AWS refuses is
blocked in the plan (exit 4, nothing sent) and refused by the sandbox too."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from guard_flow import Flow
from mutation_helpers import audit_lines, instance, mutating_calls, name

REGION = "ap-northeast-3"
OTHER = "eu-west-3"


def scan_ids(run_tool, service: str, region: str = REGION) -> set[str]:
    """The ids a fresh scan lists, less those AWS still lists as deleted (NAT gateways and endpoints stay
    visible in state "deleted" for a while: EC2 API Reference, DescribeNatGateways)."""
    r = run_tool("scan", "--service", service, "--region", region)
    assert r.code == 0, r.stdout + r.stderr
    return {x["id"] for x in r.json["data"]["resources"] if str(x.get("state")).lower() != "deleted"}


def remove(sandbox, run_tool, state_dir, type_: str, rid: str, steps: list[tuple[str, str]],
           region: str = REGION) -> list[str]:
    """Plan (exit 0, the steps in order, nothing changed), confirm (exit 0); the audit log matches the server.
    Returns the operations sent."""
    flow = Flow(sandbox, run_tool, state_dir, "terminate", "--type", type_, "--id", rid, "--region", region)
    plan = flow.plan()
    assert [(a["action"], a["type"]) for a in plan["plan"]] == steps, plan["plan"]
    flow.confirm()
    return flow.ops


def refused(sandbox, run_tool, type_: str, rid: str, region: str = REGION) -> str:
    """The plan is blocked: exit 4, nothing sent to AWS; returns the refusal message."""
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", type_, "--id", rid, "--region", region)
    assert r.code == 4, r.stdout + r.stderr
    assert mutating_calls(sandbox, mark) == []
    return r.json["errors"][0]["message"]


def aws_refuses(code: str, call, **kw) -> None:
    with pytest.raises(ClientError) as exc:
        call(**kw)
    assert exc.value.response["Error"]["Code"] == code


def test_volume_snapshot_key_pair_and_elastic_ip_are_removed(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    az = f"{REGION}a"
    vol = ec2.create_volume(Size=500, AvailabilityZone=az)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    key = name("test-key")
    key_id = ec2.create_key_pair(KeyName=key)["KeyPairId"]
    iid = instance(ec2)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)
    found = scan_ids(run_tool, "ec2:volume,ec2:snapshot,ec2:key-pair,ec2:elastic-ip")
    assert {vol, snap, key_id, alloc} <= found

    assert remove(sandbox, run_tool, state_dir, "ec2:snapshot", snap, [("delete", "ec2:snapshot")]) == \
        ["DeleteSnapshot"]
    assert remove(sandbox, run_tool, state_dir, "ec2:volume", vol, [("delete", "ec2:volume")]) == ["DeleteVolume"]
    # by name: the plan names the key pair id and says the local key file (none here) is kept
    assert remove(sandbox, run_tool, state_dir, "ec2:key-pair", key, [("delete", "ec2:key-pair")]) == ["DeleteKeyPair"]
    # EC2 API Reference, ReleaseAddress: an associated address is disassociated first
    ops = remove(sandbox, run_tool, state_dir, "ec2:elastic-ip", alloc,
                 [("disassociate", "ec2:elastic-ip"), ("release", "ec2:elastic-ip")])
    assert ops == ["DisassociateAddress", "ReleaseAddress"]

    assert not ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"]
    assert not ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": [snap]}])["Snapshots"]
    assert key not in [k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]]
    assert not ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [alloc]}])["Addresses"]
    assert not {vol, snap, key_id, alloc} & scan_ids(run_tool, "ec2:volume,ec2:snapshot,ec2:key-pair,ec2:elastic-ip")
    ec2.terminate_instances(InstanceIds=[iid])


def test_image_goes_with_its_snapshots_and_a_snapshot_in_use_is_refused(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    ami = ec2.create_image(InstanceId=iid, Name=name("test-ami"))["ImageId"]
    snaps = [m["Ebs"]["SnapshotId"] for m in ec2.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"]]
    assert ami in scan_ids(run_tool, "ec2:image")
    # EC2 API Reference, DeleteSnapshot: "You cannot delete a snapshot of the root device of an EBS volume used
    # by a registered AMI" (InvalidSnapshot.InUse): blocked, naming the AMI and the command that removes it
    msg = refused(sandbox, run_tool, "ec2:snapshot", snaps[0])
    assert ami in msg and f"--type ec2:image --id {ami} --region {REGION}" in msg
    aws_refuses("InvalidSnapshot.InUse", ec2.delete_snapshot, SnapshotId=snaps[0])
    # Amazon EC2 User Guide, Deregister an Amazon EC2 AMI: deregistering leaves the snapshots (billed): deleted next
    ops = remove(sandbox, run_tool, state_dir, "ec2:image", ami,
                 [("deregister", "ec2:image")] + [("delete", "ec2:snapshot")] * len(snaps))
    # CreateTags: the snapshots are marked awswiz:teardown-of=AMI first, so a run killed after DeregisterImage is
    # finished by a re-plan (tests/test_remover_resume.py)
    assert ops == ["CreateTags", "DeregisterImage"] + ["DeleteSnapshot"] * len(snaps)
    assert not ec2.describe_images(Owners=["self"], Filters=[{"Name": "image-id", "Values": [ami]}])["Images"]
    assert not ec2.describe_snapshots(Filters=[{"Name": "snapshot-id", "Values": snaps}])["Snapshots"]
    assert ami not in scan_ids(run_tool, "ec2:image")
    ec2.terminate_instances(InstanceIds=[iid])


def test_attached_volume_is_refused_naming_the_instance(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    vol = ec2.create_volume(Size=8, AvailabilityZone=f"{REGION}a")["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=iid, Device="/dev/sdf")
    # EC2 API Reference, DeleteVolume: "The volume must be in the available state (not attached to an instance)"
    msg = refused(sandbox, run_tool, "ec2:volume", vol)
    assert iid in msg and f"--type ec2:instance --id {iid} --region {REGION}" in msg and "detach-volume" in msg
    aws_refuses("VolumeInUse", ec2.delete_volume, VolumeId=vol)
    assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["State"] == "in-use"
    ec2.terminate_instances(InstanceIds=[iid])


def _vpc(ec2) -> dict:
    """A VPC of the test's own: two subnets (one with a free interface), a route table associated with both,
    an internet gateway, a group that another refers to, an interface endpoint, a NAT gateway with an Elastic
    IP AwsWiz made."""
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    sub = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.70.{i}.0/24", AvailabilityZone=f"{REGION}a")["Subnet"][
        "SubnetId"] for i in range(3)]
    eni = ec2.create_network_interface(SubnetId=sub[0])["NetworkInterface"]["NetworkInterfaceId"]
    spare = ec2.create_network_interface(SubnetId=sub[1])["NetworkInterface"]["NetworkInterfaceId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for s in sub[:2]:
        ec2.associate_route_table(RouteTableId=rt, SubnetId=s)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    target = ec2.create_security_group(GroupName=name("target"), Description="x", VpcId=vpc)["GroupId"]
    ref = ec2.create_security_group(GroupName=name("ref"), Description="x", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ref, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": target}]}])
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.sqs", VpcEndpointType="Interface",
                                   SubnetIds=[sub[2]])["VpcEndpoint"]["VpcEndpointId"]
    alloc = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": [
        {"Key": "awswiz:managed", "Value": "true"}]}])["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sub[2], AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    return {"vpc": vpc, "subnets": sub, "eni": eni, "spare": spare, "rt": rt, "igw": igw, "sg": target, "ref": ref,
            "vpce": vpce, "eip": alloc, "nat": nat}


def test_network_types_are_removed_dependencies_first(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    v = _vpc(ec2)
    found = scan_ids(run_tool, "vpc")
    assert {v["vpc"], *v["subnets"], v["eni"], v["rt"], v["igw"], v["sg"], v["vpce"], v["nat"]} <= found

    # EC2 API Reference, DeleteSecurityGroup: a group another group's rule refers to: DependencyViolation
    aws_refuses("DependencyViolation", ec2.delete_security_group, GroupId=v["sg"])
    ops = remove(sandbox, run_tool, state_dir, "vpc:security-group", v["sg"],
                 [("revoke-ingress", "vpc:security-group"), ("delete", "vpc:security-group")])
    assert ops == ["RevokeSecurityGroupIngress", "DeleteSecurityGroup"]
    assert remove(sandbox, run_tool, state_dir, "vpc:network-interface", v["eni"],
                  [("delete", "vpc:network-interface")]) == ["DeleteNetworkInterface"]
    # EC2 API Reference, DeleteRouteTable: "You must disassociate the route table from any subnets" first
    ops = remove(sandbox, run_tool, state_dir, "vpc:route-table", v["rt"],
                 [("disassociate", "vpc:route-table")] * 2 + [("delete", "vpc:route-table")])
    assert ops == ["DisassociateRouteTable"] * 2 + ["DeleteRouteTable"]
    # the subnet's free interface goes first (EC2 API Reference, DeleteSubnet)
    assert remove(sandbox, run_tool, state_dir, "vpc:subnet", v["subnets"][1],
                  [("delete", "vpc:network-interface"), ("delete", "vpc:subnet")]) == \
        ["DeleteNetworkInterface", "DeleteSubnet"]
    # asynchronous deletes are waited for (EC2 API Reference: DeleteVpcEndpoints, DeleteNatGateway); the NAT's
    # Elastic IP, made by AwsWiz, is released after it ("does not release the address from your account")
    assert remove(sandbox, run_tool, state_dir, "vpc:endpoint", v["vpce"],
                  [("delete-and-wait", "vpc:endpoint")]) == ["DeleteVpcEndpoints"]
    assert remove(sandbox, run_tool, state_dir, "vpc:nat-gateway", v["nat"],
                  [("delete-and-wait", "vpc:nat-gateway"), ("release", "ec2:elastic-ip")]) == \
        ["DeleteNatGateway", "ReleaseAddress"]
    assert ec2.describe_nat_gateways(NatGatewayIds=[v["nat"]])["NatGateways"][0]["State"] == "deleted"
    # EC2 API Reference, DeleteInternetGateway: "You must detach the internet gateway from the VPC" first
    assert remove(sandbox, run_tool, state_dir, "vpc:internet-gateway", v["igw"],
                  [("detach", "vpc:internet-gateway"), ("delete", "vpc:internet-gateway")]) == \
        ["DetachInternetGateway", "DeleteInternetGateway"]
    # the rest of the VPC goes as cleanup_vpc tears it down (vpc_teardown.py)
    flow = Flow(sandbox, run_tool, state_dir, "terminate", "--type", "vpc:vpc", "--id", v["vpc"], "--region", REGION)
    assert flow.plan()["plan"][-1]["id"] == v["vpc"]
    flow.confirm()
    assert flow.ops[-1] == "DeleteVpc"

    assert not ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [v["vpc"]]}])["Vpcs"]
    assert not ec2.describe_addresses(Filters=[{"Name": "allocation-id", "Values": [v["eip"]]}])["Addresses"]
    gone = {v["vpc"], *v["subnets"], v["eni"], v["spare"], v["rt"], v["igw"], v["sg"], v["ref"], v["vpce"], v["nat"]}
    left = gone & scan_ids(run_tool, "vpc")
    assert not left, left


def test_what_aws_refuses_is_blocked(sandbox, run_tool):
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.71.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.71.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                    {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    used = ec2.create_security_group(GroupName=name("used"), Description="x", VpcId=vpc)["GroupId"]
    iid = instance(ec2, SubnetId=sub, SecurityGroupIds=[used])
    eni = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=sub, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    nat_eni = ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["NatGatewayAddresses"][0][
        "NetworkInterfaceId"]

    # Amazon VPC User Guide, Delete a security group: "can't be the default security group for a VPC"
    assert "default group" in refused(sandbox, run_tool, "vpc:security-group", default["GroupId"])
    aws_refuses("CannotDelete", ec2.delete_security_group, GroupId=default["GroupId"])
    # EC2 API Reference, DeleteSecurityGroup: associated with a network interface: DependencyViolation
    assert eni["NetworkInterfaceId"] in refused(sandbox, run_tool, "vpc:security-group", used)
    aws_refuses("DependencyViolation", ec2.delete_security_group, GroupId=used)
    # EC2 API Reference, DeleteRouteTable: "You can't delete the main route table"
    assert f"--type vpc:vpc --id {vpc}" in refused(sandbox, run_tool, "vpc:route-table", main["RouteTableId"])
    aws_refuses("DependencyViolation", ec2.delete_route_table, RouteTableId=main["RouteTableId"])
    # EC2 API Reference, DeleteNetworkInterface: attached ones, and requester-managed ones (Amazon EC2 User
    # Guide: Requester-managed network interfaces), are not deleted
    assert iid in refused(sandbox, run_tool, "vpc:network-interface", eni["NetworkInterfaceId"])
    assert "natGateway" in refused(sandbox, run_tool, "vpc:network-interface", nat_eni)
    aws_refuses("InvalidParameterValue", ec2.delete_network_interface, NetworkInterfaceId=nat_eni)
    # a NAT gateway's address is freed by deleting the NAT gateway (EC2 API Reference: ReleaseAddress)
    assert f"--type vpc:nat-gateway --id {nat}" in refused(sandbox, run_tool, "ec2:elastic-ip", alloc)
    # EC2 API Reference, DeleteSubnet: instances (and NAT gateways) in it must go first
    msg = refused(sandbox, run_tool, "vpc:subnet", sub)
    assert nat in msg and iid in msg
    # EC2 API Reference, DetachInternetGateway: "The VPC must not contain any running instances with Elastic IP
    # addresses or public IPv4 addresses"
    assert iid in refused(sandbox, run_tool, "vpc:internet-gateway", igw)
    aws_refuses("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    # Amazon VPC User Guide, Delete your VPC: instances block the teardown
    assert iid in refused(sandbox, run_tool, "vpc:vpc", vpc)
    # EC2 API Reference, DeleteNatGateway: "does not release the address": one AwsWiz did not make is kept, and
    # the plan names the command that releases it
    plan = run_tool("terminate", "--type", "vpc:nat-gateway", "--id", nat, "--region", REGION)
    assert plan.code == 0 and [a["action"] for a in plan.json["data"]["plan"]] == ["delete-and-wait"]
    assert f"--type ec2:elastic-ip --id {alloc}" in str(plan.json["data"]["plan"][0]["detail"]["keeps_addresses"])
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.delete_nat_gateway(NatGatewayId=nat)


def test_an_id_in_another_region_is_found_without_region(sandbox, run_tool):
    ec2 = sandbox.client("ec2", OTHER)
    vol = ec2.create_volume(Size=1, AvailabilityZone=f"{OTHER}a")["VolumeId"]
    r = run_tool("terminate", "--type", "ec2:volume", "--id", vol)
    assert r.code == 0, r.stdout + r.stderr
    assert [(a["id"], a["region"]) for a in r.json["data"]["plan"]] == [(vol, OTHER)]
    done = run_tool("terminate", "--type", "ec2:volume", "--id", vol, "--confirm", r.json["data"]["confirm"])
    assert done.code == 0, done.stdout
    assert not ec2.describe_volumes(Filters=[{"Name": "volume-id", "Values": [vol]}])["Volumes"]


@pytest.mark.parametrize("args", [
    ("--type", "ec2:volume", "--id", "vol-0123456789abcdef0", "--region", REGION),  # unknown id
    ("--type", "vpc:subnet", "--id", "subnet-0123456789abcdef0"),  # unknown, every region searched
    ("--type", "ec2:key-pair", "--id", "no-such-key-pair", "--region", REGION),
])  # ids of a bad form, --snapshot for a volume: test_bad_input.py (refused before anything is sent, no sandbox)
def test_bad_input_is_exit_2_and_changes_nothing(sandbox, run_tool, state_dir, args):
    mark = sandbox.mark()
    r = run_tool("terminate", *args)
    assert r.code == 2, r.stdout + r.stderr
    assert r.json["errors"][0]["code"] == "BadInput"
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()


class _StubEc2:
    """Two AMIs sharing a snapshot, which moto cannot make (it gives every AMI a snapshot of its own)."""

    IMAGES = [{"ImageId": "ami-0000000000000000a", "Name": "a", "BlockDeviceMappings": [
                  {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "snap-0000000000000000a"}},
                  {"DeviceName": "/dev/sdb", "Ebs": {"SnapshotId": "snap-000000000000000ab"}}]},
              {"ImageId": "ami-0000000000000000b", "Name": "b", "BlockDeviceMappings": [
                  {"DeviceName": "/dev/sda1", "Ebs": {"SnapshotId": "snap-000000000000000ab"}}]}]

    def can_paginate(self, call):
        return False

    def describe_images(self, **kw):
        return {"Images": self.IMAGES}

    def describe_snapshots(self, Filters, **kw):  # noqa: N803 - boto3's name
        return {"Snapshots": [{"SnapshotId": s, "VolumeSize": 8} for s in Filters[0]["Values"]]}


def test_a_snapshot_another_ami_uses_is_kept():
    # Amazon EC2 User Guide, Deregister an Amazon EC2 AMI: "if a snapshot is associated with multiple AMIs, it
    # won't be deleted ... although the AMI will still be deregistered"
    import types

    from _awswiz.removal.removers import ebs

    ctx = types.SimpleNamespace(aws=types.SimpleNamespace(client=lambda service, region: _StubEc2()))
    plan = ebs.plan_images(ctx, REGION, ["ami-0000000000000000a"], {})
    assert [(a.op, a.id) for a in plan.actions] == [("deregister", "ami-0000000000000000a"),
                                                    ("delete", "snap-0000000000000000a")]
    assert "ami-0000000000000000b" in plan.actions[0].detail["keeps_snapshots"]["snap-000000000000000ab"]
    both = ebs.plan_images(ctx, REGION, ["ami-0000000000000000a", "ami-0000000000000000b"], {})
    deletes = [(a.id, a.target) for a in both.actions if a.op == "delete"]  # the shared one once, after both
    assert deletes == [("snap-0000000000000000a", "ami-0000000000000000a"),
                       ("snap-000000000000000ab", "ami-0000000000000000b")]


MINE = ["ec2:instance", "ec2:volume", "ec2:snapshot", "ec2:image", "ec2:elastic-ip", "ec2:key-pair", "vpc:vpc",
        "vpc:subnet", "vpc:route-table", "vpc:internet-gateway", "vpc:nat-gateway", "vpc:endpoint",
        "vpc:network-interface", "vpc:security-group"]


def test_each_row_says_how_it_is_removed_what_goes_first_and_what_it_costs():
    from _awswiz.inventory.table import BY_TYPE
    from _awswiz.removal import removers

    for t in MINE:
        row = BY_TYPE[t]
        assert row.removal and row.cost and "$" not in row.cost, t  # words, no prices
        assert set(row.first) <= set(BY_TYPE), (t, row.first)
        assert removers.get(t).type == t


def test_an_address_of_a_protected_instance_is_not_taken_from_it(sandbox, run_tool, state_dir):
    # issue 19 (3): releasing an associated address disassociates it first (EC2 API Reference, ReleaseAddress):
    # the instance loses its public address. The disassociation touches that instance, with the instance's own
    # tags: an env=prod instance blocks it (exit 4, nothing sent, the address stays associated)
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2, tags={"env": "prod"})
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assoc = ec2.associate_address(AllocationId=alloc, InstanceId=iid)["AssociationId"]
    msg = refused(sandbox, run_tool, "ec2:elastic-ip", alloc)
    assert f"instance {iid}" in msg and "protected" in msg
    addr = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert (addr.get("InstanceId"), addr.get("AssociationId")) == (iid, assoc)
    assert not [s for s in audit_lines(state_dir) if alloc in s["resources"]]
    ec2.disassociate_address(AssociationId=assoc)
    ec2.release_address(AllocationId=alloc)
    ec2.terminate_instances(InstanceIds=[iid])


def test_a_route_table_serving_a_protected_subnet_keeps_it(sandbox, run_tool, state_dir):
    # issue 19 (4): DeleteRouteTable needs the subnets disassociated first (EC2 API Reference), which moves each
    # subnet to its VPC's main route table: the disassociation touches the subnet, with the subnet's own tags
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.72.0.0/16")["Vpc"]["VpcId"]
    free, kept = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.72.{i}.0/24")["Subnet"]["SubnetId"] for i in (1, 2)]
    ec2.create_tags(Resources=[kept], Tags=[{"Key": "awswiz:protected", "Value": "true"}])
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assocs = {s: ec2.associate_route_table(RouteTableId=rt, SubnetId=s)["AssociationId"] for s in (free, kept)}
    msg = refused(sandbox, run_tool, "vpc:route-table", rt)
    assert f"subnet {kept}" in msg and "protected" in msg
    now = ec2.describe_route_tables(RouteTableIds=[rt])["RouteTables"][0]["Associations"]
    assert {a["SubnetId"]: a["RouteTableAssociationId"] for a in now} == assocs  # both still served by it
    assert not [s for s in audit_lines(state_dir) if rt in s["resources"] or set(assocs.values()) & set(s["resources"])]
    for a in assocs.values():
        ec2.disassociate_route_table(AssociationId=a)
    ec2.delete_route_table(RouteTableId=rt)
    for s in (free, kept):
        ec2.delete_subnet(SubnetId=s)
    ec2.delete_vpc(VpcId=vpc)


def test_a_refusal_never_names_a_protected_key_pair_again_though_given_by_name(sandbox, run_tool):
    # issue 19: a refusal's `next` left out the protected resource by id only; a key pair named by its name was
    # named again. The `next` plans the rest; when nothing is left there is no `next`
    ec2 = sandbox.client("ec2", REGION)
    kept, free = name("test-key-prod"), name("test-key")
    ec2.create_key_pair(KeyName=kept, TagSpecifications=[{"ResourceType": "key-pair", "Tags": [
        {"Key": "stage", "Value": "prod"}]}])
    ec2.create_key_pair(KeyName=free)
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ec2:key-pair", "--id", f"{kept},{free}", "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert r.json["next"] == [f"uv run tools/terminate.py --type ec2:key-pair --id {free} --region {REGION}"]
    alone = run_tool("terminate", "--type", "ec2:key-pair", "--id", kept, "--region", REGION)
    assert alone.code == 4 and alone.json["next"] == []
    assert mutating_calls(sandbox, mark) == []
    assert {kept, free} <= {k["KeyName"] for k in ec2.describe_key_pairs()["KeyPairs"]}
    for k in (kept, free):
        ec2.delete_key_pair(KeyName=k)


def test_an_ami_with_deregistration_protection_is_blocked_naming_the_command_that_lifts_it(sandbox, run_tool,
                                                                                             state_dir):
    # issue 18 (9): EC2 API Reference, EnableImageDeregistrationProtection: "When deregistration protection is
    # enabled, the AMI can't be deregistered"; DescribeImages reports it (botocore Image.DeregistrationProtection).
    # moto lacks it: the sandbox answers it (sandbox/ami_rules.py) and refuses DeregisterImage as AWS does
    ec2 = sandbox.client("ec2", REGION)
    iid = instance(ec2)
    ami = ec2.create_image(InstanceId=iid, Name=name("test-ami-kept"))["ImageId"]
    snaps = [m["Ebs"]["SnapshotId"] for m in ec2.describe_images(ImageIds=[ami])["Images"][0]["BlockDeviceMappings"]]
    assert ec2.describe_images(ImageIds=[ami])["Images"][0]["DeregistrationProtection"] == "disabled"
    ec2.enable_image_deregistration_protection(ImageId=ami)
    assert ec2.describe_images(ImageIds=[ami])["Images"][0]["DeregistrationProtection"] == "enabled"
    aws_refuses("OperationNotPermitted", ec2.deregister_image, ImageId=ami)
    msg = refused(sandbox, run_tool, "ec2:image", ami)
    assert f"aws ec2 disable-image-deregistration-protection --image-id {ami} --region {REGION}" in msg, msg
    assert ec2.describe_images(ImageIds=[ami])["Images"][0]["State"] == "available"
    assert len(ec2.describe_snapshots(SnapshotIds=snaps)["Snapshots"]) == len(snaps)
    assert not [s for s in audit_lines(state_dir) if ami in s["resources"] or set(snaps) & set(s["resources"])]
    # with the 24-hour cooldown, disabling leaves it protected until the cooldown ends (DisableImageDeregistration-
    # Protection): still blocked in the plan, still refused by AWS
    ec2.enable_image_deregistration_protection(ImageId=ami, WithCooldown=True)
    ec2.disable_image_deregistration_protection(ImageId=ami)
    assert ec2.describe_images(ImageIds=[ami])["Images"][0]["DeregistrationProtection"].startswith("disabled after ")
    assert "cooldown" in refused(sandbox, run_tool, "ec2:image", ami)
    aws_refuses("OperationNotPermitted", ec2.deregister_image, ImageId=ami)
    ec2.terminate_instances(InstanceIds=[iid])


def test_the_parts_of_a_protected_vpc_are_refused_naming_it(sandbox, run_tool, state_dir):
    # DESIGN.md, Guard rules: what a protected resource contains is protected too. Each remover names the VPC in
    # Action.touches with the VPC's own tags, and the guard refuses (the rule in the core, not in the remover)
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.73.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Env", "Value": " Prod"}]}])["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.73.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName=name("in-prod"), Description="x", VpcId=vpc)["GroupId"]
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    for type_, rid in (("vpc:subnet", sub), ("vpc:security-group", sg), ("vpc:route-table", rt)):
        assert f"VPC {vpc} is protected" in refused(sandbox, run_tool, type_, rid), type_
    assert ec2.describe_subnets(SubnetIds=[sub])["Subnets"] and ec2.describe_security_groups(GroupIds=[sg])
    assert not [s for s in audit_lines(state_dir) if {sub, sg, rt} & set(s["resources"])]
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_route_table(RouteTableId=rt)
    ec2.delete_subnet(SubnetId=sub)
    ec2.delete_vpc(VpcId=vpc)
