"""scan --tag reaches the tags that list calls leave out: load balancers (DescribeTags, 20 ARNs a call)
and IAM users and roles (one ListUserTags/ListRoleTags each), fetched only when a tag filter asks."""

from __future__ import annotations


def actions(sandbox, mark: int) -> list[str]:
    return [c["action"] for c in sandbox.calls(mark)]


def test_load_balancer_tags_are_fetched_for_a_tag_filter_in_one_batch(sandbox, run_tool):
    # DescribeLoadBalancers carries no tags; DescribeTags takes up to 20 ARNs a call (Elastic Load
    # Balancing API Reference, DescribeTags): one call for the lab's load balancer.
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1", "--service", "elb", "--tag", "project=llm")
    assert r.code == 0, r.stderr
    recs = r.json["data"]["resources"]
    assert {x.get("name") for x in recs} == {"research-alb"}
    assert recs[0]["tags"]["project"] == "llm"
    assert actions(sandbox, mark).count("DescribeTags") == 1


def test_iam_tags_are_fetched_for_a_tag_filter(sandbox, run_tool):
    # ListUsers/ListRoles "does not return ... Tags" (IAM API Reference, ListRoles; ListUsers): one
    # ListUserTags per user, one ListRoleTags per role.
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1", "--service", "iam", "--tag", "team=research")
    assert r.code == 0, r.stderr
    users = {x["id"] for x in r.json["data"]["resources"] if x["type"] == "iam:user"}
    assert {"alice", "bob"} <= users
    seen = actions(sandbox, mark)
    assert seen.count("ListUserTags") >= 2 and "ListRoleTags" in seen


def test_no_tag_calls_without_a_tag_filter(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1", "--service", "elb,iam")
    assert r.code == 0, r.stderr
    assert {"research-alb", "alice"} <= {x.get("name") for x in r.json["data"]["resources"]}
    assert not {"DescribeTags", "ListUserTags", "ListRoleTags"} & set(actions(sandbox, mark))


def is_get_bucket_tagging(call: dict) -> bool:
    """S3 speaks REST: GetBucketTagging is GET /<bucket>?tagging (the sandbox logs no action name for it)."""
    return call["method"] == "GET" and call["query"].split("=")[0] == "tagging"


def test_bucket_tags_come_from_one_tagging_call_per_bucket_region(sandbox, run_tool):
    # GetResources lists "all the tagged or previously tagged resources that are located in the specified
    # Region" (Resource Groups Tagging API Reference, GetResources), buckets among them; ListBuckets gives each
    # bucket's BucketRegion (Amazon S3 API Reference, ListBuckets). So no GetBucketTagging per bucket, and
    # nothing asked about the buckets of regions outside the scan.
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1,eu-west-1", "--service", "s3")
    assert r.code == 0, r.stderr
    recs = {x["id"]: x for x in r.json["data"]["resources"]}
    assert recs["awswiz-demo-datasets"]["tags"] == {"project": "llm"}
    assert recs["awswiz-demo-datasets"]["region"] == "us-east-1"
    assert recs["awswiz-demo-logs-eu"].get("tags", {}) == {} and recs["awswiz-demo-logs-eu"]["region"] == "eu-west-1"
    assert {x["region"] for x in recs.values()} == {"us-east-1", "eu-west-1"}
    calls = sandbox.calls(mark)
    assert not [c for c in calls if is_get_bucket_tagging(c)]
    assert sorted(c["region"] for c in calls if c["action"] == "GetResources") == ["eu-west-1", "us-east-1"]


def test_bucket_tags_without_the_tagging_api_are_asked_per_bucket(sandbox, run_tool, faulty):
    # a caller whose policy allows s3:GetBucketTagging but not tag:GetResources still sees every bucket's tags
    url, _ = faulty(fail={"GetResources": ("AccessDeniedException", 400)})
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1,eu-west-1", "--service", "s3", endpoint=url)
    assert r.code == 0, r.stderr
    recs = {x["id"]: x for x in r.json["data"]["resources"]}
    assert recs["awswiz-demo-datasets"]["tags"] == {"project": "llm"}
    assert recs["awswiz-demo-logs-eu"].get("tags", {}) == {}
    calls = sandbox.calls(mark)
    assert sorted(c["path"].strip("/") for c in calls if is_get_bucket_tagging(c)) == sorted(recs)
    assert "GetResources" not in [c["action"] for c in calls]


def test_the_sandbox_pages_list_buckets_and_names_regions_as_aws_does(sandbox):
    # Amazon S3 API Reference, ListBuckets: BucketRegion "is included in the response" only "if the request
    # contains at least one valid parameter"; MaxBuckets is 1..10000; more buckets than a page give a
    # ContinuationToken. moto alone cuts the list at MaxBuckets with no token and names no region.
    s3 = sandbox.client("s3")
    plain = s3.list_buckets()["Buckets"]
    assert plain and all("BucketRegion" not in b for b in plain)
    paged = [b for page in s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": 2})
             for b in page["Buckets"]]
    assert sorted(b["Name"] for b in paged) == sorted(b["Name"] for b in plain)  # every bucket, over pages
    regions = {b["Name"]: b["BucketRegion"] for b in paged}
    assert regions["awswiz-demo-datasets"] == "us-east-1" and regions["awswiz-demo-logs-eu"] == "eu-west-1"
    import botocore.exceptions
    import pytest

    with pytest.raises(botocore.exceptions.ClientError) as err:
        s3.list_buckets(MaxBuckets=10001)
    assert err.value.response["Error"]["Code"] == "InvalidArgument"
