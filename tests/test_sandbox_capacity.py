"""The sandbox answers as AWS does for what quota_check relies on: offered instance types per region, On-Demand
Capacity Reservations (moto 5.2 has none: sandbox/ec2/capacity_reservations.py), open spot requests, and a lab whose
instances are of types offered where they run."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

REGION = "ap-south-1"  # this file's own region for reservations


def test_describe_instance_types_lists_only_offered_types_unless_asked(sandbox):
    # EC2 API Reference, DescribeInstanceTypes, IncludeUnsupportedInRegion: "If true, the response includes
    # instance types that are not supported in the current Region, in addition to the supported types.
    # Default: false"
    ec2 = sandbox.client("ec2", "us-east-1")
    names = {t["InstanceType"] for p in ec2.get_paginator("describe_instance_types").paginate()
             for t in p["InstanceTypes"]}
    offered = {o["InstanceType"] for p in ec2.get_paginator("describe_instance_type_offerings").paginate()
               for o in p["InstanceTypeOfferings"]}
    assert names == offered and "p5e.48xlarge" not in names
    everything = {t["InstanceType"] for p in ec2.get_paginator("describe_instance_types").paginate(
        IncludeUnsupportedInRegion=True) for t in p["InstanceTypes"]}
    assert "p5e.48xlarge" in everything and names < everything
    with pytest.raises(ClientError) as exc:
        ec2.describe_instance_types(InstanceTypes=["p5e.48xlarge"])
    assert exc.value.response["Error"]["Code"] == "InvalidInstanceType"
    got = ec2.describe_instance_types(InstanceTypes=["p5e.48xlarge"], IncludeUnsupportedInRegion=True)
    assert got["InstanceTypes"][0]["VCpuInfo"]["DefaultVCpus"] == 192


def test_lab_instances_run_where_their_type_is_offered(sandbox):
    # the lab must not run what its own offerings say the region does not offer (issue 8, item 10)
    for region in ("us-east-1", "us-west-2", "eu-west-1"):
        ec2 = sandbox.client("ec2", region)
        running = {i["InstanceType"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
        offered = {o["InstanceType"] for p in ec2.get_paginator("describe_instance_type_offerings").paginate()
                   for o in p["InstanceTypeOfferings"]}
        assert running <= offered, (region, running - offered)


def test_capacity_reservations_fill_with_matching_running_instances(sandbox):
    # "Reserve compute capacity with EC2 On-Demand Capacity Reservations": an open reservation is used by running
    # instances with matching attributes; cancelled ones no longer count
    ec2 = sandbox.client("ec2", REGION)
    az = f"{REGION}a"
    cr = ec2.create_capacity_reservation(InstanceType="c5.xlarge", InstancePlatform="Linux/UNIX",
                                         AvailabilityZone=az, InstanceCount=3)["CapacityReservation"]
    assert (cr["State"], cr["TotalInstanceCount"], cr["AvailableInstanceCount"]) == ("active", 3, 3)
    image = ec2.register_image(Name="cr-test", Architecture="x86_64", RootDeviceName="/dev/sda1",
                               VirtualizationType="hvm")["ImageId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=image, InstanceType="c5.xlarge", MinCount=2,
                                                      MaxCount=2, Placement={"AvailabilityZone": az})["Instances"]]
    got = ec2.describe_capacity_reservations(CapacityReservationIds=[cr["CapacityReservationId"]])
    assert got["CapacityReservations"][0]["AvailableInstanceCount"] == 1
    ec2.stop_instances(InstanceIds=ids[:1])
    got = ec2.describe_capacity_reservations(Filters=[{"Name": "instance-type", "Values": ["c5.xlarge"]}])
    assert got["CapacityReservations"][0]["AvailableInstanceCount"] == 2
    ec2.cancel_capacity_reservation(CapacityReservationId=cr["CapacityReservationId"])
    active = ec2.describe_capacity_reservations(Filters=[{"Name": "state", "Values": ["active"]}])
    assert cr["CapacityReservationId"] not in {c["CapacityReservationId"] for c in active["CapacityReservations"]}


@pytest.mark.parametrize("kw, code", [
    ({"InstanceType": "p5e.48xlarge"}, "Unsupported"),    # not offered in that Availability Zone
    ({"InstanceCount": 0}, "InvalidParameterValue"),
    ({"InstancePlatform": "Plan 9"}, "InvalidParameterValue"),
])
def test_capacity_reservation_refused_like_aws(sandbox, kw, code):
    ec2 = sandbox.client("ec2", REGION)
    args = {"InstanceType": "c5.xlarge", "InstancePlatform": "Linux/UNIX", "AvailabilityZone": f"{REGION}a",
            "InstanceCount": 1, **kw}
    before = ec2.describe_capacity_reservations()["CapacityReservations"]
    with pytest.raises(ClientError) as exc:
        ec2.create_capacity_reservation(**args)
    assert exc.value.response["Error"]["Code"] == code
    assert ec2.describe_capacity_reservations()["CapacityReservations"] == before


def test_lab_open_spot_request_has_no_instance(sandbox):
    # "Spot Instance quotas": an open request has no instance yet and counts on its own
    ec2 = sandbox.client("ec2", "us-east-1")
    reqs = ec2.describe_spot_instance_requests(Filters=[{"Name": "state", "Values": ["open"]}])["SpotInstanceRequests"]
    assert len(reqs) == 1 and "InstanceId" not in reqs[0]
    assert reqs[0]["Status"]["Code"] == "capacity-not-available"
