"""The security part of the demo lab (issue 12): in eu-central-1 and IAM, a few resources of each kind that
security.py must report, each beside a clean counterpart it must not. Called from demo.py's seed.

Bad (fires)                                   Good (quiet)
sec-ssh-open 22, sec-rdp-open 3389 (::/0),    sec-ssh-office 22 from one /32, sec-web 443 from anywhere,
  sec-db-open 5432, sec-all-open all ports    sec-ping: all ICMP, ICMPv6 (FromPort -1) and ESP (no ports)
sec-exposed: public IP behind sec-rdp-open,   sec-hardened: public IP behind sec-ssh-office, IMDSv2 required
  IMDSv1 allowed
launch template sec-lt-v1 (IMDSv1)            sec-lt-v2 (HttpTokens required)
volume sec-plain, its snapshot (made public)  volume sec-encrypted, its snapshot (private)
AMI sec-public-ami (launch permission all)    sec-private-ami
EBS default encryption off elsewhere          on in eu-central-1
CloudTrail and GuardDuty off elsewhere        trail sec-trail logging and a detector in eu-central-1
bucket awswiz-sec-public-acl (public-read),   awswiz-sec-private (block public access on),
  awswiz-sec-public-policy (Principal *),     awswiz-sec-vpce-only (Principal * from one fixed VPC endpoint)
  awswiz-sec-public-tls (Principal *, only
  an aws:SecureTransport condition)
user sec-console-nomfa (password, no MFA)     sec-console-mfa (password and a virtual MFA device)
user sec-old-key: a key made 200 days ago     sec-fresh-key: a key made today
policy sec-admin-star (* on *)                sec-read-logs (logs:Get* on one log group)
inline sec-inline-admin (* on *) of a user     inline sec-inline-read (s3:GetObject on one bucket)
role sec-open-trust (AWS "*")                 sec-partner-trust (one named account)

What AWS does by itself and moto does not is done here for every lab bucket: since 2023 every bucket has
SSE-S3 default encryption (Amazon S3 User Guide: "Using server-side encryption with Amazon S3 managed keys
(SSE-S3)": the base level for every bucket since January 5, 2023) and new buckets have all four Block
Public Access settings on and ACLs disabled (AWS What's New, December 2022: "Amazon S3 will automatically
enable S3 Block Public Access and disable access control lists for all new buckets starting in April
2023"), so the public buckets first switch their block off and ACLs on, as a user would have to in AWS.
Buckets that other tests create later get neither (a moto gap the handler layer cannot close: it answers
query and JSON protocols, and S3 is REST). The account-level
block is left off (the AWS default for an account), so s3-account-pab-off fires.
moto's API cannot date an access key, so the old key is dated in moto's backend (this runs inside the
sandbox server process), as lab/gpu.py dates its images.
"""

from __future__ import annotations

import datetime as _dt
import json

from ..handlers import LAB

REGION = "eu-central-1"
ACCOUNT = LAB  # the lab's seed data: its own account
WORLD4, WORLD6 = [{"CidrIp": "0.0.0.0/0"}], [{"CidrIpv6": "::/0"}]


def _tags(kind: str, name: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": name},
                                            {"Key": "awswiz:lab", "Value": "security"}]}]


def _sg(ec2, name: str, port: int | None, v4=None, v6=None) -> str:
    gid = ec2.create_security_group(GroupName=name, Description=name, TagSpecifications=_tags("security-group", name))[
        "GroupId"]
    rule = {"IpProtocol": "-1"} if port is None else {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
        {**rule, **({"IpRanges": v4} if v4 else {}), **({"Ipv6Ranges": v6} if v6 else {})}])
    return gid


def seed(lab) -> None:
    ec2 = lab.c("ec2", REGION)
    _network(lab, ec2)
    _storage(lab, ec2)
    _logging(lab)
    _buckets(lab)
    _iam(lab)


def _network(lab, ec2) -> None:
    for name, port, v4, v6 in (("sec-ssh-open", 22, WORLD4, None), ("sec-rdp-open", 3389, None, WORLD6),
                               ("sec-db-open", 5432, WORLD4, None), ("sec-all-open", None, WORLD4, None),
                               ("sec-ssh-office", 22, [{"CidrIp": "203.0.113.10/32"}], None),
                               ("sec-web", 443, WORLD4, WORLD6)):
        lab.sec = getattr(lab, "sec", {})
        lab.sec[name] = _sg(ec2, name, port, v4, v6)
    # "All ICMP - IPv4" / "All ICMP - IPv6" as the console writes them: FromPort -1 is every ICMP type, ToPort -1
    # every code (botocore ec2 IpPermission.FromPort/ToPort). Very common, and not an open port; and a protocol
    # that has no ports at all.
    lab.sec["sec-ping"] = ec2.create_security_group(GroupName="sec-ping", Description="sec-ping",
                                                    TagSpecifications=_tags("security-group", "sec-ping"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=lab.sec["sec-ping"], IpPermissions=[
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": WORLD4},
        {"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": WORLD6},
        {"IpProtocol": "50", "IpRanges": WORLD4}])  # IPsec ESP: no ports (ec2/security_groups.py)
    image = lab.image(REGION)
    for name, sg, tokens in (("sec-exposed", "sec-rdp-open", "optional"),
                             ("sec-hardened", "sec-ssh-office", "required")):
        ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro",
                          SecurityGroupIds=[lab.sec[sg]], TagSpecifications=_tags("instance", name),
                          MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"})
    ec2.create_launch_template(LaunchTemplateName="sec-lt-v1", LaunchTemplateData={"InstanceType": "t3.micro"})
    ec2.create_launch_template(LaunchTemplateName="sec-lt-v2", LaunchTemplateData={
        "InstanceType": "t3.micro", "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"}})
    lab.count("security:bad", 7)
    lab.count("security:good", 6)


def _storage(lab, ec2) -> None:
    az = f"{REGION}a"
    plain = ec2.create_volume(AvailabilityZone=az, Size=10, TagSpecifications=_tags("volume", "sec-plain"))["VolumeId"]
    enc = ec2.create_volume(AvailabilityZone=az, Size=10, Encrypted=True,
                            TagSpecifications=_tags("volume", "sec-encrypted"))["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=plain, TagSpecifications=_tags("snapshot", "sec-plain-snap"))["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"])
    ec2.create_snapshot(VolumeId=enc, TagSpecifications=_tags("snapshot", "sec-encrypted-snap"))
    for name, public in (("sec-public-ami", True), ("sec-private-ami", False)):
        img = ec2.register_image(Name=name, Architecture="x86_64", RootDeviceName="/dev/sda1", VirtualizationType="hvm",
                                 BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]
        if public:
            ec2.modify_image_attribute(ImageId=img, LaunchPermission={"Add": [{"Group": "all"}]})
    ec2.enable_ebs_encryption_by_default()
    lab.count("security:bad", 4)
    lab.count("security:good", 4)


def _logging(lab) -> None:
    s3 = lab.c("s3", REGION)
    bucket = "awswiz-sec-trail-logs"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    ct = lab.c("cloudtrail", REGION)
    ct.create_trail(Name="sec-trail", S3BucketName=bucket, IsMultiRegionTrail=False)
    ct.start_logging(Name="sec-trail")
    lab.c("guardduty", REGION).create_detector(Enable=True)
    lab.count("security:good", 2)


def _aws_defaults(s3, bucket: str) -> None:
    """What AWS sets on every new bucket (and moto does not): SSE-S3 and the four public access blocks on."""
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]})
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        k: True for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")})


def _buckets(lab) -> None:
    s3 = lab.c("s3", REGION)
    for b in ("awswiz-sec-public-acl", "awswiz-sec-public-policy", "awswiz-sec-private", "awswiz-sec-public-tls",
              "awswiz-sec-vpce-only"):
        s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": REGION})
    for b in [x["Name"] for x in lab.c("s3").list_buckets()["Buckets"]]:
        _aws_defaults(lab.c("s3", REGION), b)
    s3.delete_public_access_block(Bucket="awswiz-sec-public-acl")
    s3.put_bucket_ownership_controls(Bucket="awswiz-sec-public-acl",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.put_bucket_acl(Bucket="awswiz-sec-public-acl", ACL="public-read")
    s3.delete_public_access_block(Bucket="awswiz-sec-public-policy")
    s3.put_bucket_policy(Bucket="awswiz-sec-public-policy", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                                "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::awswiz-sec-public-policy/*"}]}))
    # A condition that narrows nothing (HTTPS only) leaves a bucket public; one that pins a fixed VPC endpoint does
    # not (Amazon S3 User Guide, Blocking public access, "The meaning of 'public'").
    for b, cond in (("awswiz-sec-public-tls", {"Bool": {"aws:SecureTransport": "true"}}),
                    ("awswiz-sec-vpce-only", {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}})):
        s3.delete_public_access_block(Bucket=b)
        s3.put_bucket_policy(Bucket=b, Policy=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": "*",
                                                    "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*",
                                                    "Condition": cond}]}))
    lab.count("security:bad", 3)
    lab.count("security:good", 2)


def _iam(lab) -> None:
    iam = lab.c("iam")
    for user in ("sec-console-nomfa", "sec-console-mfa", "sec-old-key", "sec-fresh-key"):
        iam.create_user(UserName=user)
    for user in ("sec-console-nomfa", "sec-console-mfa"):
        iam.create_login_profile(UserName=user, Password="Lab-only-not-a-secret-1")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="sec-console-mfa")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="sec-console-mfa", SerialNumber=serial, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    old = iam.create_access_key(UserName="sec-old-key")["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName="sec-fresh-key")
    _backdate_key("sec-old-key", old, days=200)
    iam.create_policy(PolicyName="sec-admin-star", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    iam.create_policy(PolicyName="sec-read-logs", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:Get*",
                                                "Resource": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:lab:*"}]}))
    star = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    iam.put_user_policy(UserName="sec-console-nomfa", PolicyName="sec-inline-admin", PolicyDocument=star)
    iam.put_user_policy(UserName="sec-console-mfa", PolicyName="sec-inline-read", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                "Resource": "arn:aws:s3:::awswiz-sec-private/*"}]}))
    for role, principal in (("sec-open-trust", {"AWS": "*"}),
                            ("sec-partner-trust", {"AWS": "arn:aws:iam::210987654321:root"})):
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": principal}]}))
    lab.count("security:bad", 6)
    lab.count("security:good", 6)


def _backdate_key(user: str, key_id: str, days: int) -> None:
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT]["aws"]
    for key in backend.users[user].access_keys:
        if key.access_key_id == key_id:
            key.create_date = key.create_date - _dt.timedelta(days=days)
