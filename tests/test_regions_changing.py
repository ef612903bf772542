"""stop, cleanup_vpc and cleanup_sg across regions (issue 11 item 3): --region a,b|all is one plan and one
token with actions per region; --id without --region finds each id where it lives; a tag selection or
--all stays in the home region and says where else it matches; the guard holds across regions (a change in
one region refuses the whole plan, --max counts every region, a protected id refuses the whole plan).

Regions: only this file uses us-west-1, ap-southeast-3, ap-northeast-3 and af-south-1 (no lab, no other test),
so a selection by region sees only this file's resources; instances are selected by id or a unique tag."""

from __future__ import annotations

import shlex

import pytest
from mutation_helpers import assert_audit_matches_server, instance, mutating_calls, name, state

A, B = "us-west-1", "ap-southeast-3"  # stop tests by id (fresh instances, selected by id or a unique tag)


def two_instances(sandbox, tags: dict | None = None, **kw) -> tuple[str, str]:
    return instance(sandbox.client("ec2", A), tags=tags, **kw), instance(sandbox.client("ec2", B), tags=tags)


def run_next(run_tool, cmd: str, **kw):
    """Run a `next` command exactly as printed (uv run tools/X.py ARGS)."""
    words = shlex.split(cmd)
    assert words[:2] == ["uv", "run"] and words[2].startswith("tools/"), cmd
    return run_tool(words[2].removeprefix("tools/").removesuffix(".py"), *words[3:], **kw)


def test_stop_ids_in_two_regions_without_region_is_one_plan_one_token(sandbox, run_tool, state_dir):
    """The manual's `stop --id <ID>` names no region: each id is found where it lives."""
    a, b = two_instances(sandbox)
    mark = sandbox.mark()
    plan = run_tool("stop", "--id", f"{a},{b}")
    assert plan.code == 0, plan.stdout + plan.stderr
    data = plan.json["data"]
    assert {(x["id"], x["region"]) for x in data["plan"]} == {(a, A), (b, B)}
    assert [x["type"] for x in data["plan"]] == ["ec2:instance"] * 2
    assert "elsewhere" not in data  # ids are looked up everywhere already
    assert mutating_calls(sandbox, mark) == []
    r = run_tool("stop", "--id", f"{a},{b}", "--confirm", data["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert state(sandbox.client("ec2", A), a) == state(sandbox.client("ec2", B), b) == "stopped"
    sent = assert_audit_matches_server(sandbox, state_dir, mark)
    assert {(s["operation"], s["region"], s["resources"][0]) for s in sent} == {
        ("StopInstances", A, a), ("StopInstances", B, b)}
    assert {c["region"] for c in mutating_calls(sandbox, mark)} == {A, B}
    assert r.json["next"] == ["uv run tools/scan.py --service ec2:instance"]  # the run's scope: every region
    # --region all with --id searches the same enabled regions (an instance id is tied to one region: see
    # test_an_id_found_in_two_regions_is_bad_input_never_two_actions)
    again = run_tool("stop", "--id", a, "--region", "all")
    assert again.code == 0 and again.json["data"]["skipped"][0]["region"] == A


def test_region_list_and_all_plan_a_tag_selection_in_each_region(sandbox, run_tool, state_dir):
    key = name("run")
    a, b = two_instances(sandbox, tags={key: "x"})
    both = run_tool("stop", "--tag", f"{key}=x", "--region", f"{A},{B}")
    assert both.code == 0, both.stdout + both.stderr
    assert {(x["id"], x["region"]) for x in both.json["data"]["plan"]} == {(a, A), (b, B)}
    assert "elsewhere" not in both.json["data"]  # --region given: the user chose the scope
    one = run_tool("stop", "--tag", f"{key}=x", "--region", A)
    assert [x["id"] for x in one.json["data"]["plan"]] == [a]
    # a token is bound to its regions: confirmed with a wider --region it is refused, nothing changes
    wider = run_tool("stop", "--tag", f"{key}=x", "--region", f"{A},{B}", "--confirm", one.json["data"]["confirm"])
    assert wider.code == 4 and "world changed" in wider.json["errors"][0]["message"]
    assert state(sandbox.client("ec2", A), a) == state(sandbox.client("ec2", B), b) == "running"
    everywhere = run_tool("stop", "--tag", f"{key}=x", "--region", "all")
    assert everywhere.code == 0, everywhere.stdout + everywhere.stderr
    assert {x["id"] for x in everywhere.json["data"]["plan"]} == {a, b}
    assert everywhere.json["next"] == [f"uv run tools/stop.py --tag {key}=x --region all --confirm "
                                       + everywhere.json["data"]["confirm"]]
    mark = sandbox.mark()
    r = run_next(run_tool, everywhere.json["next"][0])
    assert r.code == 0, r.stdout + r.stderr
    assert r.json["next"] == ["uv run tools/scan.py --service ec2:instance --region all"]
    assert state(sandbox.client("ec2", A), a) == state(sandbox.client("ec2", B), b) == "stopped"
    assert len(assert_audit_matches_server(sandbox, state_dir, mark)) == 2


def test_a_tag_selection_stays_home_and_says_where_else_it_matches(sandbox, run_tool):
    """Elsewhere is counted with one DescribeInstances per region, filtered by tag:KEY and instance-state-name
    pending|running (Amazon EC2 API Reference: DescribeInstances, Filter.N)."""
    key = name("run")
    home = "ap-northeast-3"
    at_home = instance(sandbox.client("ec2", home), tags={key: "x"})
    a, b = two_instances(sandbox, tags={key: "x"})
    mark = sandbox.mark()
    env = {"AWS_DEFAULT_REGION": home}
    r = run_tool("stop", "--tag", f"{key}=x", env=env)
    assert r.code == 0, r.stdout + r.stderr
    data = r.json["data"]
    assert [(x["id"], x["region"]) for x in data["plan"]] == [(at_home, home)]
    assert data["elsewhere"] == {A: 1, B: 1} and "elsewhere_unchecked" not in data
    widen = f"uv run tools/stop.py --tag {key}=x --region {','.join(sorted([home, A, B]))}"
    assert r.json["next"] == [f"uv run tools/stop.py --tag {key}=x --confirm {data['confirm']}", widen]
    wide = run_next(run_tool, widen, env=env)  # the widened next works as printed: one plan over the three
    assert wide.code == 0, wide.stdout + wide.stderr
    assert {x["id"] for x in wide.json["data"]["plan"]} == {at_home, a, b}
    pretty = run_tool("stop", "--tag", f"{key}=x", "--pretty", env=env)
    assert f"also in {B} (1), {A} (1)" in " ".join(pretty.stdout.split())
    assert mutating_calls(sandbox, mark) == []
    # a selection matching nothing at home still says where it matches (the useful case)
    sandbox.client("ec2", home).stop_instances(InstanceIds=[at_home])
    empty = run_tool("stop", "--tag", f"{key}=x", env=env)
    assert empty.code == 0 and empty.json["data"]["plan"] == [] and empty.json["data"]["elsewhere"] == {A: 1, B: 1}
    assert empty.json["next"] == [widen]


def test_a_region_that_cannot_be_asked_is_named_and_does_not_fail_the_plan(sandbox, run_tool, faulty):
    key = name("run")
    a, b = two_instances(sandbox, tags={key: "x"})
    url, _ = faulty(deny={B})
    r = run_tool("stop", "--tag", f"{key}=x", endpoint=url)
    assert r.code == 0, r.stdout + r.stderr
    data = r.json["data"]
    assert data["plan"] == [] and data["elsewhere"] == {A: 1}
    assert list(data["elsewhere_unchecked"]) == [B] and "AuthFailure" in data["elsewhere_unchecked"][B]
    assert r.json["next"] == [f"uv run tools/stop.py --tag {key}=x --region us-east-1,{A}"]


def test_an_id_lookup_outlives_a_region_it_cannot_ask_only_when_the_id_is_found(sandbox, run_tool, faulty):
    """An account whose policy denies a region (an SCP, say) can still stop an instance by id: the region
    that cannot be asked matters only when an id is found nowhere else (then it is named: the id may be there)."""
    a = instance(sandbox.client("ec2", A))
    url, _ = faulty(deny={B})
    found = run_tool("stop", "--id", a, endpoint=url)
    assert found.code == 0, found.stdout + found.stderr
    assert [(x["id"], x["region"]) for x in found.json["data"]["plan"]] == [(a, A)]
    lost = run_tool("stop", "--id", f"{a},i-0123456789abcdef0", endpoint=url)
    assert lost.code == 1, lost.stdout + lost.stderr
    err = lost.json["errors"][0]
    assert err["code"] == "AuthFailure" and "i-0123456789abcdef0" in err["message"] and B in err["message"]
    assert f"--region {B}" in err["hint"] and lost.json["data"]["not_asked"] == [B]


def test_a_change_in_one_region_after_the_plan_refuses_the_whole_plan(sandbox, run_tool):
    a, b = two_instances(sandbox)
    plan = run_tool("stop", "--id", f"{a},{b}")
    assert plan.code == 0, plan.stdout + plan.stderr
    sandbox.client("ec2", B).create_tags(Resources=[b], Tags=[{"Key": "owner", "Value": "someone-else"}])
    mark = sandbox.mark()
    r = run_tool("stop", "--id", f"{a},{b}", "--confirm", plan.json["data"]["confirm"])
    assert r.code == 4, r.stdout + r.stderr
    assert "world changed" in r.json["errors"][0]["message"] and b in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []
    assert state(sandbox.client("ec2", A), a) == state(sandbox.client("ec2", B), b) == "running"


def test_max_counts_across_regions(sandbox, run_tool):
    a, b = two_instances(sandbox)
    c = instance(sandbox.client("ec2", B))
    mark = sandbox.mark()
    r = run_tool("stop", "--id", f"{a},{b},{c}", "--max", "2")
    assert r.code == 4 and "touches 3 resources, over --max 2" in r.json["errors"][0]["message"]
    assert r.json["data"]["confirm"] is None and r.json["next"] == []
    assert mutating_calls(sandbox, mark) == []
    ok = run_tool("stop", "--id", f"{a},{b},{c}", "--max", "3")
    assert ok.code == 0 and len(ok.json["data"]["plan"]) == 3


def test_a_protected_id_in_one_region_refuses_the_whole_plan_and_next_drops_only_it(sandbox, run_tool):
    a = instance(sandbox.client("ec2", A))
    p = instance(sandbox.client("ec2", B), tags={"awswiz:protected": "true"})
    mark = sandbox.mark()
    r = run_tool("stop", "--id", f"{a},{p}")
    assert r.code == 4, r.stdout + r.stderr
    assert p in r.json["errors"][0]["message"] and r.json["data"]["confirm"] is None
    assert r.json["next"] == [f"uv run tools/stop.py --id {a}"]
    rest = run_next(run_tool, r.json["next"][0])
    assert rest.code == 0 and [(x["id"], x["region"]) for x in rest.json["data"]["plan"]] == [(a, A)]
    assert mutating_calls(sandbox, mark) == []
    assert state(sandbox.client("ec2", B), p) == "running"


def test_unknown_ids_are_bad_input_naming_the_regions_searched(sandbox, run_tool, state_dir):
    mark = sandbox.mark()
    r = run_tool("stop", "--id", "i-0123456789abcdef0")
    assert r.code == 2 and r.json["errors"][0]["code"] == "BadInput"
    msg = r.json["errors"][0]["message"]
    assert "i-0123456789abcdef0" in msg and all(x in msg for x in ("us-east-1", "eu-central-1", A, B))
    assert A in r.json["data"]["searched"] and len(r.json["data"]["searched"]) > 3
    some = run_tool("stop", "--id", "i-0123456789abcdef0", "--region", f"{A},{B}")
    assert some.code == 2 and f"2 regions searched ({B}, {A})" in some.json["errors"][0]["message"]
    # the hint runs the same command without --region, so every enabled region is searched
    hint = some.json["errors"][0]["hint"]
    assert hint == "search every enabled region: uv run tools/stop.py --id i-0123456789abcdef0"
    vpc = run_tool("cleanup_vpc", "--id", "vpc-0123456789abcdef0")
    assert vpc.code == 2 and "vpc:vpc vpc-0123456789abcdef0 not found" in vpc.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()


class FakeCtx:
    """Just what regional.locate reads: the --region scope, and a pool size."""

    def __init__(self, region_list: list[str], spec: str | None = None):
        self.region_list, self.region_spec = region_list, spec
        self.aws = type("Aws", (), {"workers": 4})()

    def regions(self, default: str = "all"):
        return self.region_list, []


def test_an_id_found_in_two_regions_is_bad_input_never_two_actions(monkeypatch):
    """AWS ties each resource id to its Region ("Resource locations", Amazon EC2 User Guide: an instance,
    volume or snapshot id can be used only in the Region where the resource was created); it does not
    promise that the same id never appears in another Region, and moto draws ids at random, so the sandbox
    cannot make one: the lookup is tested here with a fake. An id in two regions is bad input asking for
    --region, never one id acting on two resources."""
    from _awswiz.guard import regional
    from _awswiz.shell.errors import BadInput

    ctx = FakeCtx(["eu-west-1", "us-east-1", "us-west-2"])
    held = {"us-east-1": {"i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"}, "us-west-2": {"i-0aaaaaaaaaaaaaaaa"}}
    with pytest.raises(BadInput) as exc:
        regional.locate(ctx, ["i-0aaaaaaaaaaaaaaaa"], lambda r, ids: held.get(r, set()) & set(ids), "instance")
    assert "exists in 2 regions (us-east-1, us-west-2)" in exc.value.message
    # issue 25 item 5: the hint names the regions and is the run's own command in the first of them, whether
    # --region was given (it replaces it: "add --region" would repeat the flag) or not
    for spec, argv in ((None, []), ("us-east-1,us-west-2", ["--region", "us-east-1,us-west-2"])):
        monkeypatch.setattr("sys.argv", ["tools/stop.py", "--id", "i-0aaaaaaaaaaaaaaaa", *argv, "--sandbox"])
        ctx.region_spec = spec
        with pytest.raises(BadInput) as exc:
            regional.locate(ctx, ["i-0aaaaaaaaaaaaaaaa"], lambda r, ids: held.get(r, set()) & set(ids), "instance")
        assert exc.value.hint == ("name one of us-east-1, us-west-2: uv run tools/stop.py --id i-0aaaaaaaaaaaaaaaa "
                                  "--sandbox --region us-east-1")
    assert regional.locate(ctx, ["i-0bbbbbbbbbbbbbbbb"], lambda r, ids: held.get(r, set()) & set(ids)) == {
        "us-east-1": ["i-0bbbbbbbbbbbbbbbb"]}


def test_a_killed_two_region_confirm_is_finished_by_planning_again(sandbox, run_tool, state_dir):
    from gate import kill_through

    a, b = two_instances(sandbox)
    args = ("--id", f"{a},{b}")
    plan = run_tool("stop", *args)
    assert plan.code == 0, plan.stdout + plan.stderr
    first, second = [x["id"] for x in plan.json["data"]["plan"]]  # region order: ap-southeast-3 first
    code = kill_through(sandbox.url, state_dir, "stop", [*args, "--confirm", plan.json["data"]["confirm"]],
                        "StopInstances", 1)
    assert code is None, f"the confirm ended (exit {code}) before its second call"
    ec2 = {a: sandbox.client("ec2", A), b: sandbox.client("ec2", B)}
    assert state(ec2[first], first) == "stopped" and state(ec2[second], second) == "running"
    replay = run_tool("stop", *args, "--confirm", plan.json["data"]["confirm"])
    assert replay.code == 4 and "already applied" in replay.json["errors"][0]["message"]
    again = run_tool("stop", *args)
    assert again.code == 0, again.stdout + again.stderr
    assert [x["id"] for x in again.json["data"]["plan"]] == [second]
    assert [(s["id"], s["reason"]) for s in again.json["data"]["skipped"]] == [(first, "already stopped")]
    done = run_tool("stop", *args, "--confirm", again.json["data"]["confirm"])
    assert done.code == 0, done.stdout + done.stderr
    assert state(ec2[first], first) == state(ec2[second], second) == "stopped"


def vpc_with_parts(ec2, cidr: str) -> str:
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))
    ec2.create_security_group(GroupName=name("g"), Description="t", VpcId=vpc)
    return vpc


def vpcs(ec2) -> set[str]:
    return {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}


def test_cleanup_vpc_ids_in_two_regions_without_region(sandbox, run_tool, state_dir):
    ec2a, ec2b = sandbox.client("ec2", A), sandbox.client("ec2", B)
    va, vb = vpc_with_parts(ec2a, "10.71.0.0/16"), vpc_with_parts(ec2b, "10.72.0.0/16")
    plan = run_tool("cleanup_vpc", "--id", f"{vb},{va}")
    assert plan.code == 0, plan.stdout + plan.stderr
    regions = {x["region"] for x in plan.json["data"]["plan"]}
    assert regions == {A, B}
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", f"{vb},{va}", "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert va not in vpcs(ec2a) and vb not in vpcs(ec2b)
    sent = assert_audit_matches_server(sandbox, state_dir, mark)
    assert {(s["region"], s["resources"][0]) for s in sent if s["operation"] == "DeleteVpc"} == {(A, va), (B, vb)}
    assert r.json["next"] == ["uv run tools/scan.py --service vpc"]


def test_cleanup_vpc_a_protected_vpc_in_one_region_refuses_both_and_next_drops_only_it(sandbox, run_tool):
    ec2a, ec2b = sandbox.client("ec2", A), sandbox.client("ec2", B)
    va, vb = vpc_with_parts(ec2a, "10.76.0.0/16"), vpc_with_parts(ec2b, "10.77.0.0/16")
    ec2b.create_tags(Resources=[vb], Tags=[{"Key": "Environment", "Value": "Prod"}])
    mark = sandbox.mark()
    r = run_tool("cleanup_vpc", "--id", f"{va},{vb}")
    assert r.code == 4 and vb in r.json["errors"][0]["message"], r.stdout + r.stderr
    assert r.json["next"] == [f"uv run tools/cleanup_vpc.py --id {va}"]
    assert mutating_calls(sandbox, mark) == [] and va in vpcs(ec2a) and vb in vpcs(ec2b)
    rest = run_next(run_tool, r.json["next"][0])
    assert rest.code == 0 and {x["region"] for x in rest.json["data"]["plan"]} == {A}
    r = run_tool("cleanup_vpc", "--id", va, "--confirm", rest.json["data"]["confirm"])
    assert r.code == 0 and va not in vpcs(ec2a) and vb in vpcs(ec2b)
    ec2b.delete_tags(Resources=[vb], Tags=[{"Key": "Environment"}])
    ec2b.delete_security_group(GroupId=next(g["GroupId"] for g in ec2b.describe_security_groups(Filters=[
        {"Name": "vpc-id", "Values": [vb]}])["SecurityGroups"] if g["GroupName"] != "default"))
    ec2b.delete_subnet(SubnetId=ec2b.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vb]}])["Subnets"][0][
        "SubnetId"])
    ec2b.delete_vpc(VpcId=vb)


def test_cleanup_vpc_all_stays_home_says_where_else_and_plans_a_region_list(sandbox, run_tool):
    c, d = "ap-northeast-3", "af-south-1"  # regions of this test's own: --all selects every VPC there
    vc = vpc_with_parts(sandbox.client("ec2", c), "10.73.0.0/16")
    vd = vpc_with_parts(sandbox.client("ec2", d), "10.74.0.0/16")
    mark = sandbox.mark()
    home = run_tool("cleanup_vpc", "--all")
    assert home.code in (0, 4), home.stdout + home.stderr
    data = home.json["data"]
    assert {x["region"] for x in data["plan"]} <= {"us-east-1"}
    assert data["elsewhere"][c] == 1 and data["elsewhere"][d] == 1
    widen = home.json["next"][-1]
    assert widen.startswith("uv run tools/cleanup_vpc.py --all --region ") and c in widen and d in widen
    both = run_tool("cleanup_vpc", "--all", "--region", f"{c},{d}")
    assert both.code == 0, both.stdout + both.stderr
    assert {(x["id"], x["region"]) for x in both.json["data"]["plan"] if x["action"] == "delete"
            and x["id"].startswith("vpc-")} == {(vc, c), (vd, d)}
    assert mutating_calls(sandbox, mark) == []
    r = run_tool("cleanup_vpc", "--all", "--region", f"{c},{d}", "--confirm", both.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    assert vc not in vpcs(sandbox.client("ec2", c)) and vd not in vpcs(sandbox.client("ec2", d))
    assert r.json["next"] == [f"uv run tools/scan.py --service vpc --region {c},{d}"]


def test_cleanup_sg_plans_a_region_list_and_says_where_else_from_home(sandbox, run_tool, state_dir):
    c, d = B, A  # --region c,d deletes every unused group there: no other test leaves one in A or B
    groups, made = {}, {}
    for region in (c, d):
        ec2 = sandbox.client("ec2", region)
        made[region] = ec2.create_vpc(CidrBlock="10.75.0.0/16")["Vpc"]["VpcId"]
        groups[region] = ec2.create_security_group(GroupName=name("unused"), Description="unused",
                                                   VpcId=made[region])["GroupId"]
    home = run_tool("cleanup_sg")
    assert home.code == 0, home.stdout + home.stderr
    assert {x["region"] for x in home.json["data"]["plan"]} <= {"us-east-1"}
    assert home.json["data"]["elsewhere"][c] >= 1 and home.json["data"]["elsewhere"][d] >= 1
    plan = run_tool("cleanup_sg", "--region", f"{c},{d}")
    assert plan.code == 0, plan.stdout + plan.stderr
    deleted = {(x["id"], x["region"]) for x in plan.json["data"]["plan"] if x["action"] == "delete"}
    assert {(groups[c], c), (groups[d], d)} <= deleted
    mark = sandbox.mark()
    r = run_tool("cleanup_sg", "--region", f"{c},{d}", "--confirm", plan.json["data"]["confirm"])
    assert r.code == 0, r.stdout + r.stderr
    for region, gid in groups.items():
        left = {g["GroupId"] for g in sandbox.client("ec2", region).describe_security_groups()["SecurityGroups"]}
        assert gid not in left
    sent = assert_audit_matches_server(sandbox, state_dir, mark)
    assert {s["region"] for s in sent} == {c, d}
    assert r.json["next"] == [f"uv run tools/scan.py --service vpc:security-group --region {c},{d}"]
    for region, vpc in made.items():
        sandbox.client("ec2", region).delete_vpc(VpcId=vpc)
