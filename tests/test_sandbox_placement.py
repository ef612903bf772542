"""The sandbox answers placement groups as AWS does (moto 5.2 has none: sandbox/ec2/placement_groups.py), and keeps
an EFA interface asked at launch."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

REGION = "ap-northeast-1"  # this file's own region


def _code(exc) -> str:
    return exc.value.response["Error"]["Code"]


def _image(ec2) -> str:
    return ec2.register_image(Name="pg-test", Architecture="x86_64", RootDeviceName="/dev/sda1",
                              VirtualizationType="hvm")["ImageId"]


def test_placement_group_create_describe_delete(sandbox):
    # EC2 API Reference CreatePlacementGroup / DescribePlacementGroups / DeletePlacementGroup; User Guide "Placement
    # group rules and limitations": "The name that you specify for a placement group must be unique within your AWS
    # account for the Region" (AWS answers InvalidPlacementGroup.Duplicate, as FDio/csit#179 quotes it)
    ec2 = sandbox.client("ec2", REGION)
    got = ec2.create_placement_group(GroupName="pg-a", Strategy="cluster", TagSpecifications=[
        {"ResourceType": "placement-group", "Tags": [{"Key": "awswiz:managed", "Value": "true"}]}])["PlacementGroup"]
    assert (got["GroupName"], got["Strategy"], got["State"]) == ("pg-a", "cluster", "available")
    assert got["GroupId"].startswith("pg-") and got["Tags"] == [{"Key": "awswiz:managed", "Value": "true"}]
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(GroupName="pg-a", Strategy="cluster")
    assert _code(exc) == "InvalidPlacementGroup.Duplicate"
    with pytest.raises(ClientError) as exc:
        ec2.create_placement_group(GroupName="pg-b", Strategy="tight")
    assert _code(exc) == "InvalidParameterValue"
    listed = ec2.describe_placement_groups(Filters=[{"Name": "tag:awswiz:managed", "Values": ["true"]}])
    assert [g["GroupName"] for g in listed["PlacementGroups"]] == ["pg-a"]
    assert ec2.describe_placement_groups(GroupNames=["pg-a"])["PlacementGroups"][0]["GroupId"] == got["GroupId"]
    with pytest.raises(ClientError) as exc:
        ec2.describe_placement_groups(GroupNames=["pg-nope"])
    assert _code(exc) == "InvalidPlacementGroup.Unknown"
    ec2.delete_placement_group(GroupName="pg-a")
    assert ec2.describe_placement_groups()["PlacementGroups"] == []
    with pytest.raises(ClientError) as exc:
        ec2.delete_placement_group(GroupName="pg-a")
    assert _code(exc) == "InvalidPlacementGroup.Unknown"


def test_cluster_group_holds_one_az_and_is_deleted_only_empty(sandbox):
    # User Guide: "A cluster placement group is a logical grouping of instances within a single Availability Zone";
    # a launch into it in another AZ: InvalidPlacementGroup.InUse "... is in use in another availability zone"
    # (AWS's answer as bcbio/bcbio-nextgen-vm#45 quotes it). "Delete a placement group": "Before you can delete a
    # placement group, it must contain no instances."
    ec2 = sandbox.client("ec2", REGION)
    image = _image(ec2)
    ec2.create_placement_group(GroupName="pg-one-az", Strategy="cluster")
    got = ec2.run_instances(ImageId=image, InstanceType="c5n.18xlarge", MinCount=2, MaxCount=2,
                            Placement={"GroupName": "pg-one-az", "AvailabilityZone": f"{REGION}a"})["Instances"]
    ids = [i["InstanceId"] for i in got]
    seen = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"]
    assert {i["Placement"]["GroupName"] for i in seen} == {"pg-one-az"}
    before = len([i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]])
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=image, InstanceType="c5n.18xlarge", MinCount=1, MaxCount=1,
                          Placement={"GroupName": "pg-one-az", "AvailabilityZone": f"{REGION}c"})
    assert _code(exc) == "InvalidPlacementGroup.InUse" and f"{REGION}a" in str(exc.value)
    assert len([i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]]) == before
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=image, InstanceType="c5n.18xlarge", MinCount=1, MaxCount=1,
                          Placement={"GroupName": "pg-never-made"})
    assert _code(exc) == "InvalidPlacementGroup.Unknown"
    with pytest.raises(ClientError) as exc:
        ec2.delete_placement_group(GroupName="pg-one-az")
    assert _code(exc) == "InvalidPlacementGroup.InUse"
    ec2.terminate_instances(InstanceIds=ids)
    ec2.delete_placement_group(GroupName="pg-one-az")


def test_efa_interface_kept_as_asked_and_refused_where_unsupported(sandbox):
    # User Guide "Elastic Fabric Adapter": EFA on supported types only (DescribeInstanceTypes
    # NetworkInfo.EfaSupported); RunInstances NetworkInterfaces[].InterfaceType "efa" (botocore
    # InstanceNetworkInterfaceSpecification)
    ec2 = sandbox.client("ec2", REGION)
    image = _image(ec2)
    info = ec2.describe_instance_types(InstanceTypes=["c5n.18xlarge", "m5.large"])["InstanceTypes"]
    efa = {t["InstanceType"]: t["NetworkInfo"]["EfaSupported"] for t in info}
    assert efa == {"c5n.18xlarge": True, "m5.large": False}
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    nic = [{"DeviceIndex": 0, "SubnetId": subnet, "InterfaceType": "efa"}]
    got = ec2.run_instances(ImageId=image, InstanceType="c5n.18xlarge", MinCount=1, MaxCount=1,
                            NetworkInterfaces=nic)["Instances"][0]
    seen = ec2.describe_instances(InstanceIds=[got["InstanceId"]])["Reservations"][0]["Instances"][0]
    assert [n["InterfaceType"] for n in seen["NetworkInterfaces"]] == ["efa"]
    with pytest.raises(ClientError) as exc:
        ec2.run_instances(ImageId=image, InstanceType="m5.large", MinCount=1, MaxCount=1, NetworkInterfaces=nic)
    assert _code(exc) == "InvalidParameterCombination"
    ec2.terminate_instances(InstanceIds=[got["InstanceId"]])
