"""Issue 11 item 7: a --pretty view is for a terminal of 80 to 120 columns. Every id, instance type and region
the JSON of the same command prints appears whole on one line of the view (they must stay copyable), or its
column is named by the "left out at N columns" caption; no line is wider than the terminal (next: lines
excepted: a command is never folded, the terminal may fold it on screen); the view starts with its first
table, not a blank line."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

WIDTHS = (80, 120)


def _resources(d):
    out = []
    for r in d["resources"]:
        if not r.get("default"):  # defaults are counted in the captions, not listed
            out += [(r["id"], "id"), (r["region"], "region")]
            out += [(r["instance_type"], "instance_type")] if r.get("instance_type") else []
    return out + [(f["id"], "id") for f in d["findings"]] + [(f["region"], "region") for f in d["findings"]]


def _list_instances(d):
    out = [(e["type"], "Type") for e in d["types"]]
    out += [(e["on_demand_min"]["region"], "On-demand $/h") for e in d["types"] if e["on_demand_min"]]
    return out + [(e["spot_min"]["region"], "Spot $/h") for e in d["types"] if e["spot_min"]]


def _plan(d):
    return [(a["id"], "id") for a in d["plan"]] + [(a["region"], "region") for a in d["plan"]] + \
        [(s["id"], "id") for s in d.get("skipped", [])]


CASES = {
    "scan": (["scan"], _resources),
    "list_instances": (["list_instances", "--filter", "p5,g5", "--region", "us-east-1,us-west-2"], _list_instances),
    "quota_check": (["quota_check", "--need", "p5.48xlarge", "--region", "us-east-1,us-west-2"],
                    lambda d: [(r["region"], "Region") for r in d["need"]["regions"]] + [(d["need"]["type"], "")]),
    "quota_status": (["quota_status", "--all"], lambda d: [(r["region"], "Region") for r in d["requests"]]
                     + [(r["code"], "Code") for r in d["requests"]]),
    "ami": (["ami", "--region", "us-east-1"], lambda d: [(i["id"], "Image") for i in d["images"]]
            + [(i["region"], "Region") for i in d["images"]]),
    "costs_now": (["costs", "--now"], lambda d: [(b["id"], "id") for b in d["burn"]]
                  + [(b["region"], "region") for b in d["burn"]]),
    "costs": (["costs"], lambda d: [(m["month"], m["month"]) for m in d["months"][:-1]]),
    "security": (["security", "--region", "us-east-1"], lambda d: [(f["region"], "region") for f in d["findings"]]
                 + [(f["resource"], "resource") for f in d["findings"]]),
    "instance_status": (["instance_status"], lambda d: [(i["id"], "id") for i in d["instances"]]
                        + [(i["type"], "type") for i in d["instances"]]),
    "stop_plan": (["stop", "--tag", "project=llm", "--region", "us-east-1"], _plan),
    "terminate_plan": (["terminate", "--type", "ec2", "--id", "{sweep-1}", "--region", "us-west-2"], _plan),
    "cleanup_sg_plan": (["cleanup_sg", "--region", "us-east-1"], _plan),
    "cleanup_vpc_plan": (["cleanup_vpc", "--all", "--region", "eu-west-1"], _plan),
    "launch_plan": (["launch", "--type", "g5.xlarge", "--region", "us-east-1"],
                    lambda d: [(a["region"], "value") for a in d["plan"]]
                    + [(a["detail"]["instance_type"], "value") for a in d["plan"]]),
    "quota_request_plan": (["quota_request", "--code", "L-DB2E81BA", "--value", "200", "--region", "us-west-2"],
                           _plan),
}


def left_out(text: str) -> str:
    """The text of every "left out at N columns: ..." caption (which may run over two lines)."""
    lines, out, inside = text.splitlines(), [], False
    for line in lines:
        if "left out at" in line:
            inside = True
        if inside:
            out.append(line.strip())
            inside = "everything)" not in line
    return " ".join(out)


@pytest.fixture(scope="module")
def sweep_id(sandbox):
    ec2 = sandbox.client("ec2", "us-west-2")
    found = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["sweep-1"]}])
    return found["Reservations"][0]["Instances"][0]["InstanceId"]


@pytest.fixture
def managed_instance(run_tool):
    """instance_status lists what AwsWiz launched: launch one (a t3.micro) if none is there yet."""
    if run_tool("instance_status", "--region", "us-west-2").json["data"]["instances"]:
        return
    args = ("launch", "--type", "t3.micro", "--region", "us-west-2", "--name", "view-probe", "--no-wait")
    plan = run_tool(*args)
    assert run_tool(*args, "--confirm", plan.json["data"]["confirm"]).code == 0


@pytest.mark.parametrize("case", sorted(CASES))
def test_view_keeps_ids_whole_at_80_and_120_columns(case, run_tool, sweep_id, request):
    if case == "instance_status":
        request.getfixturevalue("managed_instance")
    args, tokens_of = CASES[case]
    args = [a.replace("{sweep-1}", sweep_id) for a in args]
    doc = run_tool(*args)
    assert doc.code in (0, 3), doc.stdout[:400]
    tokens = {(str(t), col) for t, col in tokens_of(doc.json["data"]) if t}
    assert tokens, "the case must check something"
    for width in WIDTHS:
        out = run_tool(*args, "--pretty", env={"COLUMNS": str(width)}).stdout
        lines = out.splitlines()
        assert lines and lines[0].strip(), f"{case} at {width}: the view starts with a blank line"
        wide = [ln for ln in lines if cell_len(ln.rstrip()) > width and not ln.startswith("next:")]
        assert not wide, f"{case} at {width}: lines wider than the terminal: {wide[:2]}"
        caption = left_out(out)
        broken = sorted((t, col) for t, col in tokens
                        if not any(t in ln for ln in lines) and not (col and col in caption))
        assert not broken, f"{case} at {width}: not whole on any line nor left out: {broken[:5]}\n{out[:3000]}"


def test_columns_are_left_out_by_importance_with_a_caption(run_tool):
    """At 80 columns list_instances keeps the type, GPUs and prices and leaves out the rest, saying so; at 200
    nothing is left out."""
    args = ("list_instances", "--filter", "p5", "--region", "us-east-1")
    narrow = run_tool(*args, "--pretty", env={"COLUMNS": "80"}).stdout
    assert "left out at 80 columns:" in narrow and "Network" in left_out(narrow)
    assert "JSON has" in left_out(narrow)
    assert all(h in narrow for h in ("Type", "GPU", "On-demand $/h", "$/GPU-h"))
    wide = run_tool(*args, "--pretty", env={"COLUMNS": "250"}).stdout
    assert "left out" not in wide and "Network" in wide


def test_one_region_is_singular(run_tool):
    out = run_tool("scan", "--region", "us-east-1", "--pretty").stdout
    assert "in 1 region\n" in out or "in 1 region " in out
    assert "1 regions" not in out
