"""Issue 11 item 6, one naming: every type a tool prints (scan's resources and findings, security findings,
the plans, skipped entries and results of the changing tools, the burn rate) is the resource table's name
(tools/_awswiz/inventory/table.py). A few things that are not resources of the table (an account setting, a
quota, a route table association) have names of their own, listed here; none of them may be a second
name for a table type (the issue's `ec2:security-group` beside `vpc:security-group`)."""

from __future__ import annotations

import json

from _awswiz.guard import audit
from _awswiz.inventory import table as resources
from test_hints import use_running_sandbox
from test_views import launch_and_terminate

# Not rows of the table (yet): each is a thing the table does not list, never a table type under another name.
NOT_IN_TABLE = {
    "servicequotas:quota", "budgets:budget", "iam:policy", "iam:inline-policy", "iam:access-key", "iam:root",
    "cloudtrail:region", "guardduty:region", "s3:account-public-access-block", "ec2:ebs-default-encryption",
    "ec2:launch-template", "ec2:image", "ec2:spot-request", "ec2:spot-fleet", "ec2:ec2-fleet",
    "vpc:route-table-association", "vpc:network-acl", "vpc:peering-connection",
    "vpc:egress-only-internet-gateway", "vpc:carrier-gateway", "vpc:vpn-gateway",
    "file",  # launch's local key file (rolled back with the launch)
}
LISTS = {"plan", "skipped", "results", "findings", "resources", "burn", "rolled_back", "items"}


def types_in(doc, out: set[str], where: str = "") -> set[str]:
    """Every "type" of an entry of the plan/skipped/results/findings/resources/burn lists of a document."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            if k in LISTS and isinstance(v, list):
                out.update(e["type"] for e in v if isinstance(e, dict) and e.get("type"))
            types_in(v, out, k)
    elif isinstance(doc, list):
        for v in doc:
            types_in(v, out, where)
    return out


def test_the_allowed_extra_names_are_not_second_names_of_table_types():
    """(A name of this list that becomes a table row, as ec2:image may, is then simply the table's name.)"""
    kinds = {t.split(":", 1)[1]: t for t in resources.BY_TYPE}
    for name in NOT_IN_TABLE - set(resources.BY_TYPE) - {"file"}:
        kind = name.split(":", 1)[1]
        assert kind not in kinds, f"{name} is a second name for {kinds.get(kind)}"


def test_every_type_printed_on_the_lab_is_the_table_name(run_tool):
    runs = [
        ("scan",),
        ("security",),
        ("costs", "--now"),
        ("waste",),
        ("stop", "--tag", "project=llm", "--region", "us-east-1"),
        ("cleanup_sg", "--region", "us-east-1"),
        ("cleanup_sg", "--region", "eu-central-1"),
        ("cleanup_vpc", "--all", "--region", "us-east-1"),
        ("cleanup_vpc", "--all", "--region", "eu-west-1"),
        ("launch", "--type", "t3.micro", "--region", "us-east-1", "--name", "naming-probe"),
        ("quota_request", "--code", "L-417A185B", "--value", "500", "--region", "us-east-1"),
        *[("security", "--fix", c) for c in ("sg-open-ssh", "sg-open-all", "ec2-imdsv1", "ebs-default-encryption-off",
                                            "s3-account-pab-off", "iam-key-old")],
    ]
    seen: dict[str, str] = {}
    scan = None
    for args in runs:
        r = run_tool(*args)
        assert r.code in (0, 3, 4), (args, r.stdout[:400], r.stderr[-400:])
        doc = r.json
        for s in (doc["data"] or {}).get("skipped") or []:  # skipped entries: one shape (guard.skipped_view)
            assert set(s) == {"id", "type", "region", "name", "reason"}, (args, s)
        scan = doc if args == ("scan",) else scan
        for t in types_in(doc["data"], set()):
            seen.setdefault(t, " ".join(args))
    # terminate's plan for an instance of the lab (its volumes, its spot request) and for a bucket
    iid = next(x["id"] for x in scan["data"]["resources"] if x.get("name") == "sweep-1")
    for args in (("terminate", "--type", "ec2", "--id", iid, "--region", "us-west-2"),
                 ("terminate", "--type", "s3", "--id", "awswiz-demo-datasets", "--region", "us-east-1")):
        r = run_tool(*args)
        assert r.code in (0, 4), r.stdout[:400]
        for t in types_in(r.json["data"], set()):
            seen.setdefault(t, " ".join(args))
    assert {"ec2:instance", "vpc:security-group", "vpc:vpc", "vpc:subnet", "vpc:nat-gateway"} <= set(seen)
    wrong = {t: tool for t, tool in seen.items() if t not in resources.BY_TYPE and t not in NOT_IN_TABLE}
    assert not wrong, f"types that are not the table's names (type: where): {wrong}"


def test_audit_says_sandbox_and_created_only_for_what_a_call_made(run_tool, sandbox, state_dir):
    """StopInstances makes nothing: its ids are "returned", never "created" (issue 11 item 6); RunInstances
    made the instance, not the image or subnet its answer also names. Every line says whether it was the
    sandbox, and parameters are JSON values (HttpTokens, a setting, is not redacted as if it were a secret)."""
    use_running_sandbox(sandbox, state_dir)
    probe = launch_and_terminate(lambda *a: run_tool(*a, "--sandbox"), "us-west-2", "audit-probe")
    iid = next(probe)
    plan = run_tool("stop", "--id", iid, "--region", "us-west-2")  # the same server, without --sandbox
    done = run_tool("stop", "--id", iid, "--region", "us-west-2", "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout[:600]
    next(probe, None)  # terminated again: the lab is as it was
    calls = audit.read_calls(state_dir / "audit.jsonl")
    by_op = {c["operation"]: c for c in calls}
    assert {c["sandbox"] for c in calls if c["tool"] == "launch"} == {True}
    assert by_op["TerminateInstances"]["sandbox"] is True and "created" not in by_op["TerminateInstances"]
    assert by_op["StopInstances"]["sandbox"] is False
    assert by_op["RunInstances"]["created"] == [iid]
    assert "created" not in by_op["StopInstances"] and by_op["StopInstances"]["returned"] == [iid]
    assert by_op["RunInstances"]["params"]["MetadataOptions"]["HttpTokens"] == "required"
    for line in (state_dir / "audit.jsonl").read_text().splitlines():
        params = json.loads(line).get("params") or {}
        assert "{'" not in json.dumps(params) and "['" not in json.dumps(params)  # no Python repr in a value


def test_made_ids_are_the_calls_own_noun():
    assert audit.made_ids("StopInstances", {"StoppingInstances": [{"InstanceId": "i-0abc"}]}) is None
    assert audit.made_ids("AllocateAddress", {"AllocationId": "eipalloc-1", "PublicIp": "1.2.3.4"}) == ["eipalloc-1"]
    assert audit.made_ids("CreateVolume", {"VolumeId": "vol-1", "SnapshotId": "snap-1"}) == ["vol-1"]
    assert audit.made_ids("CreateSecurityGroup", {"GroupId": "sg-1"}) == ["sg-1"]
