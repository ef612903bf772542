"""A lab grown by hand, for the export tests: a VPC with two subnets, an internet gateway, a public route table
(route and association), a NAT gateway with its Elastic IP, an S3 gateway endpoint, two security groups (one
referring to the other), a custom network ACL, an instance with a data volume, a key pair, a role with its
policies and instance profile, and a bucket with versioning, encryption, public access block, policy and
lifecycle. Built through boto3 against the sandbox, as a person would in the console."""

from __future__ import annotations

import json

# an ed25519 public key (no private part anywhere in the repository)
PUBLIC_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEmKSENjQEezOmxkZMy7opKgwFB9nkt5YRrYMjNuG5N0 lab"

# user data that holds a secret, as it often does: the export must never write it
SECRET = "s3cr3t-token-never-exported"
USER_DATA = f"#!/bin/sh\nexport API_TOKEN={SECRET}\n"


def tags(name: str, **more: str) -> list[dict]:
    return [{"Key": "Name", "Value": name}, *({"Key": k, "Value": v} for k, v in more.items())]


def spec(kind: str, name: str, **more: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(name, **more)}]


def build(client, region: str, prefix: str = "lab", net: str = "10.42", network_only: bool = False) -> dict:
    """client(service, region) -> boto3 client. Returns the ids made. network_only: the VPC and its parts, no
    instance, key, role or bucket."""
    ec2, s3, iam = client("ec2", region), client("s3", region), client("iam", region)
    azs = [f"{region}a", f"{region}b"]
    vpc = ec2.create_vpc(CidrBlock=f"{net}.0.0/16", TagSpecifications=spec("vpc", f"{prefix} vpc",
                                                                           project=prefix))["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{net}.1.0/24", AvailabilityZone=azs[0],
                               TagSpecifications=spec("subnet", "public-a"))["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    private = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{net}.2.0/24", AvailabilityZone=azs[1],
                                TagSpecifications=spec("subnet", "../private b"))["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", "igw"))["InternetGateway"][
        "InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", "public"))["RouteTable"][
        "RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=public)
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", "nat-ip"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip,
                                 TagSpecifications=spec("natgateway", "nat"))["NatGateway"]["NatGatewayId"]
    rt2 = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", "private"))["RouteTable"][
        "RouteTableId"]
    ec2.create_route(RouteTableId=rt2, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    ec2.associate_route_table(RouteTableId=rt2, SubnetId=private)
    vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{region}.s3", VpcEndpointType="Gateway",
                                   RouteTableIds=[rt2], TagSpecifications=spec("vpc-endpoint", "s3"))[
        "VpcEndpoint"]["VpcEndpointId"]
    web = ec2.create_security_group(GroupName="web", Description="web servers", VpcId=vpc,
                                    TagSpecifications=spec("security-group", "web"))["GroupId"]
    db = ec2.create_security_group(GroupName="db", Description="database", VpcId=vpc,
                                   TagSpecifications=spec("security-group", "db"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0",
                                                                             "Description": "https"}]}])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": web}]}])
    # a group that lets its own members in (a cluster's): in CloudFormation, a rule apart from its group
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7000, "UserIdGroupPairs": [{"GroupId": db}]}])
    acl = ec2.create_network_acl(VpcId=vpc, TagSpecifications=spec("network-acl", "private-acl"))["NetworkAcl"][
        "NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="allow", Egress=False,
                                 CidrBlock=f"{net}.0.0/16", PortRange={"From": 5432, "To": 5432})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0")
    default_acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [private]}])[
        "NetworkAcls"][0]
    assoc = next(a["NetworkAclAssociationId"] for a in default_acl["Associations"] if a["SubnetId"] == private)
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    # a network interface made by hand (as a load balancer or a function would own one): a type export does not write
    eni = ec2.create_network_interface(SubnetId=private, Description="made by hand")["NetworkInterface"][
        "NetworkInterfaceId"]
    made = {"eni": eni, "vpc": vpc, "subnets": [public, private], "igw": igw, "route_tables": [rt, rt2], "eip": eip,
            "nat": nat, "endpoint": vpce, "groups": [web, db], "acl": acl}
    if network_only:
        return made
    key = ec2.import_key_pair(KeyName=f"{prefix}-key", PublicKeyMaterial=PUBLIC_KEY.encode())["KeyName"]
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName=f"{prefix}-role", AssumeRolePolicyDocument=json.dumps(trust),
                           Tags=[{"Key": "project", "Value": prefix}])["Role"]["RoleName"]
    iam.put_role_policy(RoleName=role, PolicyName="read-bucket", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                 "Resource": f"arn:aws:s3:::{prefix}-data-bucket/*"}]}))
    managed = iam.create_policy(PolicyName=f"{prefix}-logs", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:PutLogEvents", "Resource": "*"}]}))
    iam.attach_role_policy(RoleName=role, PolicyArn=managed["Policy"]["Arn"])
    profile = iam.create_instance_profile(InstanceProfileName=f"{prefix}-profile")["InstanceProfile"][
        "InstanceProfileName"]
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    image = ec2.register_image(Name=f"{prefix}-image", Architecture="x86_64", RootDeviceName="/dev/xvda",
                               VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8}}])["ImageId"]
    box = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=private,
                            SecurityGroupIds=[web], KeyName=key, IamInstanceProfile={"Name": profile},
                            MetadataOptions={"HttpTokens": "required"}, UserData=USER_DATA,
                            TagSpecifications=spec("instance", "app", project=prefix))["Instances"][0]["InstanceId"]
    vol = ec2.create_volume(AvailabilityZone=azs[1], Size=20, VolumeType="gp3",
                            TagSpecifications=spec("volume", "app-data"))["VolumeId"]
    ec2.attach_volume(VolumeId=vol, InstanceId=box, Device="/dev/sdf")
    bucket = f"{prefix}-data-bucket"
    s3.create_bucket(Bucket=bucket, **({} if region == "us-east-1" else
                                       {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "project", "Value": prefix}]})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}))
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"ID": "expire-tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}]})
    return {**made, "key": key, "role": role, "profile": profile, "instance": box, "volume": vol, "bucket": bucket}
