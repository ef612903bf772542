"""export.py (issue 21): a lab grown by hand (tests/export_lab.py) exported as Terraform that real Terraform adopts
with no change, as CloudFormation, and compared with what is live (--drift).

The proof is Terraform itself: /usr/local/bin/terraform (1.11) with hashicorp/aws from a local filesystem mirror
(/opt/tf-plugins), pointed at the sandbox through AWS_ENDPOINT_URL, which the provider honours
(registry.terraform.io/providers/hashicorp/aws/latest/docs, "Provider Configuration": AWS_ENDPOINT_URL). What only
the sandbox needs (path-style S3, no credential check) goes in an override file this test writes, never in the
export. One `terraform init` for the module; skipped, saying why, where terraform or the mirror is absent.

Region: only this file uses ap-southeast-4 (the lab) and ap-southeast-5 (the CloudFormation round trip)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import export_lab
import pytest
from conftest import TOOLS, Run, clean_env
from terraform_sandbox import CLI_CONFIG, OVERRIDE, TERRAFORM, available

REGION = "ap-southeast-4"
PREFIX = "iac21"
AWS_IDS = re.compile(r"\b(?:vpc|subnet|rtb|igw|nat|eipalloc|vpce|sg|sgr|acl|i|vol|rtbassoc|eni)-[0-9a-f]{8,17}\b")


def export(sandbox, state: Path, *args: str) -> Run:
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, AWSWIZ_STATE_DIR=str(state))
    p = subprocess.run([sys.executable, str(TOOLS / "export.py"), *args], env=env, capture_output=True, text=True,
                       timeout=180)
    return Run(p.returncode, p.stdout, p.stderr)


@pytest.fixture(scope="module")
def lab(sandbox) -> dict:
    return export_lab.build(sandbox.client, REGION, PREFIX)


@pytest.fixture(scope="module")
def tf_export(sandbox, lab, tmp_path_factory) -> tuple[Path, dict]:
    """The lab's VPC and its bucket exported as Terraform: (folder, envelope)."""
    base = tmp_path_factory.mktemp("tf")
    state = base / "state"
    state.mkdir(mode=0o700)
    out = base / "export"
    r = export(sandbox, state, "--vpc", lab["vpc"], "--id", lab["bucket"], "--region", REGION, "--out", str(out))
    assert r.code == 0, r.stdout + r.stderr
    return out, r.json


def terraform(folder: Path, sandbox, *args: str) -> subprocess.CompletedProcess:
    cfg = folder.parent / "cli.tfrc"
    cfg.write_text(CLI_CONFIG)
    env = clean_env(AWS_ENDPOINT_URL=sandbox.url, TF_CLI_CONFIG_FILE=str(cfg), TF_IN_AUTOMATION="1",
                    AWS_REGION=REGION, CHECKPOINT_DISABLE="1")
    return subprocess.run([TERRAFORM, f"-chdir={folder}", *args, "-no-color"], env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def tf_ready(tf_export, sandbox) -> Path:
    if not available():
        pytest.skip("terraform or its provider mirror (/opt/tf-plugins) is not installed: the Terraform proof "
                    "needs both (issue 21)")
    folder, _ = tf_export
    (folder / "sandbox_override.tf").write_text(OVERRIDE)
    init = terraform(folder, sandbox, "init", "-input=false")
    assert init.returncode == 0, init.stdout + init.stderr
    return folder


def test_terraform_files_refer_to_each_other_and_import_everything(tf_export, lab):
    folder, doc = tf_export
    data = doc["data"]
    assert data["files"] == ["awswiz-export.json", "imports.tf", "main.tf", "versions.tf"]
    main = (folder / "main.tf").read_text()
    imports = (folder / "imports.tf").read_text()
    # every kind asked for is there
    for kind in ("aws_vpc", "aws_subnet", "aws_route_table", "aws_route_table_association", "aws_internet_gateway",
                 "aws_nat_gateway", "aws_eip", "aws_vpc_endpoint", "aws_security_group",
                 "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule", "aws_network_acl",
                 "aws_instance", "aws_ebs_volume", "aws_volume_attachment", "aws_key_pair", "aws_iam_role",
                 "aws_iam_role_policy", "aws_iam_role_policy_attachment", "aws_iam_instance_profile", "aws_s3_bucket",
                 "aws_s3_bucket_versioning", "aws_s3_bucket_server_side_encryption_configuration",
                 "aws_s3_bucket_public_access_block", "aws_s3_bucket_policy", "aws_s3_bucket_lifecycle_configuration"):
        assert f'resource "{kind}" ' in main, kind
    # references, never the literal id of an exported resource (the AMI is not exported: it stays an id)
    assert AWS_IDS.findall(main) == [], AWS_IDS.findall(main)
    assert "vpc_id                  = aws_vpc.iac21_vpc.id" in main or "vpc_id = aws_vpc.iac21_vpc.id" in main
    assert "nat_gateway_id = aws_nat_gateway.nat.id" in main
    assert "referenced_security_group_id = aws_security_group.web.id" in main
    assert "iam_instance_profile   = aws_iam_instance_profile.iac21_profile.name" in main
    # one import block per resource, by the id the provider imports it by
    assert imports.count("import {") == data["resources"] == len(data["addresses"])
    assert f'id = "{lab["subnets"][0]}/{lab["route_tables"][0]}"' in imports  # association: subnet/rtb
    assert f'id = "/dev/sdf:{lab["volume"]}:{lab["instance"]}"' in imports
    # the Name tag "../private b" is an identifier, never a path; the export's files have fixed names
    assert 'resource "aws_subnet" "private_b"' in main
    assert sorted(p.name for p in folder.parent.rglob("*") if p.is_file() and "state" not in p.parts) == \
        sorted(["awswiz-export.json", "imports.tf", "main.tf", "versions.tf"])
    # what AWS made is left to AWS, and said; user data is a placeholder, its secret nowhere
    why = {(s["type"], s["id"]): s["why"] for s in data["skipped"]}
    assert {t for t, _ in why} >= {"vpc:route-table", "vpc:security-group", "vpc:network-acl", "ec2:user-data",
                                   "ec2:image"}
    # a type export does not know is listed with why, never dropped silently; an instance's own interface is not
    assert [i for t, i in why if t == "vpc:network-interface"] == [lab["eni"]]
    assert "made by hand" in why[("vpc:network-interface", lab["eni"])]
    for p in folder.iterdir():
        if p.is_file():
            assert export_lab.SECRET not in p.read_text(), p.name
    assert "ignore_changes = [user_data, user_data_replace_on_change]" in main


def test_export_only_reads(sandbox, lab, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    mark = sandbox.mark()
    r = export(sandbox, state, "--vpc", lab["vpc"], "--region", REGION, "--out", str(tmp_path / "x"))
    assert r.code == 0, r.stderr
    calls = sandbox.calls(mark)
    assert calls
    writes = [c for c in calls if (c["action"] or "").startswith(("Create", "Delete", "Modify", "Put", "Attach",
                                                                   "Associate", "Authorize", "Revoke", "Run"))
              or (c["service"] == "s3" and c["method"] not in ("GET", "HEAD"))]
    assert writes == []


def test_terraform_fmt_validate_and_plan_adopt_with_no_change(tf_ready, tf_export, sandbox):
    folder, doc = tf_export
    fmt = terraform(folder, sandbox, "fmt", "-check", "-diff")
    assert fmt.returncode == 0, fmt.stdout
    valid = terraform(folder, sandbox, "validate")
    assert valid.returncode == 0, valid.stdout + valid.stderr
    plan = terraform(folder, sandbox, "plan", "-input=false")
    assert plan.returncode == 0, plan.stdout[-3000:] + plan.stderr
    n = doc["data"]["resources"]
    assert f"Plan: {n} to import, 0 to add, 0 to change, 0 to destroy." in plan.stdout, changes(plan.stdout)


def changes(plan: str) -> str:
    """The resources a plan would change (not only import), for a failure's message."""
    return "\n\n".join(b for b in plan.split("\n\n") if re.search(r"will be (updated|created|destroyed)|must be "
                                                                  r"replaced", b))


@pytest.mark.parametrize("args, words", [
    (["--vpc", "vpc-0abc", "--format", "pulumi"], "terraform, cloudformation"),
    (["--tag", "project"], "KEY=VALUE"),
    (["--vpc", "default"], "vpc-"),
    ([], "--vpc ID, --tag KEY=VALUE or --id ID"),
    (["--vpc", "vpc-0abc", "--region", "us-east-1,eu-west-1"], "one region"),
    (["--drift", "."], "not an export"),
])
def test_bad_input_sends_and_writes_nothing(offline, state_dir, tmp_path, args, words):
    r = offline.run("export", *args)
    assert r.code == 2, r.stdout + r.stderr
    assert words in r.json["errors"][0]["message"]
    assert offline.connections == 0
    assert list(state_dir.iterdir()) == []


@pytest.mark.parametrize("tool, args, lead", [
    ("export", ["--vpc", "vpc-0abc"], "--region must name one region for an export"),
    ("alarms", ["notify", "--email", "me@lab.org", "--on", "stopped"], "this tool changes one region at a time"),
])
@pytest.mark.parametrize("region", ["all", "us-east-1,eu-west-1"])
def test_one_region_is_the_cores_for_export_and_the_changing_tools_and_all_is_refused_before_any_call(
        offline, tool, args, lead, region):
    """guard.targets.one_region serves both (export reads, alarms changes): `all` is refused without asking
    DescribeRegions, two names with a hint that names them and runs in the first."""
    r = offline.run(tool, *args, "--region", region)
    assert r.code == 2, r.stdout + r.stderr
    err = r.json["errors"][0]
    assert err["message"].startswith(f"{lead} (got --region {region}"), err
    first = "eu-west-1" if "," in region else "us-east-1"  # the first named, or the home region
    assert err["hint"].endswith(f"--region {first}") and f"uv run tools/{tool}.py" in err["hint"], err
    if "," in region:
        assert "eu-west-1, us-east-1" in err["message"] and err["hint"].startswith("name one of eu-west-1, us-east-1")
    assert offline.connections == 0


def test_export_of_an_unknown_region_is_exit_2_naming_the_valid_ones(offline):
    r = offline.run("export", "--vpc", "vpc-0abc", "--region", "mars-1")
    assert r.code == 2 and "valid regions" in r.json["errors"][0]["message"], r.stdout
    assert offline.connections == 0


def test_out_that_holds_other_files_is_refused(offline, state_dir, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    r = offline.run("export", "--vpc", "vpc-0abc", "--region", "us-east-1", "--out", str(out))
    assert r.code == 2 and "not an earlier export" in r.json["errors"][0]["message"]
    assert offline.connections == 0
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize("args, words", [
    (["--vpc", "vpc-0000000000000dead"], "does not exist"),
    (["--id", "no-such-thing-anywhere"], "is no resource"),
    (["--tag", "iac21-missing=nothing"], "matches nothing"),
])
def test_unknown_selection_is_bad_input_and_writes_nothing(sandbox, lab, tmp_path, args, words):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    out = tmp_path / "out"
    r = export(sandbox, state, *args, "--region", REGION, "--out", str(out))
    assert r.code == 2, r.stdout + r.stderr
    assert words in r.json["errors"][0]["message"]
    assert not out.exists()


def test_export_again_into_its_folder_replaces_it(sandbox, lab, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    out = tmp_path / "out"
    first = export(sandbox, state, "--id", lab["bucket"], "--region", REGION, "--out", str(out))
    assert first.code == 0, first.stderr
    again = export(sandbox, state, "--id", lab["role"], "--region", REGION, "--out", str(out))
    assert again.code == 0, again.stderr
    main = (out / "main.tf").read_text()
    assert 'resource "aws_iam_role" "iac21_role"' in main and "aws_s3_bucket" not in main


def test_tag_selects_what_carries_it(sandbox, lab, tmp_path):
    """The VPC carries project=iac21 (so all in it comes), so do the instance, the role and the bucket."""
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    r = export(sandbox, state, "--tag", f"project={PREFIX}", "--region", REGION, "--out", str(tmp_path / "o"))
    assert r.code == 0, r.stderr
    got = r.json["data"]["addresses"]
    for key in ("vpc", "instance", "bucket", "nat", "endpoint", "acl", "volume"):
        assert lab[key] in got, key
    assert f"role/{lab['role']}" in got


# --- CloudFormation -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cfn_export(sandbox, lab, tmp_path_factory) -> tuple[Path, dict]:
    base = tmp_path_factory.mktemp("cfn")
    state = base / "state"
    state.mkdir(mode=0o700)
    out = base / "export"
    r = export(sandbox, state, "--vpc", lab["vpc"], "--id", lab["bucket"], "--region", REGION, "--out", str(out),
               "--format", "cloudformation")
    assert r.code == 0, r.stdout + r.stderr
    return out, r.json


def test_cloudformation_template_lints_and_names_what_to_import(cfn_export, lab):
    folder, doc = cfn_export
    assert doc["data"]["files"] == ["awswiz-export.json", "import.json", "template.yaml"]
    text = (folder / "template.yaml").read_text()
    # cfn-lint's exit code is a bitmask: 2 errors, 4 warnings, 8 informational (cfn-lint README, "Exit Codes");
    # hard-coded availability zones (W3010) are a warning an export of existing subnets must keep
    lint = subprocess.run([sys.executable, "-m", "cfnlint", str(folder / "template.yaml")], capture_output=True,
                          text=True, timeout=300)
    assert lint.returncode & 2 == 0, lint.stdout + lint.stderr
    assert not re.search(r"^E\d{4}", lint.stdout, re.M), lint.stdout
    assert AWS_IDS.findall(text) == [], AWS_IDS.findall(text)
    assert "VpcId: !Ref " in text and "AllocationId: !GetAtt " in text and "SourceSecurityGroupId: !GetAtt " in text
    assert export_lab.SECRET not in text
    resources = re.findall(r"^  (\w+):\n    Type: \"([\w:]+)\"\n    DeletionPolicy: \"Retain\"", text, re.M)
    assert len(resources) == text.count("\n    Type: ")  # every resource is retained
    imports = json.loads((folder / "import.json").read_text())
    # a change set of type IMPORT names each resource of the template once, with its identifier
    assert sorted((i["LogicalResourceId"], i["ResourceType"]) for i in imports) == sorted(resources)
    assert all(i["ResourceIdentifier"] and None not in i["ResourceIdentifier"].values() for i in imports), imports
    by_type = {i["ResourceType"]: i["ResourceIdentifier"] for i in imports}
    assert by_type["AWS::EC2::VPC"] == {"VpcId": lab["vpc"]}
    assert by_type["AWS::S3::Bucket"] == {"BucketName": lab["bucket"]}
    # db's rule naming db itself is a resource of its own (inside the group it would be a circular reference)
    assert list(by_type["AWS::EC2::SecurityGroupIngress"]) == ["Id"]
    assert "GroupId: !GetAtt DbSecurityGroup.GroupId" in text


def network(run: Run, vpc: str, skipped: frozenset = frozenset()) -> dict:
    """scan's records of one VPC, without ids, less what the export said it skipped: what a copy must equal."""
    ids = {}
    recs = [r for r in run.json["data"]["resources"] if (r.get("vpc") == vpc or vpc in r.get("vpcs", [])
                                                         or r["id"] == vpc) and r["id"] not in skipped]
    for r in recs:
        ids[r["id"]] = r.get("name") or r["type"]
    keep = ("type", "name", "cidr", "az", "description", "main", "default", "service_name", "endpoint_type",
            "open_to_world", "interface_type")
    out: dict[str, list] = {}
    for r in recs:
        rec = {k: AWS_IDS.sub("<id>", r[k]) if isinstance(r[k], str) else r[k] for k in keep if k in r}
        for k in ("subnet", "attached_to"):
            if k in r:
                rec[k] = ids.get(r[k], "?")
        if "subnets" in r:
            rec["subnets"] = sorted(ids.get(s, "?") for s in r["subnets"])
        if "references" in r:
            rec["references"] = sorted(ids.get(s, "?") for s in r["references"])
        out.setdefault(r["type"], []).append(json.dumps(rec, sort_keys=True))
    return {k: sorted(v) for k, v in out.items()}


def test_cloudformation_round_trip_gives_the_same_network(sandbox, tmp_path):
    """The network exported as a template, deployed with CreateStack into a fresh sandbox (another account's
    worth of AWS: an empty emulator), scans the same as the original (names, CIDRs, zones, routes' subnets, groups'
    references; ids aside)."""
    from conftest import start_sandbox

    net = export_lab.build(sandbox.client, REGION, "iac21net", net="10.43", network_only=True)
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    out = tmp_path / "net"
    r = export(sandbox, state, "--vpc", net["vpc"], "--region", REGION, "--out", str(out), "--format",
               "cloudformation")
    assert r.code == 0, r.stderr
    fresh = start_sandbox(tmp_path / "fresh", seed=False)
    try:
        cfn = fresh.client("cloudformation", REGION)
        cfn.create_stack(StackName="lab", TemplateBody=(out / "template.yaml").read_text())
        cfn.get_waiter("stack_create_complete").wait(StackName="lab", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        logical = r.json["data"]["addresses"][net["vpc"]]
        new_vpc = cfn.describe_stack_resource(StackName="lab", LogicalResourceId=logical)["StackResourceDetail"][
            "PhysicalResourceId"]

        def scan(url: str) -> Run:
            env = clean_env(AWS_ENDPOINT_URL=url, AWSWIZ_STATE_DIR=str(state))
            p = subprocess.run([sys.executable, str(TOOLS / "scan.py"), "--region", REGION, "--service", "vpc"],
                               env=env, capture_output=True, text=True, timeout=180)
            return Run(p.returncode, p.stdout, p.stderr)

        # what the export said it does not write (the hand-made interface); what AWS made (main route table,
        # default group) AWS makes again in the copy
        skipped = frozenset(x["id"] for x in r.json["data"]["skipped"] if "not exported" in x["why"])
        before, after = network(scan(sandbox.url), net["vpc"], skipped), network(scan(fresh.url), new_vpc)
    finally:
        fresh.proc.terminate()
        fresh.proc.wait(10)
    assert set(before) >= {"vpc:vpc", "vpc:subnet", "vpc:route-table", "vpc:internet-gateway", "vpc:nat-gateway",
                           "vpc:endpoint", "vpc:security-group"}
    assert after == before, json.dumps({k: {"original": before.get(k), "deployed": after.get(k)}
                                        for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)},
                                       indent=1)


# --- drift ------------------------------------------------------------------------------------------------------
def test_drift_reports_a_change_exactly_when_terraform_plans_one(tf_export, sandbox, lab, tmp_path):
    """No change: drift exit 0 (and the plan test above: 0 to change). A subnet's attribute changed by hand: drift
    names it (exit 3), and terraform plan sees one change, in that subnet. Put back: no drift again."""
    folder, doc = tf_export
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    clean = export(sandbox, state, "--drift", str(folder))
    assert clean.code == 0, clean.stdout + clean.stderr
    assert clean.json["data"]["differences"] == [] and clean.json["data"]["gone"] == [] \
        and clean.json["data"]["new"] == []
    ec2 = sandbox.client("ec2", REGION)
    public = lab["subnets"][0]
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": False})
    try:
        drifted = export(sandbox, state, "--drift", str(folder))
        assert drifted.code == 3, drifted.stdout + drifted.stderr
        d = drifted.json["data"]
        assert d["differences"] == [{"id": public, "type": "vpc:subnet", "name": "public-a",
                                     "attribute": "map_public_ip_on_launch", "exported": True, "live": False}]
        assert d["gone"] == [] and d["new"] == []
        if available():
            if not (folder / ".terraform").is_dir():
                (folder / "sandbox_override.tf").write_text(OVERRIDE)
                assert terraform(folder, sandbox, "init", "-input=false").returncode == 0
            plan = terraform(folder, sandbox, "plan", "-input=false")
            n = doc["data"]["resources"]
            assert f"Plan: {n} to import, 0 to add, 1 to change, 0 to destroy." in plan.stdout, changes(plan.stdout)
            assert "aws_subnet.public_a will be updated in-place" in plan.stdout
            assert "~ map_public_ip_on_launch" in plan.stdout
    finally:
        ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    assert export(sandbox, state, "--drift", str(folder)).code == 0


def test_drift_lists_what_is_gone_and_what_is_new(sandbox, tmp_path):
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.44.0.0/16", TagSpecifications=export_lab.spec("vpc", "drift"))["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.44.1.0/24", AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    out = tmp_path / "drift"
    assert export(sandbox, state, "--vpc", vpc, "--region", REGION, "--out", str(out)).code == 0
    ec2.delete_subnet(SubnetId=sub)
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "drift-renamed"}])
    mark = sandbox.mark()
    r = export(sandbox, state, "--drift", str(out))
    assert r.code == 3, r.stdout + r.stderr
    d = r.json["data"]
    assert d["gone"] == [{"id": sub, "type": "vpc:subnet", "name": sub}]
    assert [(n["type"], n["name"]) for n in d["new"]] == [("vpc:security-group-ingress", "app tcp_22")]
    assert {(x["id"], x["attribute"], x["exported"], x["live"]) for x in d["differences"]} == \
        {(vpc, "tags.Name", "drift", "drift-renamed")}
    # drift only reads, and writes nothing into the export
    assert all((c["action"] or "").startswith(("Describe", "Get", "List")) or c["method"] in ("GET", "HEAD")
               for c in sandbox.calls(mark))
    assert sorted(p.name for p in out.iterdir()) == ["awswiz-export.json", "imports.tf", "main.tf", "versions.tf"]


def test_default_out_is_a_private_folder_under_state(sandbox, lab, tmp_path):
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    r = export(sandbox, state, "--id", lab["key"], "--region", REGION)
    assert r.code == 0, r.stderr
    out = Path(r.json["data"]["out"])
    assert out == state / "exports" / f"{REGION}-{lab['key']}"
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o600"}
    assert r.json["next"] == [f"uv run tools/export.py --drift {out} --region {REGION}"]


def test_names_from_tags_are_identifiers_and_strings_are_escaped():
    """Pure logic (no AWS): a Name tag becomes a valid, unique identifier; a value is written as data, never as
    a Terraform template or a YAML tag (HCL: `${` and `%{` start templates; spec.hcl "Template Expressions")."""
    from _awswiz.iac import cloudformation, hcl, names

    assert names.identifier("../private b") == "private_b"
    assert names.identifier("1st box") == "r_1st_box" and names.identifier("../..") == "unnamed"
    got = names.assign([{"id": "a", "name": "web", "type": "t"}, {"id": "b", "name": "Web!", "type": "t"}],
                       lambda r: r["type"])
    assert got == {"a": "web", "b": "web_2"}
    assert hcl.string('a "b" ${x} %{y} \\ \n') == '"a \\"b\\" $${x} %%{y} \\\\ \\n"'
    assert names.logical_id("../x y", "Subnet") == "XYSubnet"
    assert cloudformation.yaml_lines({"Name": "!Ref x: y"}) == ['Name: "!Ref x: y"']
