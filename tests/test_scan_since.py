"""scan --since (created or launched in a window) and scan --tags (the tags in use): issue 25 item 4.

Every type whose list call's answer holds a creation time carries it as `created` (botocore's service models, cited
in each file of inventory/types/); no test depends on the date: windows are far in the past or the future, or the
resources' creation times are read from the sandbox's own answers."""

from __future__ import annotations

# the types whose list call gives a creation time (botocore models: Instance.LaunchTime, Volume.CreateTime,
# Snapshot.StartTime, Image.CreationDate, KeyPairInfo.CreateTime, NatGateway.CreateTime,
# VpcEndpoint.CreationTimestamp, Bucket.CreationDate, User/Role.CreateDate, LoadBalancer.CreatedTime,
# DBInstance.InstanceCreateTime, NotebookInstanceSummary.CreationTime)
DATED = {"ec2:instance", "ec2:volume", "ec2:snapshot", "ec2:image", "ec2:key-pair", "vpc:nat-gateway", "vpc:endpoint",
         "s3:bucket", "iam:user", "iam:role", "elb:load-balancer", "rds:db-instance", "sagemaker:notebook"}


def test_the_table_names_the_creation_time_created_where_the_api_gives_one():
    from _awswiz.inventory.table import rows

    assert {r.type for r in rows() if "created" in r.fields} == DATED


def test_scan_records_carry_created_and_keep_the_fields_agents_read(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    recs = r.json["data"]["resources"]
    assert {x["type"] for x in recs} & DATED >= {"ec2:instance", "ec2:volume", "ec2:snapshot", "vpc:endpoint",
                                                 "elb:load-balancer", "iam:user"}
    assert all(x.get("created") for x in recs if x["type"] in DATED)
    assert not [x for x in recs if x["type"] not in DATED and "created" in x]
    for box in (x for x in recs if x["type"] == "ec2:instance"):
        assert box["launch_time"] == box["created"]
    for snap in (x for x in recs if x["type"] == "ec2:snapshot"):
        assert snap["started"] == snap["created"]
