"""The sandbox acts in the caller's account (issue 22 item 5): every handler of ours answers in the account whose
credentials sign the request, as moto does; an assumed role's temporary credentials act in the role's account.

AWS rules relied on:
- IAM User Guide, "Providing access to an IAM user in another AWS account that you own": "A user in one account can
  switch to a role in the same or a different account. While using the role, the user can perform only the actions
  and access only the resources permitted by the role"; STS API Reference, AssumeRole: "use temporary security
  credentials to access all the other accounts by assuming roles in those accounts". Organizations User Guide,
  "Accessing a member account that has a management account access role": OrganizationAccountAccessRole.
- EC2 API Reference, DescribeImages: "The images available to you include public images, private images that you
  own, and private images owned by other Amazon Web Services accounts for which you have explicit launch
  permissions" (Amazon's DLAMIs are public: every account sees and launches them).
- EC2 User Guide, "Spot Instance pricing history": prices are per instance type and Availability Zone of a Region;
  no account appears in DescribeSpotPriceHistory's answer (botocore SpotPrice shape).
- botocore ec2 model: CapacityReservation.OwnerId "The ID of the Amazon Web Services account that owns the Capacity
  Reservation"; CreatePlacementGroup GroupName "Must be unique within the scope of your account for the Region".
- Service Quotas: a quota is applied at the account level (botocore ServiceQuota.QuotaAppliedAtLevel ACCOUNT), a
  request names its requesting account (RequestedServiceQuotaChange.Requester).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

LAB = "123456789012"
ROLE = "OrganizationAccountAccessRole"
DLAMI = "/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.8-ubuntu-24.04/latest/ami-id"



def creds(sandbox, account: str) -> dict[str, str]:
    """The environment of a tool run with the member's credentials: the lab's AssumeRole of its
    OrganizationAccountAccessRole (as bench/bench_accounts.py seed() enters a member)."""
    c = sandbox.client("sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                          RoleSessionName="test-sandbox-accounts")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": c["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": c["SecretAccessKey"],
            "AWS_SESSION_TOKEN": c["SessionToken"]}


def client(sandbox, account: str, service: str, region: str = "us-east-1"):
    import boto3

    e = creds(sandbox, account)
    return boto3.client(service, region_name=region, endpoint_url=sandbox.url, aws_access_key_id=e["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"], aws_session_token=e["AWS_SESSION_TOKEN"])


def ids(ec2) -> set[str]:
    return {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}


def test_run_instances_in_a_member_is_the_members(sandbox, members):
    """(a) A member sees Amazon's public DLAMIs and the region's spot prices, and RunInstances with its credentials
    puts the box in its account: its own DescribeInstances lists it, the lab's does not."""
    ada, region = members["fellow-ada"], "eu-west-1"
    mine, lab = client(sandbox, ada, "ec2", region), sandbox.client("ec2", region)
    assert client(sandbox, ada, "sts").get_caller_identity()["Account"] == ada
    image = client(sandbox, ada, "ssm", region).get_parameter(Name=DLAMI)["Parameter"]["Value"]
    seen = mine.describe_images(ImageIds=[image])["Images"]
    assert [(i["ImageId"], i["OwnerId"], i["Public"]) for i in seen] == [(image, "898082745236", True)]
    assert image in {i["ImageId"] for i in mine.describe_images(Owners=["amazon"])["Images"]}
    assert image not in {i["ImageId"] for i in mine.describe_images(Owners=["self"])["Images"]}  # Amazon's, not its
    snap = seen[0]["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]  # Amazon's too (DescribeSnapshots OwnerIds)
    assert snap in {x["SnapshotId"] for x in mine.describe_snapshots(OwnerIds=["amazon"])["Snapshots"]}
    assert snap not in {x["SnapshotId"] for x in mine.describe_snapshots(OwnerIds=["self"])["Snapshots"]}
    prices = {(p["AvailabilityZone"], p["SpotPrice"]) for p in
              mine.describe_spot_price_history(InstanceTypes=["g5.xlarge"])["SpotPriceHistory"]}
    assert prices and prices == {(p["AvailabilityZone"], p["SpotPrice"]) for p in
                                 lab.describe_spot_price_history(InstanceTypes=["g5.xlarge"])["SpotPriceHistory"]}
    before = ids(lab)
    r = mine.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro")
    box = r["Instances"][0]["InstanceId"]
    assert r["OwnerId"] == ada
    assert box in ids(mine) and box not in ids(lab) and ids(lab) == before
    # the sandbox's control call for an OS shutdown (ec2/spot_requests.py) acts in the account it names, by default
    # the caller's (an unsigned call: the lab's, which holds no such box)
    with pytest.raises(urllib.error.HTTPError):
        sandbox.control("ShutdownFromInstance", instance_id=box, region=region)
    off = sandbox.control("ShutdownFromInstance", instance_id=box, region=region, account=ada)
    assert (off["behaviour"], off["state"]) == ("stop", "stopped")  # InstanceInitiatedShutdownBehavior's default
    assert mine.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]["State"]["Name"] == "stopped"


def test_a_members_quota_request_is_its_own(sandbox, run_tool, members):
    """(b) quota_request.py run with a member's credentials asks in the member: the member sees its request and the
    AWS default, the lab neither sees it nor has its own requests shown to the member."""
    ada, region, code = members["fellow-ada"], "us-west-2", "L-1216C47A"
    env = creds(sandbox, ada)
    lab_sq, ada_sq = sandbox.client("service-quotas", region), client(sandbox, ada, "service-quotas", region)
    lab_before = lab_sq.list_requested_service_quota_change_history(ServiceCode="ec2")["RequestedQuotas"]
    assert lab_before  # the lab's seeded requests
    assert ada_sq.list_requested_service_quota_change_history(ServiceCode="ec2")["RequestedQuotas"] == []
    quota = ada_sq.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]
    assert quota["Value"] == 5 and quota["QuotaArn"] == f"arn:aws:servicequotas:{region}:{ada}:ec2/{code}"  # default
    assert lab_sq.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"] == 256  # the lab's raise
    g = {acct: c.get_service_quota(ServiceCode="ec2", QuotaCode="L-DB2E81BA")["Quota"]["Value"] for acct, c in
         ((LAB, sandbox.client("service-quotas")), (ada, client(sandbox, ada, "service-quotas")))}
    assert g == {LAB: 64, ada: 8}  # us-east-1: each its own raise (ada's for her running g5.xlarge, lab/org.py)
    plan = run_tool("quota_request", "--code", code, "--value", "32", "--region", region, env=env)
    assert plan.code == 0, plan.stdout + plan.stderr
    assert plan.json["account"] == ada and plan.json["data"]["plan"][0]["detail"]["from"] == 5
    done = run_tool("quota_request", "--code", code, "--value", "32", "--region", region,
                    "--confirm", plan.json["data"]["confirm"], env=env)
    assert done.code == 0, done.stdout + done.stderr
    rid = done.json["data"]["results"][0]["request_id"]
    asked = ada_sq.list_requested_service_quota_change_history(ServiceCode="ec2")["RequestedQuotas"]
    assert [(q["Id"], q["QuotaCode"], q["DesiredValue"]) for q in asked] == [(rid, code, 32.0)]
    assert json.loads(asked[0]["Requester"])["accountId"] == ada
    lab_after = lab_sq.list_requested_service_quota_change_history(ServiceCode="ec2")["RequestedQuotas"]
    assert rid not in {q["Id"] for q in lab_after} and lab_after == lab_before
    with pytest.raises(lab_sq.exceptions.NoSuchResourceException):
        lab_sq.get_requested_service_quota_change(RequestId=rid)


def test_capacity_reservation_and_placement_group_are_the_members(sandbox, members):
    """(c) A capacity reservation and a placement group made in a member are the member's: OwnerId and ARNs name
    it, the lab does not see them, and the lab may make a group of the same name (unique per account)."""
    grace, region = members["fellow-grace"], "us-east-1"
    mine, lab = client(sandbox, grace, "ec2", region), sandbox.client("ec2", region)
    lab_crs = {c["CapacityReservationId"] for c in lab.describe_capacity_reservations()["CapacityReservations"]}
    cr = mine.create_capacity_reservation(InstanceType="t3.micro", InstancePlatform="Linux/UNIX",
                                          AvailabilityZone="us-east-1a", InstanceCount=1)["CapacityReservation"]
    assert cr["OwnerId"] == grace and f":{grace}:capacity-reservation/" in cr["CapacityReservationArn"]
    assert [c["CapacityReservationId"] for c in mine.describe_capacity_reservations()["CapacityReservations"]] == \
        [cr["CapacityReservationId"]]  # the lab's reservation (train-big-slot) is not the member's
    assert {c["CapacityReservationId"] for c in lab.describe_capacity_reservations()["CapacityReservations"]} == lab_crs
    with pytest.raises(lab.exceptions.ClientError) as e:
        lab.describe_capacity_reservations(CapacityReservationIds=[cr["CapacityReservationId"]])
    assert e.value.response["Error"]["Code"] == "InvalidCapacityReservationId.NotFound"

    name = "acct-pg"
    mine.create_placement_group(GroupName=name, Strategy="cluster")
    group = mine.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]
    assert group["GroupArn"] == f"arn:aws:ec2:{region}:{grace}:placement-group/{name}"
    assert name not in {g["GroupName"] for g in lab.describe_placement_groups()["PlacementGroups"]}
    lab.create_placement_group(GroupName=name, Strategy="spread")  # no Duplicate: the name is the member's
    assert lab.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]["Strategy"] == "spread"
    assert mine.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]["Strategy"] == "cluster"
    lab.delete_placement_group(GroupName=name)
    assert [g["GroupName"] for g in mine.describe_placement_groups()["PlacementGroups"]] == [name]


def test_alarm_action_and_instance_profile_tags_in_a_member(sandbox, members):
    """An alarm's stop action stops the instance of the alarm's own account (CloudWatch User Guide, "Create alarms
    to stop, terminate, reboot, or recover an EC2 instance"); an instance profile's tags are read in the caller's
    account (IAM API Reference, ListInstanceProfileTags)."""
    grace, region = members["fellow-grace"], "eu-west-1"
    ec2 = client(sandbox, grace, "ec2", region)
    image = client(sandbox, grace, "ssm", region).get_parameter(Name=DLAMI)["Parameter"]["Value"]
    box = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1,
                            InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    client(sandbox, grace, "cloudwatch", region).put_metric_alarm(
        AlarmName="acct-idle", MetricName="CPUUtilization", Namespace="AWS/EC2", Statistic="Average", Period=300,
        EvaluationPeriods=1, Threshold=5, ComparisonOperator="LessThanThreshold",
        Dimensions=[{"Name": "InstanceId", "Value": box}], AlarmActions=[f"arn:aws:automate:{region}:ec2:stop"])
    fired = sandbox.control("FireAlarm", alarm_name="acct-idle", region=region, account=grace)
    assert [(a.get("instance_id"), a.get("state")) for a in fired["actions"]] == [(box, "stopped")]
    state = ec2.describe_instances(InstanceIds=[box])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "stopped"

    iam = client(sandbox, grace, "iam")
    iam.create_instance_profile(InstanceProfileName="acct-profile", Tags=[{"Key": "team", "Value": "grace"}])
    assert iam.list_instance_profile_tags(InstanceProfileName="acct-profile")["Tags"] == [
        {"Key": "team", "Value": "grace"}]
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        sandbox.client("iam").list_instance_profile_tags(InstanceProfileName="acct-profile")


def test_a_box_launched_in_a_member_is_stopped_there(sandbox, run_tool, members, state_dir):
    """(d) launch.py with a member's credentials launches the newest PyTorch DLAMI there; from the lab,
    instance_status --accounts org lists it under the member, and stop.py --accounts MEMBER --id plans and confirms
    the stop in the member's account (the plan and the audit line name it)."""
    grace, region = members["fellow-grace"], "us-west-2"
    env = creds(sandbox, grace)
    args = ("launch", "--type", "t3.micro", "--name", "acct-box", "--region", region, "--ssh-cidr", "198.51.100.7/32",
            "--no-wait")
    plan = run_tool(*args, env=env)
    assert plan.code == 0, plan.stdout + plan.stderr
    assert plan.json["account"] == grace
    image = client(sandbox, grace, "ssm", region).get_parameter(Name=DLAMI)["Parameter"]["Value"]
    assert plan.json["data"]["plan"][0]["detail"]["ami"]["id"] == image  # Amazon's, seen from the member
    done = run_tool(*args, "--confirm", plan.json["data"]["confirm"], env=env)
    assert done.code == 0, done.stdout + done.stderr
    [box] = done.json["data"]["results"][0]["instances"]
    assert box in ids(client(sandbox, grace, "ec2", region)) and box not in ids(sandbox.client("ec2", region))

    status = run_tool("instance_status", "--accounts", "org", "--region", region, "--no-check-ssh")
    assert status.code == 0, status.stdout + status.stderr
    assert [(i["account"], i["state"]) for i in status.json["data"]["instances"] if i["id"] == box] == \
        [(grace, "running")]

    stop = ("stop", "--accounts", grace, "--id", box, "--region", region)
    p = run_tool(*stop)
    assert p.code == 0, p.stdout + p.stderr
    assert [(a["account"], a["id"], a["action"]) for a in p.json["data"]["plan"]] == [(grace, box, "stop")]
    token = p.json["data"]["confirm"]
    s = run_tool(*stop, "--confirm", token, "--wait")
    assert s.code == 0, s.stdout + s.stderr
    assert [(x["account"], x["id"], x["state"]) for x in s.json["data"]["results"]] == [(grace, box, "stopped")]
    got = client(sandbox, grace, "ec2", region).describe_instances(InstanceIds=[box])["Reservations"][0]
    assert got["Instances"][0]["State"]["Name"] == "stopped"
    lines = [json.loads(x) for x in (state_dir / "audit.jsonl").read_text().splitlines()]
    sent = [(x["account"], x["resources"]) for x in lines
            if x.get("operation") == "StopInstances" and x.get("phase") == "sent" and x.get("confirm") == token]
    assert sent == [(grace, [box])]
