"""The demo lab: a small research account spread over three regions, seeded through real boto3 calls.

What it holds (and what scan should report as findings):
- us-east-1: VPC research-vpc (2 subnets, IGW, public route table, S3 endpoint, load balancer),
  g5.xlarge "train-a" running (GPU running), t3.micro "web-dev" running, p4d.24xlarge "train-big"
  stopped (stopped holding volumes), SG ssh-open (SSH open to the world), two unused SGs that
  reference each other, an orphaned volume, an unassociated Elastic IP, a snapshot, ECS cluster.
- us-west-2: g6.xlarge spot "sweep-1" running with an Elastic IP, "prod-proxy" tagged env=prod
  (protected), p5.48xlarge "h100-box" stopped (p5 is not offered in eu-west-1), a SageMaker notebook,
  a versioned bucket with versions and a delete marker.
- eu-west-1: VPC eu-lab with a NAT gateway, an RDS instance, a Lambda function, an EKS cluster, a bucket.
- IAM: users alice and bob, role awswiz-lab-role. Key pair lab-key in every lab region.
- An Organization with the lab as management account and two members, the fellows (org.py).
"""

from __future__ import annotations

import io
import json
import zipfile

import boto3
from botocore.config import Config

from . import gpu, org, security
from .tags import REGIONS, spec


class Lab:
    def __init__(self, url: str):
        self.session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        self.url = url
        self.config = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 2})
        self.made: dict[str, int] = {}
        self._clients: dict[tuple[str, str], object] = {}

    def c(self, service: str, region: str = "us-east-1"):
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=region, endpoint_url=self.url,
                                                     config=self.config)
        return self._clients[key]

    def count(self, kind: str, n: int = 1) -> None:
        self.made[kind] = self.made.get(kind, 0) + n

    def image(self, region: str) -> str:
        ec2 = self.c("ec2", region)
        img = ec2.register_image(Name="awswiz-lab-base", Architecture="x86_64", RootDeviceName="/dev/sda1",
                                 VirtualizationType="hvm",
                                 BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])
        return img["ImageId"]

    def instance(self, region: str, itype: str, name: str, subnet: str | None = None, spot: bool = False,
                 stop: bool = False, sg: str | None = None, **tags: str) -> str:
        ec2 = self.c("ec2", region)
        kw: dict = {"ImageId": self.images[region], "MinCount": 1, "MaxCount": 1, "InstanceType": itype,
                    "KeyName": "lab-key", "TagSpecifications": spec("instance", name, **tags),
                    "BlockDeviceMappings": [{"DeviceName": "/dev/sda1",
                                             "Ebs": {"VolumeSize": 100, "DeleteOnTermination": True}}]}
        if subnet:
            kw["SubnetId"] = subnet
        if sg:
            kw["SecurityGroupIds"] = [sg]
        if spot:
            kw["InstanceMarketOptions"] = {"MarketType": "spot"}
        iid = ec2.run_instances(**kw)["Instances"][0]["InstanceId"]
        if stop:
            ec2.stop_instances(InstanceIds=[iid])
        self.count("ec2:instance")
        return iid

    def vpc(self, region: str, name: str, cidr: str, azs: list[str], project: str) -> dict:
        ec2 = self.c("ec2", region)
        vpc = ec2.create_vpc(CidrBlock=cidr, TagSpecifications=spec("vpc", name, project=project))["Vpc"]["VpcId"]
        base = cidr.split(".")
        subnets = []
        for i, az in enumerate(azs):
            sn = ec2.create_subnet(VpcId=vpc, CidrBlock=f"{base[0]}.{base[1]}.{i}.0/24", AvailabilityZone=az,
                                   TagSpecifications=spec("subnet", f"{name}-{az}"))["Subnet"]["SubnetId"]
            subnets.append(sn)
        igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", f"{name}-igw"))
        igw_id = igw["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc)
        rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=spec("route-table", f"{name}-public"))
        rt_id = rt["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
        ec2.associate_route_table(RouteTableId=rt_id, SubnetId=subnets[0])
        self.count("vpc:vpc")
        return {"vpc": vpc, "subnets": subnets, "igw": igw_id, "rt": rt_id}

    def seed(self) -> dict[str, int]:
        self.images = {r: self.image(r) for r in REGIONS}
        for r in REGIONS:
            self.c("ec2", r).create_key_pair(KeyName="lab-key", TagSpecifications=spec("key-pair", "lab-key"))
            self.count("ec2:key-pair")
        self.us_east_1()
        self.us_west_2()
        self.eu_west_1()
        self.global_()
        gpu.seed(self)  # DLAMIs, SSM params
        security.seed(self)  # issue 12: bad and good
        org.seed(self)  # issue 22: the Organization, two fellows as members with resources of their own
        return self.made

    def us_east_1(self) -> None:
        r = "us-east-1"
        ec2 = self.c("ec2", r)
        net = self.vpc(r, "research-vpc", "10.20.0.0/16", ["us-east-1a", "us-east-1b"], "llm")
        ssh = ec2.create_security_group(GroupName="ssh-open", Description="SSH from anywhere", VpcId=net["vpc"],
                                        TagSpecifications=spec("security-group", "ssh-open"))["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        a = ec2.create_security_group(GroupName="unused-a", Description="unused", VpcId=net["vpc"])["GroupId"]
        b = ec2.create_security_group(GroupName="unused-b", Description="unused", VpcId=net["vpc"])["GroupId"]
        for x, y in ((a, b), (b, a)):
            ec2.authorize_security_group_ingress(GroupId=x, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": y}]}])
        self.count("vpc:security-group", 3)
        train = self.instance(r, "g5.xlarge", "train-a", net["subnets"][0], sg=ssh, project="llm", owner="alice")
        self.instance(r, "t3.micro", "web-dev", env="dev", project="web")
        big = self.instance(r, "p4d.24xlarge", "train-big", net["subnets"][1], stop=True, project="llm")
        vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=500, VolumeType="gp3",
                                TagSpecifications=spec("volume", "old-dataset", project="llm"))["VolumeId"]
        self.count("ec2:volume")
        ec2.create_snapshot(VolumeId=vol, Description="dataset backup",
                            TagSpecifications=spec("snapshot", "old-dataset-snap"))
        self.count("ec2:snapshot")
        ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", "spare-ip"))
        self.count("ec2:elastic-ip")
        ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                RouteTableIds=[net["rt"]], VpcEndpointType="Gateway")
        elb = self.c("elbv2", r)
        elb.create_load_balancer(Name="research-alb", Subnets=net["subnets"], SecurityGroups=[ssh],
                                 Tags=[{"Key": "project", "Value": "llm"}])
        self.c("ecs", r).create_cluster(clusterName="batch", tags=[{"key": "project", "value": "llm"}])
        s3 = self.c("s3", r)
        s3.create_bucket(Bucket="awswiz-demo-datasets")
        s3.put_bucket_tagging(Bucket="awswiz-demo-datasets",
                              Tagging={"TagSet": [{"Key": "project", "Value": "llm"}]})
        s3.put_object(Bucket="awswiz-demo-datasets", Key="tokens/shard-000.bin", Body=b"\0" * 1024)
        self.count("s3:bucket")
        self.train_a, self.train_big = train, big

    def us_west_2(self) -> None:
        r = "us-west-2"
        ec2 = self.c("ec2", r)
        sweep = self.instance(r, "g6.xlarge", "sweep-1", spot=True, project="vision", owner="bob")
        self.instance(r, "t3.small", "prod-proxy", env="prod")
        self.instance(r, "p5.48xlarge", "h100-box", stop=True, project="vision")
        alloc = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", "sweep-ip"))
        ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=sweep)
        self.count("ec2:elastic-ip")
        ec2.create_volume(AvailabilityZone="us-west-2a", Size=50, TagSpecifications=spec("volume", "scratch"))
        self.count("ec2:volume")
        self.c("sagemaker", r).create_notebook_instance(
            NotebookInstanceName="explore", InstanceType="ml.t3.medium",
            RoleArn="arn:aws:iam::123456789012:role/awswiz-lab-role")
        s3 = self.c("s3", r)
        b = "awswiz-demo-checkpoints"
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": r})
        s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
        for i in range(3):
            s3.put_object(Bucket=b, Key="run-1/model.pt", Body=f"checkpoint {i}".encode())
        s3.put_object(Bucket=b, Key="run-1/old.pt", Body=b"old")
        s3.delete_object(Bucket=b, Key="run-1/old.pt")  # leaves a delete marker
        self.count("s3:bucket")

    def eu_west_1(self) -> None:
        r = "eu-west-1"
        ec2 = self.c("ec2", r)
        net = self.vpc(r, "eu-lab", "10.30.0.0/16", ["eu-west-1a", "eu-west-1b"], "vision")
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.create_nat_gateway(SubnetId=net["subnets"][0], AllocationId=eip,
                               TagSpecifications=spec("natgateway", "eu-lab-nat"))
        self.count("ec2:elastic-ip")
        rds = self.c("rds", r)
        rds.create_db_instance(DBInstanceIdentifier="exp-tracking", DBInstanceClass="db.t3.micro",
                               Engine="postgres", MasterUsername="mlflow", MasterUserPassword="not-a-secret-1",
                               AllocatedStorage=20, Tags=[{"Key": "project", "Value": "vision"}])
        s3 = self.c("s3", r)
        s3.create_bucket(Bucket="awswiz-demo-logs-eu", CreateBucketConfiguration={"LocationConstraint": r})
        self.count("s3:bucket")
        self.c("eks", r).create_cluster(
            name="vision-eks", roleArn="arn:aws:iam::123456789012:role/awswiz-lab-role",
            resourcesVpcConfig={"subnetIds": net["subnets"]})
        self.eu_lab = net

    def global_(self) -> None:
        iam = self.c("iam")
        for user in ("alice", "bob"):
            iam.create_user(UserName=user, Tags=[{"Key": "team", "Value": "research"}])
        self.count("iam:user", 2)
        iam.create_role(RoleName="awswiz-lab-role", AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "lambda.amazonaws.com"}}]}))
        self.count("iam:role")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("handler.py", "def handler(event, context):\n    return 'ok'\n")
        self.c("lambda", "eu-west-1").create_function(
            FunctionName="nightly-report", Runtime="python3.12", Handler="handler.handler",
            Role="arn:aws:iam::123456789012:role/awswiz-lab-role", Code={"ZipFile": buf.getvalue()},
            Tags={"project": "vision"})


def seed(url: str) -> dict[str, int]:
    """Seed the lab against the sandbox at url; returns counts of what it made."""
    return Lab(url).seed()
