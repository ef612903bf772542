"""Issue 11 item 7: a --pretty view is for a terminal of 80 to 120 columns. Every id, instance type and region
the JSON of the same command prints appears whole on one line of the view (they must stay copyable), or its
column is named by the "left out at N columns" caption; no line is wider than the terminal (next: and fix: lines
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
    "security": (["security", "--region", "us-east-1"], lambda d: [
        (x, col) for g in d["findings"] for r in g.get("resources", []) for x, col in ((r["id"], "resource"),
                                                                                     (r["region"], "region"))]
        + [(reg, "") for g in d["findings"] for reg in g.get("regions", [])]),
    "instance_status": (["instance_status"], lambda d: [(i["id"], "id") for i in d["instances"]]
                        + [(i["type"], "type") for i in d["instances"]]),
    "stop_plan": (["stop", "--tag", "project=llm", "--region", "us-east-1"], _plan),
    "terminate_plan": (["terminate", "--type", "ec2", "--id", "{sweep-1}", "--region", "us-west-2"], _plan),
    "cleanup_sg_plan": (["cleanup_sg", "--region", "us-east-1"], _plan),
    "cleanup_vpc_plan": (["cleanup_vpc", "--all", "--region", "eu-west-1"], _plan),
    "launch_plan": (["launch", "--type", "g5.xlarge", "--region", "us-east-1"],
                    lambda d: [(a["region"], "value") for a in d["plan"]]
                    + [(a["detail"]["instance_type"], "value") for a in d["plan"]]),
    "waste": (["waste"], lambda d: [(i["id"], "id") for i in d["items"]]
              + [(i["region"], "region") for i in d["items"]]),
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


def launch_and_terminate(run_tool, region: str, name: str):
    """A t3.micro launched through launch.py for the test, then terminated with what launch made (its
    group and key), so that the shared lab is as it was for the tests that count its instances."""
    args = ("launch", "--type", "t3.micro", "--region", region, "--name", name, "--no-wait")
    plan = run_tool(*args)
    done = run_tool(*args, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout[-600:]
    iid = done.json["data"]["results"][0]["instances"][0]
    yield iid
    kill = ("terminate", "--type", "ec2", "--id", iid, "--region", region)
    plan = run_tool(*kill)
    assert run_tool(*kill, "--confirm", plan.json["data"]["confirm"]).code == 0


@pytest.fixture
def managed_instance(sandbox):
    """instance_status lists what AwsWiz launched (tag awswiz:managed=true): a t3.micro tagged so (made with boto3,
    not launch.py: the view is what is tested), terminated after so the shared lab is as it was."""
    ec2 = sandbox.client("ec2", "us-west-2")
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]  # one of moto's, no AMI of its own
    tags = [{"Key": "Name", "Value": "view-probe"}, {"Key": "awswiz:managed", "Value": "true"}]
    iid = ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", TagSpecifications=[
        {"ResourceType": "instance", "Tags": tags}])["Instances"][0]["InstanceId"]
    yield iid
    ec2.terminate_instances(InstanceIds=[iid])


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
        wide = [ln for ln in lines if cell_len(ln.rstrip()) > width
                and not ln.lstrip().startswith(("next:", "fix:"))]  # commands are never folded
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
