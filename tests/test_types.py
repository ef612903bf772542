"""One place per resource type (issue 20, item 2): a type is one file of tools/_awswiz/inventory/types/, found by
walking the package (no hand-kept list), paired with its remover in removal/removers/, and listed by scan.
Adding a type is adding that file, its remover and its test: these fail until the three agree."""

from __future__ import annotations

import types

import pytest
from _awswiz.inventory import table
from _awswiz.removal import removers
from conftest import TOOLS

TYPES_DIR = TOOLS / "_awswiz" / "inventory" / "types"
REMOVERS_DIR = TOOLS / "_awswiz" / "removal" / "removers"
REGION = "us-east-1"


def fake(name: str, type_name: str, order: int) -> tuple[str, object]:
    return name, types.SimpleNamespace(ROW=table.Row(type=type_name, order=order, service="ec2", call="describe_x",
                                                     items="X[]", id="XId"))


def test_the_walk_finds_every_file_of_the_package_in_order():
    files = {p.stem for p in TYPES_DIR.glob("*.py")} - {"__init__"}
    assert {table.file_name(r.type) for r in table.ROWS} == files
    assert [r.order for r in table.ROWS] == sorted(r.order for r in table.ROWS)
    assert list(table.BY_TYPE) == [r.type for r in table.ROWS]
    assert table.GROUPS == sorted({r.group for r in table.ROWS})


def test_a_type_declared_twice_is_an_error_naming_both_files():
    with pytest.raises(RuntimeError, match="two type files declare ec2:volume: inventory/types/ec2_volume.py and "
                                           "inventory/types/ec2_volume_copy.py"):
        table.build([fake("ec2_volume", "ec2:volume", 10), fake("ec2_volume_copy", "ec2:volume", 20)])


def test_a_file_without_a_row_a_misnamed_file_and_a_shared_order_are_errors():
    with pytest.raises(RuntimeError, match="inventory/types/helpers.py holds no ROW"):
        table.build([("helpers", types.SimpleNamespace())])
    with pytest.raises(RuntimeError, match="inventory/types/volume.py declares ec2:volume: name it ec2_volume.py"):
        table.build([fake("volume", "ec2:volume", 10)])
    with pytest.raises(RuntimeError, match="ec2_volume.py and inventory/types/ec2_image.py both take order 10"):
        table.build([fake("ec2_volume", "ec2:volume", 10), fake("ec2_image", "ec2:image", 10)])
    rows = table.build([fake("ec2_volume", "ec2:volume", 20), fake("ec2_image", "ec2:image", 10)])
    assert [r.type for r in rows] == ["ec2:image", "ec2:volume"]  # by order, not by file name


def test_the_cost_readers_get_a_types_cost_fields_after_its_own():
    lb = table.BY_TYPE["elb:load-balancer"]
    assert list(table.costed(lb).fields) == [*lb.fields, "azs", "ip_type", "eip_azs"]
    assert "description" in table.costed(table.BY_TYPE["ec2:snapshot"]).fields
    assert "sizes" in table.costed(table.BY_TYPE["ec2:image"]).fields
    volume = table.BY_TYPE["ec2:volume"]
    assert table.costed(volume) is volume


def test_every_type_has_a_remover_and_every_remover_a_type():
    found = removers.registry()
    assert set(found) - set(table.BY_TYPE) == set(), "a remover without a type file in inventory/types/"
    assert set(table.BY_TYPE) - set(found) == set(), \
        "a type without a remover: write one in removal/removers/ (or one with `unsupported` saying why)"
    for t, rem in found.items():
        assert rem.unsupported or (rem.plan and rem.do), t
        row = table.BY_TYPE[t]
        assert row.removal and row.cost, t  # what removing it does (or why AwsWiz does not) and what it costs
        assert set(row.first) <= set(table.BY_TYPE), (t, row.first)


def test_a_remover_of_one_type_is_named_as_its_type_file():
    # families (ebs: volume, snapshot, image) keep their shared code in one module; a module of one type is named
    # as the type's file, and a module named as a type file removes that type
    by_module: dict[str, set[str]] = {}
    for t, rem in removers.registry().items():
        fn = rem.plan or rem.find or rem.do
        if fn is not None:
            by_module.setdefault(fn.__module__.rsplit(".", 1)[-1], set()).add(t)
    modules = {p.stem for p in REMOVERS_DIR.glob("*.py")} - {"__init__"}
    assert set(by_module) <= modules
    type_of_file = {table.file_name(t): t for t in table.BY_TYPE}
    for module, kinds in by_module.items():
        if len(kinds) == 1:
            assert module == table.file_name(next(iter(kinds))), (module, kinds)
        if module in type_of_file:
            assert kinds == {type_of_file[module]}, (module, kinds)
    assert not (modules - set(by_module)) & set(type_of_file)  # a module named as a type file registers it


def test_scan_lists_every_type_of_the_package(sandbox, run_tool):
    # the lab holds one of each type but a target group: made here, in the lab's default VPC (Elastic Load
    # Balancing API Reference, CreateTargetGroup: a target group of instance targets names its VPC), deleted after
    ec2 = sandbox.client("ec2", REGION)
    elb = sandbox.client("elbv2", REGION)
    vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    tg = elb.create_target_group(Name="types-walk", Protocol="HTTP", Port=80, VpcId=vpc,
                                 TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
    try:
        r = run_tool("scan", "--region", "all", "--service", ",".join(table.BY_TYPE))
        assert r.code == 0, r.stderr
        counts = r.json["data"]["counts"]
        assert set(table.BY_TYPE) - set(counts) == set(), "seed one in the sandbox lab (or make it in this test)"
        assert tg in {x["id"] for x in r.json["data"]["resources"] if x["type"] == "elb:target-group"}
        for rec in r.json["data"]["resources"]:  # what only costs --now and waste read stays out of scan's JSON
            row = table.BY_TYPE[rec["type"]]
            assert not set(rec) & (set(row.cost_fields) - set(row.fields)), rec
    finally:
        elb.delete_target_group(TargetGroupArn=tg)
