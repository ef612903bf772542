"""launch.py --cluster: N nodes at once, close together, on the fast fabric, able to talk to each other. Hooks that
launch.py, launch_plan and launch_run call when the request is a cluster; nothing here runs otherwise.

AWS rules (each cited where used):
- a cluster placement group packs instances close together inside one Availability Zone (Amazon EC2 User Guide,
  "Placement strategies": cluster; "Placement group rules and limitations"); launch creates one per launch, tagged,
  removed with the last node (removal/launch_cleanup) or when the launch fails (rollback);
- all N nodes in one RunInstances with MinCount = MaxCount = N: "If Amazon EC2 cannot launch at least MinCount
  instances, no instances are launched at all" (EC2 API Reference, RunInstances MinCount), and the User Guide
  advises launching a cluster group's instances in one request ("Placement group rules and limitations");
- EFA where DescribeInstanceTypes says NetworkInfo.EfaSupported: the primary interface InterfaceType=efa (EC2 API
  Reference, InstanceNetworkInterfaceSpecification.InterfaceType); an EFA's security group "must allow all inbound
  and outbound traffic to and from the security group itself" (User Guide, "Elastic Fabric Adapter: prepare an
  EFA-enabled security group"); NCCL between the nodes needs the same;
- "You can't launch a Spot Instance that is configured to stop or hibernate on interruption in a placement group"
  (rules and limitations): --cluster with --spot --persistent is bad input;
- the boot script finds its rank in instance metadata (ami-launch-index: "the order in which the instance was
  launched" in its request, 0 first) and the nodes' addresses in instance tags read through instance metadata
  (MetadataOptions InstanceMetadataTags=enabled; "Work with instance tags in instance metadata": a tag key there
  may not contain '/' or spaces).
"""

from __future__ import annotations

GROUP_PREFIX = "awswiz-ssh-cluster-"  # under launch_cleanup's awswiz-ssh-: removed with the last node
PG_TAG = "awswiz:placement-group"
RANK_TAG = "awswiz:node-rank"
HOSTS_TAG = "awswiz:cluster-hosts-"  # -0, -1, ...: the nodes' private IPs in launch order, comma-separated
TAG_VALUE_MAX = 256  # EC2 User Guide, "Tag restrictions": a tag value is at most 256 Unicode characters
INIT = "cluster_env"


def check(count: int, spot: bool, persistent: bool) -> None:
    from _awswiz.shell.errors import BadInput

    if count < 2:
        raise BadInput(f"--cluster needs --count 2 or more (got {count})", "e.g. --count 2 --cluster")
    if spot and persistent:
        raise BadInput("--cluster with --spot --persistent: AWS launches no spot instance that stops on interruption "
                       "into a placement group", "use a one-time --spot, or on-demand")


def pg_name(name: str) -> str:
    return f"awswiz-{name}"


def group_name(name: str) -> str:
    return GROUP_PREFIX + name


def efa_info(ctx, region: str, instance_type: str) -> dict:
    """{"supported": bool, "max_interfaces": N} from DescribeInstanceTypes NetworkInfo."""
    got = ctx.aws.client("ec2", region).describe_instance_types(InstanceTypes=[instance_type])["InstanceTypes"]
    net = got[0].get("NetworkInfo", {}) if got else {}
    return {"supported": bool(net.get("EfaSupported")),
            "max_interfaces": (net.get("EfaInfo") or {}).get("MaximumEfaInterfaces", 0)}


def describe(ctx, req, best: dict, detail: dict, price: float | None) -> None:
    """The plan's words for a cluster: placement group, EFA, the group's rules, N nodes' price and how they boot."""
    efa = best["efa"] = efa_info(ctx, best["region"], req.instance_type)
    detail["cluster"] = {
        "nodes": req.count, "placement_group": f"{pg_name(req.name)} (cluster strategy: one AZ, created and tagged; "
                                               "removed with the last node)",
        "one_request": f"RunInstances MinCount=MaxCount={req.count}: all nodes or none",
        "efa": (f"primary interface EFA (the type takes up to {efa['max_interfaces']})" if efa["supported"]
                else f"{req.instance_type} has no EFA (DescribeInstanceTypes EfaSupported false): ENA only"),
        "security_group": f"{group_name(req.name)}: all traffic from itself, tcp/22 from {req.ssh_cidr}",
        "price_per_hour_all_nodes": round(price * req.count, 4) if price is not None else None,
        "boot": "each node writes /etc/awswiz/hostfile and cluster.env (MASTER_ADDR = node 0's private IP, NNODES, "
                "NODE_RANK, NPROC_PER_NODE, WORLD_SIZE) for torchrun",
        "ssh": f"one Host block per node: {req.name}-0 (head) .. {req.name}-{req.count - 1}"}
    detail["creates"] = [c for c in detail.get("creates", []) if not c.startswith(("security group", "reuses"))]
    detail["creates"] += [f"placement group {pg_name(req.name)} (cluster)",
                          f"security group {group_name(req.name)} in {best['vpc']}"]


# --- launch_run hooks: `launcher` is the Launcher (its ctx, req, tags, made) ----------------------------------

def group_in(launcher, view: dict) -> str:
    """The cluster's own group: all traffic from itself, SSH from the CIDR; made once per region, or reused when an
    earlier (killed) launch of the same name made it."""
    region, req = view["region"], launcher.req
    if view.get("cluster_group"):
        return view["cluster_group"]
    ec2 = launcher.ctx.aws.client("ec2", region)
    name = group_name(req.name)
    found = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [view["vpc"]]},
                                                  {"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    if found:
        gid = found[0]["GroupId"]
    else:
        gid = ec2.create_security_group(
            GroupName=name, VpcId=view["vpc"], Description=f"AwsWiz cluster {req.name}: all from itself, SSH from "
            f"{req.ssh_cidr}",
            TagSpecifications=launcher.spec("security-group", {**launcher.tags, "Name": name}))["GroupId"]
        launcher.made.append({"type": "vpc:security-group", "id": gid, "region": region})
    if not (found and found[0].get("IpPermissions")):
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": gid, "Description": "cluster nodes (EFA, NCCL)"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": req.ssh_cidr, "Description": "AwsWiz launch: SSH from the caller"}]}])
    # a new group allows all egress (EC2 User Guide, "Security group rules"): EFA's outbound-to-itself included
    view["cluster_group"] = gid
    return gid


def placement_in(launcher, region: str) -> str:
    """The launch's cluster placement group in region (made once, tagged; a managed one left by a killed launch of the
    same name is used)."""
    from botocore.exceptions import ClientError

    name = pg_name(launcher.req.name)
    if any(m["type"] == "ec2:placement-group" and m["region"] == region for m in launcher.made):
        return name
    ec2 = launcher.ctx.aws.client("ec2", region)
    try:
        ec2.create_placement_group(GroupName=name, Strategy="cluster", TagSpecifications=launcher.spec(
            "placement-group", {**launcher.tags, "Name": name}))
        launcher.made.append({"type": "ec2:placement-group", "id": name, "region": region})
    except ClientError as exc:
        if exc.response["Error"].get("Code") != "InvalidPlacementGroup.Duplicate":
            raise
        got = ec2.describe_placement_groups(GroupNames=[name])["PlacementGroups"][0]
        tags = {t["Key"]: t["Value"] for t in got.get("Tags", [])}
        if tags.get("awswiz:managed") != "true" or got.get("Strategy") != "cluster":
            raise
    return name


def run_args(launcher, view: dict, args: dict) -> None:
    args["Placement"] = {"GroupName": placement_in(launcher, view["region"])}
    if (view.get("efa") or {}).get("supported"):
        args["NetworkInterfaces"][0]["InterfaceType"] = "efa"
    args["MetadataOptions"]["InstanceMetadataTags"] = "enabled"


def host_tags(ips: list[str]) -> dict[str, str]:
    """awswiz:cluster-hosts-K: the private IPs in launch order, each value at most 256 characters."""
    out, chunk = {}, ""
    for ip in ips:
        if chunk and len(chunk) + 1 + len(ip) > TAG_VALUE_MAX:
            out[f"{HOSTS_TAG}{len(out)}"], chunk = chunk, ""
        chunk = f"{chunk},{ip}" if chunk else ip
    if chunk:
        out[f"{HOSTS_TAG}{len(out)}"] = chunk
    return out


def after_launch(launcher, region: str, instances: list[dict]) -> dict:
    """Tag every node with the hosts (one call) and its rank (one call per node): what the boot script reads."""
    ec2 = launcher.ctx.aws.client("ec2", region)
    nodes = sorted(instances, key=lambda i: i.get("AmiLaunchIndex", 0))
    ips = [i.get("PrivateIpAddress") for i in nodes]
    ec2.create_tags(Resources=[i["InstanceId"] for i in nodes],
                    Tags=[{"Key": k, "Value": v} for k, v in host_tags(ips).items()])
    for rank, i in enumerate(nodes):
        ec2.create_tags(Resources=[i["InstanceId"]], Tags=[{"Key": RANK_TAG, "Value": str(rank)}])
    return {"placement_group": pg_name(launcher.req.name), "head": nodes[0]["InstanceId"], "master_addr": ips[0],
            "nodes": [{"rank": r, "id": i["InstanceId"], "private_ip": ip} for r, (i, ip) in enumerate(zip(
                nodes, ips, strict=True))],
            "efa": any(n.get("InterfaceType") == "efa" for i in nodes for n in i.get("NetworkInterfaces", []))}


def rollback(ctx, made: dict) -> None:
    ctx.aws.client("ec2", made["region"]).delete_placement_group(GroupName=made["id"])
