"""cleanup_sg.py: unused groups go (cross-references revoked first); used, referenced, protected stay."""

from __future__ import annotations

from guard_flow import Flow
from mutation_helpers import image, mutating_calls, name

REGION = "ap-south-1"


def sg(ec2, vpc, label, tags=None):
    kw = {"TagSpecifications": [{"ResourceType": "security-group", "Tags": [
        {"Key": k, "Value": v} for k, v in tags.items()]}]} if tags else {}
    return ec2.create_security_group(GroupName=name(label), Description=label, VpcId=vpc, **kw)["GroupId"]


def allow_from(ec2, group, source, port=443):
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": source}]}])


def test_plan_on_the_lab_names_the_unused_pair_and_changes_nothing(sandbox, run_tool, state_dir):
    mark = sandbox.mark()
    r = run_tool("cleanup_sg", "--region", "us-east-1")
    assert r.code == 0, r.stdout + r.stderr
    plan = r.json["data"]["plan"]
    deleted = {a["name"] for a in plan if a["action"] == "delete"}
    assert deleted == {"unused-a", "unused-b"}  # not ssh-open (in use), never default
    kinds = [a["action"] for a in plan]
    assert kinds.index("delete") > max(i for i, k in enumerate(kinds) if k == "revoke-ingress")
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()


def test_cleanup_deletes_only_unused_groups_in_a_valid_order(sandbox, run_tool, state_dir):
    ec2 = sandbox.client("ec2", REGION)
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    x, y = sg(ec2, vpc, "x"), sg(ec2, vpc, "y")
    allow_from(ec2, x, y)
    allow_from(ec2, y, x)
    ec2.authorize_security_group_egress(GroupId=x, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": y}]}])
    used, kept_ref, guarded = sg(ec2, vpc, "used"), sg(ec2, vpc, "ref"), sg(ec2, vpc, "prot", {"env": "prod"})
    allow_from(ec2, used, kept_ref)  # used refers to ref: ref stays
    ec2.run_instances(ImageId=image(ec2), MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[used])
    flow = Flow(sandbox, run_tool, state_dir, "cleanup_sg", "--region", REGION)
    data = flow.plan()
    assert {a["id"] for a in data["plan"] if a["action"] == "delete"} == {x, y}
    assert {s["id"] for s in data["skipped"]} >= {kept_ref, guarded}
    flow.confirm()
    left = {g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])[
        "SecurityGroups"]}
    assert x not in left and y not in left and {used, kept_ref, guarded} <= left
    assert flow.ops == ["RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "RevokeSecurityGroupIngress",
                        "DeleteSecurityGroup", "DeleteSecurityGroup"]  # the audit log is the server's (flow)


def test_max_caps_the_groups_deleted(sandbox, run_tool):
    ec2 = sandbox.client("ec2", "ap-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.51.0.0/16")["Vpc"]["VpcId"]
    groups = [sg(ec2, vpc, "many") for _ in range(3)]
    r = run_tool("cleanup_sg", "--region", "ap-east-1", "--max", "2")
    assert r.code == 4 and "--max 2" in r.json["errors"][0]["message"]
    left = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert set(groups) <= left


def test_unused_groups_in_a_protected_vpc_stay(sandbox, guarded):
    """Issue 7 item 3: a resource is protected if what contains it (its VPC) is."""
    region = "me-central-1"
    ec2 = sandbox.client("ec2", region)
    prod = ec2.create_vpc(CidrBlock="10.52.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": "Env", "Value": "Production"}]}])["Vpc"]["VpcId"]
    dev = ec2.create_vpc(CidrBlock="10.53.0.0/16")["Vpc"]["VpcId"]
    kept, gone = sg(ec2, prod, "in-prod"), sg(ec2, dev, "in-dev")
    flow = guarded("cleanup_sg", "--region", region)
    data = flow.plan()
    assert {a["id"] for a in data["plan"]} == {gone}
    assert prod in {s["id"]: s["reason"] for s in data["skipped"]}[kept]
    flow.confirm()
    left = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert kept in left and gone not in left
    assert flow.ops == ["DeleteSecurityGroup"]
