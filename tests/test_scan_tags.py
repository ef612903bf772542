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
    assert {x["name"] for x in recs} == {"research-alb"}
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
    assert {"research-alb", "alice"} <= {x["name"] for x in r.json["data"]["resources"]}
    assert not {"DescribeTags", "ListUserTags", "ListRoleTags"} & set(actions(sandbox, mark))
