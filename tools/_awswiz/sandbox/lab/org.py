"""The lab's Organization (issue 22): the lab account is its management account, and two fellows are its members,
created by Organizations (so each has the OrganizationAccountAccessRole that trusts the management account: moto
creates it as AWS does, "AWS Organizations automatically creates an IAM role named OrganizationAccountAccessRole in
the new member account": Organizations User Guide, "Accessing a member account that has a management account access
role") and each holding a few resources of its own, made with that role's credentials (moto acts in the account the
assumed role belongs to: moto docs, Multi-Account support):

- fellow-ada:   g5.xlarge "ada-train" running in us-east-1 (a GPU box: scan's gpu-running), her "Running On-Demand
  G and VT instances" quota raised to 8 vCPUs there (AWS would not run the box on the default 0)
- fellow-grace: a 200 GiB volume "grace-old-data" in us-west-2, attached to nothing (waste's unattached-volume)

The member ids are drawn from moto's random source seeded here, so they are the same at every seeding (MEMBER_SEED).
"""

from __future__ import annotations

import boto3

from .. import handlers as H
from .tags import spec

MEMBER_SEED = 22
MEMBERS = (("fellow-ada", "ada@lab.example"), ("fellow-grace", "grace@lab.example"))
ROLE = "OrganizationAccountAccessRole"


def seed(lab) -> dict[str, str]:
    """The Organization and its members; returns {name: account id}."""
    from moto.moto_api._internal import mock_random

    org = lab.c("organizations")
    org.create_organization(FeatureSet="ALL")
    saved = mock_random.getstate()
    mock_random.seed(MEMBER_SEED)
    try:
        ids = {name: org.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
               for name, email in MEMBERS}
    finally:
        mock_random.setstate(saved)
    lab.count("organizations:account", len(ids))
    ada, grace = _member(lab, ids["fellow-ada"]), _member(lab, ids["fellow-grace"])
    ec2 = ada("ec2", "us-east-1")
    image = ec2.register_image(Name="fellow-base", Architecture="x86_64", RootDeviceName="/dev/sda1",
                               VirtualizationType="hvm",
                               BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 8}}])["ImageId"]
    ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
                      TagSpecifications=spec("instance", "ada-train", project="protein", owner="ada"))
    with H.LOCK:  # an applied raise has no API (a request stays PENDING): into the store (quotas/service_quotas.py)
        H.own(H.STATE, "quotas", of=ids["fellow-ada"]).setdefault("applied", {})["us-east-1"] = {"L-DB2E81BA": 8}
    grace("ec2", "us-west-2").create_volume(AvailabilityZone="us-west-2a", Size=200, VolumeType="gp3",
                                            TagSpecifications=spec("volume", "grace-old-data", owner="grace"))
    return ids


def _member(lab, account: str):
    """client(service, region) in a member account, through its OrganizationAccountAccessRole."""
    creds = lab.c("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                     RoleSessionName="awswiz-lab")["Credentials"]
    session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                            aws_session_token=creds["SessionToken"])

    def client(service: str, region: str):
        return session.client(service, region_name=region, endpoint_url=lab.url, config=lab.config)

    return client
