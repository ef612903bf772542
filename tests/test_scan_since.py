"""scan --since (created or launched in a window) and scan --tags (the tags in use): issue 25 item 4.

Every type whose list call's answer holds a creation time carries it as `created` (botocore's service models, cited
in each file of inventory/types/); no test depends on the date: windows are far in the past or the future, or the
resources' creation times are read from the sandbox's own answers."""

from __future__ import annotations

import datetime as _dt

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
    # created is the one time a record carries (launch_time and a snapshot's started said it twice: issue 25 item 2)
    ec2 = sandbox.client("ec2", "us-east-1")
    launched = {i["InstanceId"]: i["LaunchTime"] for r in ec2.describe_instances()["Reservations"]
                for i in r["Instances"]}
    for box in (x for x in recs if x["type"] == "ec2:instance"):
        assert "launch_time" not in box and _dt.datetime.fromisoformat(box["created"]) == launched[box["id"]]
    for snap in (x for x in recs if x["type"] == "ec2:snapshot"):
        assert "started" not in snap and snap["created"]


def test_the_lab_nat_gateway_database_and_notebook_carry_created(sandbox, run_tool):
    # NatGateway.CreateTime, DBInstance.InstanceCreateTime, NotebookInstanceSummary.CreationTime (botocore models)
    r = run_tool("scan", "--region", "eu-west-1,us-west-2", "--service", "vpc:nat-gateway,rds,sagemaker")
    assert r.code == 0, r.stderr
    recs = r.json["data"]["resources"]
    assert {x["type"] for x in recs} == {"vpc:nat-gateway", "rds:db-instance", "sagemaker:notebook"}
    assert all(x.get("created") for x in recs)


def test_since_a_date_far_back_keeps_the_dated_and_names_the_undated_by_type(sandbox, run_tool):
    every = run_tool("scan", "--region", "us-east-1", "--include-defaults").json["data"]["resources"]
    r = run_tool("scan", "--region", "us-east-1", "--since", "2000-01-01")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    assert {x["id"] for x in data["resources"]} == {x["id"] for x in every if x["type"] in DATED}
    undated = {}
    for x in every:
        if x["type"] not in DATED:
            undated[x["type"]] = undated.get(x["type"], 0) + 1
    assert data["since"] == {"from": "2000-01-01T00:00:00+00:00", "undated": sum(undated.values()),
                             "undated_types": undated}
    assert data["counts"] == {t: sum(x["type"] == t for x in data["resources"]) for t in data["counts"]}


def test_since_a_date_in_the_future_keeps_nothing(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1", "--since", "2999-01-01")
    assert r.code == 0, r.stderr
    assert r.json["data"]["resources"] == [] and r.json["data"]["counts"] == {}
    assert r.json["data"]["since"]["undated"] > 0


def test_since_a_relative_window_wider_than_the_lab_keeps_every_dated_record(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1", "--service", "ec2", "--since", "36500d")  # 100 years back
    assert r.code == 0, r.stderr
    recs = r.json["data"]["resources"]
    assert recs and {x["type"] for x in recs} <= DATED and "ec2:instance" in {x["type"] for x in recs}


def test_since_windows_count_back_from_now():
    import datetime as dt

    import scan

    now = dt.datetime(2026, 11, 16, 12, 0, tzinfo=dt.UTC)
    assert scan.since_start("90m", now) == dt.datetime(2026, 11, 16, 10, 30, tzinfo=dt.UTC)
    assert scan.since_start("24h", now) == dt.datetime(2026, 11, 15, 12, 0, tzinfo=dt.UTC)
    assert scan.since_start("7d", now) == dt.datetime(2026, 11, 9, 12, 0, tzinfo=dt.UTC)
    assert scan.since_start("2026-11-01", now) == dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    recs = [{"type": "ec2:instance", "created": dt.datetime(2026, 11, 16, 11, 0, tzinfo=dt.UTC)},
            {"type": "ec2:image", "created": "2026-11-16T10:00:00.000Z"},  # DescribeImages' CreationDate: a string
            {"type": "ec2:volume", "created": dt.datetime(2026, 11, 14, tzinfo=dt.UTC)},
            {"type": "vpc:vpc"}]
    kept, said = scan.keep_since(recs, scan.since_start("90m", now))
    assert kept == recs[:1]
    kept, said = scan.keep_since(recs, scan.since_start("24h", now))
    assert kept == recs[:2] and said["undated"] == 1 and said["undated_types"] == {"vpc:vpc": 1}


def test_a_bad_since_is_exit_2_naming_the_forms_before_any_call():
    # no sandbox: the endpoint is a closed port, so a call made before the check would fail otherwise than exit 2
    import subprocess
    import sys

    from conftest import TOOLS, clean_env

    for bad in ("5x", "24", "h", "2026-13-01", "yesterday", "-1d"):
        p = subprocess.run([sys.executable, str(TOOLS / "scan.py"), "--since", bad], capture_output=True, text=True,
                           timeout=60, env=clean_env(AWS_ENDPOINT_URL="http://127.0.0.1:9"))
        assert p.returncode == 2, (bad, p.stdout, p.stderr)
        err = p.stdout and __import__("json").loads(p.stdout)["errors"][0]
        assert err["code"] == "BadInput" and "90m, 24h, 7d" in err["message"] and "YYYY-MM-DD" in err["message"]


def test_tags_counts_each_key_and_value_in_use_and_asks_no_prices(sandbox, run_tool):
    mark = sandbox.mark()
    r = run_tool("scan", "--region", "us-east-1", "--tags")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    assert "resources" not in data and "findings" not in data
    llm = run_tool("scan", "--region", "us-east-1", "--tag", "project=llm").json["data"]["resources"]
    web = run_tool("scan", "--region", "us-east-1", "--tag", "project=web").json["data"]["resources"]
    # the lab's two projects (other tests of the worker may add values of their own: test_export's iac21)
    assert {k: data["tags"]["project"].get(k) for k in ("llm", "web")} == {"llm": len(llm), "web": len(web)}
    assert "elb:load-balancer" in {x["type"] for x in llm}  # its tags are asked (DescribeTags) for --tags too
    assert sum(data["counts"].values()) >= max(data["tags"]["awswiz:lab"].values())
    actions = [c["action"] for c in sandbox.calls(mark)]
    assert "DescribeTags" in actions and "ListUserTags" in actions


def test_a_tag_value_that_matches_nothing_names_the_values_of_its_key(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1", "--tag", "project=alpha")
    assert r.code == 0, r.stderr
    data = r.json["data"]
    assert data["resources"] == []
    (u,) = data["unmatched_tags"]
    assert u["tag"] == "project=alpha" and u["why"] == "no resource has project=alpha"
    assert {"llm", "web"} <= set(u["values"]) and "alpha" not in u["values"]  # the lab's (and other tests')
    assert r.json["next"][0] == "uv run tools/scan.py --tags --region us-east-1"
    again = run_tool("scan", *r.json["next"][0].split()[3:])  # the hint works as printed
    assert again.code == 0 and again.json["data"]["tags"]["project"] == u["values"]


def test_a_tag_key_no_resource_has_names_the_keys_in_use(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1", "--service", "ec2", "--tag", "projekt=llm")
    assert r.code == 0, r.stderr
    (u,) = r.json["data"]["unmatched_tags"]
    assert u["why"] == "no resource has the tag key 'projekt'" and "project" in u["keys"] and "Name" in u["keys"]
    assert r.json["next"][0] == "uv run tools/scan.py --tags --service ec2 --region us-east-1"


def test_unmatched_says_when_only_the_combination_matches_nothing_and_keeps_lists_short():
    import scan

    counts = {"project": {"llm": 3}, "team": {"research": 2}}
    assert scan.unmatched({"project": "llm", "team": "research"}, counts) == [
        {"tag": "project=llm team=research", "why": "each tag is in use, but no resource carries them all"}]
    many = {f"k{i:02}": {"v": 1} for i in range(30)}
    (u,) = scan.unmatched({"x": "y"}, many)
    assert len(u["keys"]) == scan.SHORT and u["more_keys"] == 30 - scan.SHORT
    assert scan.tag_counts([{"tags": {"a": "1"}}, {"tags": {"a": "2", "b": "x"}}, {"tags": {"a": "2"}}]) == \
        {"a": {"2": 2, "1": 1}, "b": {"x": 1}}


def test_pretty_shows_the_tags_and_what_since_left_out(sandbox, run_tool):
    r = run_tool("scan", "--region", "us-east-1", "--tags", "--pretty")
    assert r.code == 0, r.stderr
    assert "Tags in use" in r.stdout and "project" in r.stdout and "llm" in r.stdout
    r = run_tool("scan", "--region", "us-east-1", "--service", "ec2", "--since", "2000-01-01", "--tag", "project=alpha",
                 "--pretty")
    assert r.code == 0, r.stderr
    assert "without a creation time, left out: ec2:elastic-ip 1" in r.stdout  # the lab's one address
    assert "project=alpha: no resource has project=alpha" in r.stdout
