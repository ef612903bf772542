"""launch.py --subnet of a private subnet (issue 23 item 3): SSH reaches the box through a public box AwsWiz launched
in the same VPC (a head node), as a jump host, never by opening the subnet. The box gets no public IPv4 (it could
not be reached there and would still be billed), its group allows 22/tcp from the jump host's private address only,
and its Host block says ProxyJump.

A subnet is public when its route table (its explicit association, else the VPC's main table) sends 0.0.0.0/0 to an
internet gateway (Amazon VPC User Guide, "Subnets for your VPC": "Public subnet - The subnet has a direct route to an
internet gateway"; "Private subnet - The subnet does not have a direct route to an internet gateway").
"""

from __future__ import annotations

from _awswiz.compute import keys, ssh
from _awswiz.shell.errors import AwsWizError, BadInput

WORLD = "0.0.0.0/0"
JUMP_TAG = "awswiz:ssh-jump"  # on a private box: the id of the head launch chose as its jump host


def _table(ec2, subnet: str, vpc: str) -> dict | None:
    """The route table the subnet uses: its explicit association, else the VPC's main table."""
    own = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["RouteTables"]
    if own:
        return own[0]
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"]
    return main[0] if main else None


def is_public(table: dict | None) -> bool:
    return any(r.get("DestinationCidrBlock") == WORLD and str(r.get("GatewayId", "")).startswith("igw-")
               for r in (table or {}).get("Routes", []))


def find(ctx, subnet: str, region: str, local: bool) -> dict | None:
    """None for a public subnet; for a private one, the jump host (the newest running AwsWiz box of the VPC with a
    public address and a saved key); none there: {"missing": why}, a warning of the plan."""
    from _awswiz.shell import hints

    ec2 = ctx.aws.client("ec2", region)
    found = ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet]}])["Subnets"]
    if not found:
        raise BadInput(f"--subnet {subnet} does not exist in {region}", hints.command(ctx, "network", "list"))
    vpc = found[0]["VpcId"]
    if is_public(_table(ec2, subnet, vpc)):
        return None
    boxes = heads(ec2, vpc)
    if not boxes:  # said in the plan (a warning), which the guard may still refuse first (a protected network)
        return {"missing": f"--subnet {subnet} is private (no route to an internet gateway) and VPC {vpc} has no "
                           "running AwsWiz box with a public address to jump through: the box would be unreachable "
                           f"over SSH; launch a head node into a public subnet of {vpc} first (ids: "
                           f"{hints.command(ctx, 'network', 'list', region=region)})"}
    j = boxes[0]
    tags = _tags(j)
    return {"id": j["InstanceId"], "public_ip": j["PublicIpAddress"], "private_ip": j["PrivateIpAddress"],
            "alias": f"jump-{j['InstanceId']}", "key": tags[ssh.KEY_TAG], "user": tags.get(ssh.USER_TAG) or "ubuntu",
            "address": ssh.address(j, local), "cidr": f"{j['PrivateIpAddress']}/32",
            "source": f"jump host {j['InstanceId']}: the subnet is private"}


class NoJumpHost(AwsWizError):
    """A private box with no head to jump through (exit 1: the input is fine, the VPC lacks a head). `next`: launch
    a head into each public subnet of the VPC (one DescribeRouteTables), and network list."""

    code = "NoJumpHost"

    def __init__(self, ctx, ec2, inst: dict, region: str):
        from _awswiz.shell import hints

        vpc = inst["VpcId"]
        tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
        public = sorted({a["SubnetId"] for t in tables if is_public(t) for a in t.get("Associations", [])
                         if a.get("SubnetId")})
        self.next = [hints.command(ctx, "launch", "--type", inst["InstanceType"], "--name", f"head-{vpc}",
                                   "--subnet", s, region=region) for s in public[:2]]
        self.next.append(hints.command(ctx, "network", "list", region=region))
        super().__init__(f"{inst['InstanceId']} has no public address (a private subnet) and VPC {vpc} has no "
                         "running AwsWiz box with a public address and a saved key to jump through",
                         f"launch a head node into a public subnet of {vpc} ({', '.join(public) or 'none found'}), "
                         "then connect again: see next", region=region)


def heads(ec2, vpc: str) -> list[dict]:
    """The running AwsWiz boxes of the VPC with a public address and a saved key, newest first: the boxes SSH can
    jump through."""
    return usable(i for r in ec2.describe_instances(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "instance-state-name", "Values": ["running"]},
        {"Name": "tag:awswiz:managed", "Values": ["true"]}])["Reservations"] for i in r["Instances"])


def usable(boxes, vpc: str | None = None) -> list[dict]:
    """Of described boxes (of the VPC, when given): the running managed ones with a public address and a saved
    key, newest first."""
    return sorted((i for i in boxes if i.get("PublicIpAddress") and i["State"]["Name"] == "running"
                   and (vpc is None or i.get("VpcId") == vpc) and _tags(i).get("awswiz:managed") == "true"
                   and keys.saved(_tags(i).get(ssh.KEY_TAG))),
                  key=lambda i: str(i.get("LaunchTime")), reverse=True)


def private(inst: dict) -> bool:
    """A box SSH reaches through a jump host: no public IPv4 (a private subnet)."""
    return not inst.get("PublicIpAddress") and bool(inst.get("VpcId"))


def choose(inst: dict, found: list[dict], local: bool) -> dict | None:
    """Of usable() heads: the one launch recorded (tag awswiz:ssh-jump, read, never trusted: it must be one of
    them), else the newest; {"id", "host", "port", "user", "key"}, or None when there is none."""
    found = [i for i in found if i["InstanceId"] == _tags(inst).get(JUMP_TAG)] or found
    if not found:
        return None
    j = found[0]
    tags = _tags(j)
    host, port = ssh.address(j, local) or (j["PublicIpAddress"], 22)
    return {"id": j["InstanceId"], "host": host, "port": port, "user": ssh.login_user(tags, j["InstanceId"]),
            "key": tags[ssh.KEY_TAG]}


def head_of(ctx, ec2, inst: dict, region: str, local: bool) -> dict | None:
    """How SSH reaches a box (connect.py): None for a public box; else its head (choose()); none: NoJumpHost."""
    if not private(inst):
        return None
    via = choose(inst, heads(ec2, inst["VpcId"]), local)
    if via is None:
        raise NoJumpHost(ctx, ec2, inst, region)
    return via


def _tags(inst: dict) -> dict:
    return {t["Key"]: t["Value"] for t in inst.get("Tags", [])}


def describe(jump: dict) -> str:
    return (f"private subnet: no public IPv4; SSH through {jump['id']} ({jump['public_ip']}) as a jump host "
            f"(ProxyJump {jump['alias']}); tcp/22 only from its private address {jump['cidr']}")


def save_host_blocks(jump: dict, alias: str, host: str, port: int, user: str, key_name: str) -> str:
    """The jump host's Host block and the box's, reached through it (ssh_config(5), ProxyJump), in
    .state/ssh_config; returns its path."""
    jhost, jport = jump["address"] or (jump["public_ip"], 22)
    ssh.save_host_block(jump["alias"], ssh.host_block(jump["alias"], jhost, jport, jump["user"], jump["key"]))
    return ssh.save_host_block(alias, ssh.host_block(alias, host, port, user, key_name)
                               + f"  ProxyJump {jump['alias']}\n")
