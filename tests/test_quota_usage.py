"""quotas.usage() in-process against stubbed EC2 answers, for the AWS rules the sandbox cannot produce
(pending instances, future-dated reservations, Capacity Blocks). The stub checks the exact requests."""

from __future__ import annotations

import datetime as _dt

import boto3
from _awswiz.compute import quotas
from botocore.stub import Stubber


def _types(*specs):
    return {"InstanceTypes": [{"InstanceType": t, "VCpuInfo": {"DefaultVCpus": v}} for t, v in specs]}


def test_usage_as_aws_counts_it():
    ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(ec2)
    # EC2 User Guide, "On-Demand Instance quotas": "Instances that are in the pending, stopping, stopped, and
    # hibernated states do not count": only running instances are asked for
    stub.add_response("describe_instances", {"Reservations": [{"Instances": [
        {"InstanceType": "p5.48xlarge"},                                         # on-demand, fills a reservation
        {"InstanceType": "g5.xlarge", "InstanceLifecycle": "spot"},
        {"InstanceType": "p4d.24xlarge", "InstanceLifecycle": "capacity-block"},  # counted by its Capacity Block
    ]}]}, {"Filters": [{"Name": "instance-state-name", "Values": ["running"]}]})
    # "Reserve compute capacity with EC2 On-Demand Capacity Reservations" (Quotas): assessing, scheduled,
    # pending, active and delayed reservations count toward the On-Demand Instance quota
    stub.add_response("describe_capacity_reservations", {"CapacityReservations": [
        {"CapacityReservationId": "cr-1", "InstanceType": "p5.48xlarge", "State": "active",
         "TotalInstanceCount": 2, "AvailableInstanceCount": 1, "ReservationType": "default"},
        {"CapacityReservationId": "cr-2", "InstanceType": "g5.xlarge", "State": "scheduled",  # future-dated
         "TotalInstanceCount": 0, "AvailableInstanceCount": 0, "CommitmentInfo": {"CommittedInstanceCount": 4}},
        {"CapacityReservationId": "cr-3", "InstanceType": "p4d.24xlarge", "State": "active",
         "TotalInstanceCount": 2, "AvailableInstanceCount": 1, "ReservationType": "capacity-block",
         "EndDate": _dt.datetime(2026, 12, 1, 11, 30, tzinfo=_dt.UTC)},
    ]}, {"Filters": [{"Name": "state", "Values": ["assessing", "scheduled", "pending", "active", "delayed"]}]})
    # "Spot Instance quotas": open requests count until fulfilled (then their instance does)
    stub.add_response("describe_spot_instance_requests", {"SpotInstanceRequests": [
        {"State": "open", "LaunchSpecification": {"InstanceType": "p5e.48xlarge"}}]},
        {"Filters": [{"Name": "state", "Values": ["open"]}]})
    # EC2 API Reference, DescribeInstanceTypes: IncludeUnsupportedInRegion, so a type offered elsewhere is known
    stub.add_response("describe_instance_types", _types(("g5.xlarge", 4), ("p4d.24xlarge", 96), ("p5.48xlarge", 192),
                                                       ("p5e.48xlarge", 192)),
                      {"IncludeUnsupportedInRegion": True,
                       "InstanceTypes": ["g5.xlarge", "p4d.24xlarge", "p5.48xlarge", "p5e.48xlarge"]})
    with stub:
        got = quotas.usage(ec2)
    stub.assert_no_pending_responses()
    q = got["quotas"]
    # P on-demand: the running p5 (192) + the reservation's one unused p5 (192); the p5 in it is not counted twice
    assert q["L-417A185B"] == {"vcpus": 384, "instances": 1, "reserved": 192, "open_spot": 0}
    assert q["L-DB2E81BA"] == {"vcpus": 16, "instances": 0, "reserved": 16, "open_spot": 0}  # 4 committed g5.xlarge
    assert q["L-3819A6DF"] == {"vcpus": 4, "instances": 1, "reserved": 0, "open_spot": 0}
    assert q["L-C4BD4855"] == {"vcpus": 192, "instances": 0, "reserved": 0, "open_spot": 192}
    assert "L-7212CCBC" not in q  # the capacity-block p4d is not a P4 spot or on-demand instance
    assert got["capacity_blocks"] == [{"id": "cr-3", "type": "p4d.24xlarge", "state": "active", "instances": 2,
                                       "end": "2026-12-01T11:30:00+00:00"}]
