"""The sandbox refuses what AWS refuses in a VPC teardown (tools/_awswiz/sandbox/vpc_api.py), checked with
plain boto3 calls: each test names the AWS document of the rule."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from mutation_helpers import image

REGION = "ca-central-1"


def code(fn, **kw) -> str | None:
    try:
        fn(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"]
    return None


def wait(check, seconds: float = 10) -> None:
    deadline = time.time() + seconds
    while not check():
        assert time.time() < deadline, "the sandbox never finished the deletion"
        time.sleep(0.2)


@pytest.fixture
def net(sandbox):
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24")["Subnet"]["SubnetId"]
    return ec2, vpc, subnet


def enis(ec2, **flt) -> list[dict]:
    return ec2.describe_network_interfaces(Filters=[{"Name": k, "Values": [v]} for k, v in flt.items()])[
        "NetworkInterfaces"]


def test_group_used_by_an_interface_or_referenced_cannot_be_deleted(net):
    # EC2 API Reference, DeleteSecurityGroup: "If you attempt to delete a security group that is associated
    # with an instance or network interface, is referenced by another security group in the same VPC, ...
    # the operation fails with DependencyViolation."
    ec2, vpc, subnet = net
    used = ec2.create_security_group(GroupName="used", Description="u", VpcId=vpc)["GroupId"]
    ref = ec2.create_security_group(GroupName="ref", Description="r", VpcId=vpc)["GroupId"]
    other = ec2.create_security_group(GroupName="other", Description="o", VpcId=vpc)["GroupId"]
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[used])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": ref}]}])
    assert code(ec2.delete_security_group, GroupId=used) == "DependencyViolation"
    assert code(ec2.delete_security_group, GroupId=ref) == "DependencyViolation"
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    ec2.revoke_security_group_ingress(GroupId=other, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "UserIdGroupPairs": [{"GroupId": ref}]}])
    for g in (used, ref, other):
        assert code(ec2.delete_security_group, GroupId=g) is None


def test_vpc_with_dependencies_cannot_be_deleted(net):
    # EC2 API Reference, DeleteVpc: "You must detach or delete all gateways and resources that are associated
    # with the VPC before you can delete it"; Amazon VPC User Guide, Delete your VPC (command line).
    ec2, vpc, subnet = net
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    group = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    steps = [lambda: ec2.delete_subnet(SubnetId=subnet),
             lambda: ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc),
             lambda: ec2.delete_security_group(GroupId=group), lambda: ec2.delete_network_acl(NetworkAclId=acl),
             lambda: ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)]
    for step in steps:  # each dependency alone is enough to refuse
        assert code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
        step()
    assert code(ec2.delete_vpc, VpcId=vpc) is None


def test_interface_endpoint_interfaces_are_requester_managed_and_go_with_the_endpoint(net):
    # EC2 API Reference, DeleteVpcEndpoints: "When you delete an interface endpoint, we delete the endpoint
    # network interfaces" (asynchronously: the endpoint is "deleting" first). Amazon EC2 User Guide,
    # Requester-managed network interfaces: they cannot be deleted by the account; AWS answers
    # InvalidParameterValue "Network interface ... is currently in use".
    ec2, vpc, subnet = net
    ep = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.ssm", VpcEndpointType="Interface",
                                 SubnetIds=[subnet])["VpcEndpoint"]
    [eni] = ep["NetworkInterfaceIds"]
    [desc] = enis(ec2, **{"network-interface-id": eni})
    assert desc["InterfaceType"] == "vpc_endpoint" and desc["RequesterManaged"] is True
    assert code(ec2.delete_network_interface, NetworkInterfaceId=eni) == "InvalidParameterValue"
    assert code(ec2.delete_subnet, SubnetId=subnet) == "DependencyViolation"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])
    state = ec2.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0]["State"]
    assert state.lower() == "deleting" and enis(ec2, **{"network-interface-id": eni})
    wait(lambda: not enis(ec2, **{"network-interface-id": eni}))
    assert code(ec2.delete_subnet, SubnetId=subnet) is None


def test_nat_gateway_deletion_is_asynchronous_and_frees_its_address(net):
    # EC2 API Reference, DeleteNatGateway: "Deleting a public NAT gateway disassociates its Elastic IP address,
    # but does not release the address"; its interface has type natGateway (botocore ec2 NetworkInterfaceType).
    # EC2 API Reference, ReleaseAddress: in a nondefault VPC an associated address is InvalidIPAddress.InUse.
    ec2, vpc, subnet = net
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    [desc] = enis(ec2, **{"subnet-id": subnet})
    assert desc["InterfaceType"] == "natGateway" and desc["RequesterManaged"] is True
    assert code(ec2.delete_network_interface, NetworkInterfaceId=desc["NetworkInterfaceId"]) == \
        "InvalidParameterValue"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "deleting"
    assert code(ec2.release_address, AllocationId=alloc) == "InvalidIPAddress.InUse"
    wait(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "deleted")
    [addr] = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert not addr.get("AssociationId") and not enis(ec2, **{"subnet-id": subnet})
    assert code(ec2.release_address, AllocationId=alloc) is None


def test_terminate_releases_interfaces_and_detaches_addresses(net):
    # Amazon EC2 User Guide, How instance termination works: "Any Elastic IP addresses associated with the
    # instance are detached"; interfaces created at launch are deleted (DeleteOnTermination defaults to true
    # for them), others are detached and stay "available".
    ec2, vpc, subnet = net
    inst = ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    primary = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    extra = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=extra, InstanceId=inst["InstanceId"], DeviceIndex=1)
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=inst["InstanceId"])
    # EC2 API Reference, DeleteNetworkInterface: "You must detach the network interface before you can delete it."
    assert code(ec2.delete_network_interface, NetworkInterfaceId=extra) == "InvalidParameterValue"
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    assert [e["NetworkInterfaceId"] for e in enis(ec2, **{"subnet-id": subnet})] == [extra]
    assert enis(ec2, **{"network-interface-id": extra})[0]["Status"] == "available"
    [addr] = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert not addr.get("AssociationId") and not addr.get("InstanceId")
    assert primary not in [e["NetworkInterfaceId"] for e in enis(ec2, **{"vpc-id": vpc})]
    ec2.release_address(AllocationId=alloc)


def test_vpn_gateway_detachment_is_asynchronous(net):
    # EC2 API Reference, DetachVpnGateway: "You must wait for the attachment's state to switch to detached
    # before you can delete the VPC or attach a different VPC to the virtual private gateway."
    ec2, vpc, subnet = net
    ec2.delete_subnet(SubnetId=subnet)
    vgw = ec2.create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    ec2.attach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)
    ec2.detach_vpn_gateway(VpnGatewayId=vgw, VpcId=vpc)

    def attachment() -> str:
        return ec2.describe_vpn_gateways(VpnGatewayIds=[vgw])["VpnGateways"][0]["VpcAttachments"][0]["State"]

    assert attachment() == "detaching"
    assert code(ec2.delete_vpc, VpcId=vpc) == "DependencyViolation"
    wait(lambda: attachment() == "detached")
    assert code(ec2.delete_vpc, VpcId=vpc) is None
