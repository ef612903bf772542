"""The resource table: one row per resource type, read by scan (and by cleanup and export later).

Adding a type is adding a row: where to list it (service, call, JMESPath to the items), how to read
an item (id, name, state, tags, a few fields of its own), and how it is deleted. Rows are data; the
few things that cannot be said as a path are small functions in SHAPERS.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Row:
    type: str  # "<group>:<kind>"; the group is what --service filters on
    service: str  # boto3 service name
    call: str  # list/describe call (paginated when botocore can)
    items: str  # JMESPath from a response page to the items
    id: str  # JMESPath of the id within an item ("@" when the item is the id itself)
    name: str | None = None  # JMESPath of the name; default: the Name tag
    state: str | None = None  # JMESPath of the state
    tags: str | None = "Tags"  # key of the tag list [{Key, Value}] or map
    fields: dict[str, str] = field(default_factory=dict)  # output field -> JMESPath
    kwargs: dict = field(default_factory=dict)  # fixed call arguments
    scope: str = "regional"  # or "global" (listed once, from the home region)
    delete: str | None = None  # delete call, taking the id as `delete_param`
    delete_param: str | None = None
    # How it is removed (terminate.py --type <type>; removers/), or why AwsWiz does not remove it
    removal: str | None = None
    first: tuple[str, ...] = ()  # types that must go before it (what the remover plans first)
    cost: str | None = None  # what it costs while it stays (list price, with its date), or "free"

    @property
    def group(self) -> str:
        return self.type.split(":", 1)[0]


ROWS: list[Row] = [
    Row("ec2:instance", "ec2", "describe_instances", "Reservations[].Instances[]", "InstanceId",
        state="State.Name",
        fields={"instance_type": "InstanceType", "market": "InstanceLifecycle", "launch_time": "LaunchTime",
                "key": "KeyName", "public_ip": "PublicIpAddress", "vpc": "VpcId", "subnet": "SubnetId",
                "az": "Placement.AvailabilityZone", "volumes": "BlockDeviceMappings[].Ebs.VolumeId",
                "security_groups": "SecurityGroups[].GroupId"},
        delete="terminate_instances", delete_param="InstanceIds",
        removal="terminate.py (--snapshot keeps its volumes' data); a persistent spot request or maintain fleet "
        "is cancelled first", cost="per second while running, by instance type; its EBS volumes also while stopped"),
    Row("ec2:volume", "ec2", "describe_volumes", "Volumes[]", "VolumeId", state="State",
        fields={"size_gib": "Size", "volume_type": "VolumeType", "az": "AvailabilityZone",
                "attached_to": "Attachments[].InstanceId", "created": "CreateTime"},
        delete="delete_volume", delete_param="VolumeId",
        removal="terminate.py, once available; an attached volume is refused, naming the command that frees it",
        first=("ec2:instance",), cost="per GiB-month provisioned by volume type (and provisioned IOPS/throughput), "
        "attached or not"),
    Row("ec2:snapshot", "ec2", "describe_snapshots", "Snapshots[]", "SnapshotId", state="State",
        kwargs={"OwnerIds": ["self"]},
        fields={"volume": "VolumeId", "size_gib": "VolumeSize", "started": "StartTime"},
        delete="delete_snapshot", delete_param="SnapshotId",
        removal="terminate.py; one a registered AMI uses is refused, naming the AMI",
        first=("ec2:image",), cost="per GiB-month of snapshot data stored (standard or archive tier)"),
    Row("ec2:image", "ec2", "describe_images", "Images[]", "ImageId", name="Name", state="State",
        kwargs={"Owners": ["self"]},
        fields={"created": "CreationDate", "snapshots": "BlockDeviceMappings[].Ebs.SnapshotId",
                "root_device_type": "RootDeviceType"},
        delete="deregister_image", delete_param="ImageId",
        removal="terminate.py: deregistered, then its snapshots deleted unless another AMI uses them",
        cost="nothing itself; its EBS snapshots per GiB-month"),
    Row("ec2:elastic-ip", "ec2", "describe_addresses", "Addresses[]", "AllocationId",
        fields={"public_ip": "PublicIp", "instance": "InstanceId", "association": "AssociationId",
                "eni": "NetworkInterfaceId"},
        delete="release_address", delete_param="AllocationId",
        removal="terminate.py: disassociated if associated, then released; one a NAT gateway holds is refused",
        first=("vpc:nat-gateway",), cost="per hour per public IPv4 address, associated or idle"),
    Row("ec2:key-pair", "ec2", "describe_key_pairs", "KeyPairs[]", "KeyPairId", name="KeyName",
        fields={"key_type": "KeyType", "created": "CreateTime"},
        delete="delete_key_pair", delete_param="KeyPairId",
        removal="terminate.py (id or name); the local .state/keys/NAME.pem is kept", cost="free"),
    Row("vpc:vpc", "ec2", "describe_vpcs", "Vpcs[]", "VpcId", state="State",
        fields={"cidr": "CidrBlock", "default": "IsDefault"},
        delete="delete_vpc", delete_param="VpcId",
        removal="terminate.py (as cleanup_vpc.py): everything in it first; a default VPC, or one with instances or "
        "load balancers, is refused", first=("ec2:instance", "elb:load-balancer", "vpc:nat-gateway", "vpc:endpoint",
                                             "vpc:network-interface", "vpc:internet-gateway", "vpc:subnet",
                                             "vpc:route-table", "vpc:security-group"),
        cost="free itself; what is in it (NAT gateways, endpoints, public IPv4 addresses) is billed"),
    Row("vpc:subnet", "ec2", "describe_subnets", "Subnets[]", "SubnetId", state="State",
        fields={"vpc": "VpcId", "cidr": "CidrBlock", "az": "AvailabilityZone", "default": "DefaultForAz"},
        delete="delete_subnet", delete_param="SubnetId",
        removal="terminate.py: its free interfaces and route table association first; instances or NAT gateways "
        "in it are refused, named", first=("ec2:instance", "vpc:nat-gateway", "vpc:endpoint", "vpc:network-interface"),
        cost="free"),
    Row("vpc:route-table", "ec2", "describe_route_tables", "RouteTables[]", "RouteTableId",
        fields={"vpc": "VpcId", "main": "Associations[?Main] | length(@) > `0`",
                "subnets": "Associations[].SubnetId"},
        delete="delete_route_table", delete_param="RouteTableId",
        removal="terminate.py: its associations first; the main route table goes only with its VPC",
        cost="free"),
    Row("vpc:internet-gateway", "ec2", "describe_internet_gateways", "InternetGateways[]",
        "InternetGatewayId", state="Attachments[0].State", fields={"vpcs": "Attachments[].VpcId"},
        delete="delete_internet_gateway", delete_param="InternetGatewayId",
        removal="terminate.py: detached from its VPC, then deleted",
        cost="free itself; data out to the internet per GB"),
    Row("vpc:nat-gateway", "ec2", "describe_nat_gateways", "NatGateways[]", "NatGatewayId", state="State",
        fields={"vpc": "VpcId", "subnet": "SubnetId", "public_ip": "NatGatewayAddresses[0].PublicIp"},
        delete="delete_nat_gateway", delete_param="NatGatewayId",
        removal="terminate.py: deleted and waited for; its Elastic IPs released only if AwsWiz made them",
        cost="per hour while it exists, plus per GB processed, plus its public IPv4 address per hour"),
    Row("vpc:endpoint", "ec2", "describe_vpc_endpoints", "VpcEndpoints[]", "VpcEndpointId", state="State",
        fields={"vpc": "VpcId", "service_name": "ServiceName", "endpoint_type": "VpcEndpointType"},
        delete="delete_vpc_endpoints", delete_param="VpcEndpointIds",
        removal="terminate.py: deleted and waited for (its interfaces go with it)",
        cost="interface endpoints per hour per Availability Zone plus per GB; gateway endpoints free"),
    Row("vpc:network-interface", "ec2", "describe_network_interfaces", "NetworkInterfaces[]",
        "NetworkInterfaceId", state="Status", tags="TagSet",
        fields={"vpc": "VpcId", "subnet": "SubnetId", "attached_to": "Attachment.InstanceId",
                "interface_type": "InterfaceType", "description": "Description"},
        delete="delete_network_interface", delete_param="NetworkInterfaceId",
        removal="terminate.py, once detached; one another service manages goes with its owner",
        first=("ec2:instance",), cost="free itself; a public IPv4 address on it per hour"),
    Row("vpc:security-group", "ec2", "describe_security_groups", "SecurityGroups[]", "GroupId",
        name="GroupName", fields={"vpc": "VpcId", "description": "Description"},
        delete="delete_security_group", delete_param="GroupId",
        removal="terminate.py: other groups' rules that refer to it revoked first; one in use or a "
        "default group is refused", first=("ec2:instance", "vpc:network-interface", "elb:load-balancer"), cost="free"),
    # Paged (MaxBuckets): AWS names each bucket's BucketRegion only "if the request contains at least one valid
    # parameter", and will reject unpaged ListBuckets for accounts allowed over 10,000 buckets (S3 API Reference)
    Row("s3:bucket", "s3", "list_buckets", "Buckets[]", "Name", name="Name", tags=None, scope="global",
        kwargs={"MaxBuckets": 10000}, fields={"created": "CreationDate", "bucket_region": "BucketRegion"},
        delete="delete_bucket", delete_param="Bucket",
        removal="terminate empties every object version and delete marker, then deletes the bucket; Object Lock "
        "retention and MFA Delete block it", cost="per GiB-month stored (every version) by storage class, plus "
        "requests"),
    Row("iam:user", "iam", "list_users", "Users[]", "UserName", name="UserName", scope="global",
        fields={"arn": "Arn", "created": "CreateDate", "password_last_used": "PasswordLastUsed"},
        removal="terminate removes its password, access keys, certificates, SSH keys, service credentials, MFA "
        "devices, policies and group memberships, then the user; never the identity AwsWiz runs as", cost="free"),
    Row("iam:role", "iam", "list_roles", "Roles[]", "RoleName", name="RoleName", scope="global",
        fields={"arn": "Arn", "path": "Path", "created": "CreateDate"},
        removal="terminate deletes its policies and takes it out of its instance profiles, then the role; "
        "service-linked and AWS-reserved roles are refused", cost="free"),
    Row("elb:load-balancer", "elbv2", "describe_load_balancers", "LoadBalancers[]", "LoadBalancerArn",
        name="LoadBalancerName", state="State.Code", tags=None,
        fields={"lb_type": "Type", "scheme": "Scheme", "vpc": "VpcId", "dns": "DNSName"},
        delete="delete_load_balancer", delete_param="LoadBalancerArn",
        removal="terminate deletes it with its listeners (deletion protection blocks it); its target groups stay "
        "unless --with-target-groups", cost="per hour while it exists, plus per capacity-unit-hour used"),
    Row("elb:target-group", "elbv2", "describe_target_groups", "TargetGroups[]", "TargetGroupArn",
        name="TargetGroupName", tags=None,
        fields={"protocol": "Protocol", "port": "Port", "vpc": "VpcId", "target_type": "TargetType",
                "load_balancers": "LoadBalancerArns"},
        delete="delete_target_group", delete_param="TargetGroupArn",
        removal="terminate deletes it; refused while a load balancer forwards to it", first=("elb:load-balancer",),
        cost="free (its targets are billed as themselves)"),
    Row("rds:db-instance", "rds", "describe_db_instances", "DBInstances[]", "DBInstanceIdentifier",
        name="DBInstanceIdentifier", state="DBInstanceStatus", tags="TagList",
        fields={"db_class": "DBInstanceClass", "engine": "Engine", "storage_gib": "AllocatedStorage"},
        delete="delete_db_instance", delete_param="DBInstanceIdentifier",
        removal="terminate deletes it after a final snapshot awswiz-final-<id>-<date> (none for replicas and "
        "Aurora members); deletion protection blocks it", cost="per instance-hour by class and engine, plus per "
        "GiB-month of storage and backups"),
    Row("lambda:function", "lambda", "list_functions", "Functions[]", "FunctionName", name="FunctionName",
        state="State", tags=None, fields={"runtime": "Runtime", "memory_mb": "MemorySize"},
        delete="delete_function", delete_param="FunctionName",
        removal="terminate deletes its event source mappings, then the function (versions and aliases with it)",
        cost="per request and GB-second run; nothing while idle (provisioned concurrency: per hour)"),
    Row("ecs:cluster", "ecs", "list_clusters", "clusterArns[]", "@", tags=None,
        delete="delete_cluster", delete_param="cluster",
        removal="terminate scales its services to 0 and deletes them, stops its tasks, deregisters its container "
        "instances (their EC2 instances stay), then deletes the cluster",
        cost="free itself; its Fargate tasks (per vCPU- and GB-hour) and EC2 container instances are billed"),
    Row("eks:cluster", "eks", "list_clusters", "clusters[]", "@", tags=None,
        delete="delete_cluster", delete_param="name",
        removal="terminate deletes its node groups and Fargate profiles, waits, then deletes the cluster",
        cost="per cluster-hour for the control plane, plus its nodes and Fargate pods"),
    Row("sagemaker:notebook", "sagemaker", "list_notebook_instances", "NotebookInstances[]",
        "NotebookInstanceName", name="NotebookInstanceName", state="NotebookInstanceStatus", tags=None,
        fields={"instance_type": "InstanceType"},
        delete="delete_notebook_instance", delete_param="NotebookInstanceName",
        removal="terminate stops it if InService, waits until Stopped, then deletes it with its storage volume",
        cost="per ML instance-hour while InService, plus per GiB-month of its storage volume, even stopped"),
]

BY_TYPE = {r.type: r for r in ROWS}
GROUPS = sorted({r.group for r in ROWS})


def select(services: list[str]) -> list[Row]:
    """Rows for --service values: a group (ec2, vpc, s3, ...) or an exact type (ec2:volume)."""
    if not services:
        return list(ROWS)
    return [r for r in ROWS if r.group in services or r.type in services]


# the tag launch.py puts on everything one launch makes (box, key, group, volumes): what terminate and reap
# recognise as the launch's own parts
LAUNCH_TAG = "awswiz:launch-id"


def tag_map(raw) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {t.get("Key", t.get("key", "")): t.get("Value", t.get("value", "")) for t in raw}


def reads(row: Row) -> list[str]:
    """The paths to_record reads within an item (what a list call's answer must hold: lean.py)."""
    return [p for p in (row.id, row.name, row.state, row.tags) if p] + list(row.fields.values())


_CHAIN = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


@functools.cache
def reader(path: str):
    """A function reading the JMESPath `path` from an item, with JMESPath's answers. The table's forms "@",
    "A.B" and "A[].B.C" are read directly (a fifth of a 10,000-resource scan's CPU went to building JMESPath's
    interpreter per item and field); anything else goes to jmespath. tests/test_lean.py compares the two."""
    def fields(names):
        def read(value):
            for n in names:
                value = value.get(n) if isinstance(value, dict) else None
            return value
        return read

    if path == "@":
        return lambda item: item
    base, projected, rest = path.partition("[].")
    if not (_CHAIN.fullmatch(base) and (not projected or _CHAIN.fullmatch(rest))):
        import jmespath

        return jmespath.compile(path).search
    head = fields(base.split("."))
    if not projected:
        return head
    tail = fields(rest.split("."))

    def project(item):
        value = head(item)
        if not isinstance(value, list):
            return None
        flat = [x for v in value for x in (v if isinstance(v, list) else [v])]  # "[]" flattens one level
        return [r for r in map(tail, flat) if r is not None]  # a projection drops what reads as null
    return project


def to_record(row: Row, item, region: str) -> dict:
    """One small uniform record: type, id, region, name, state, tags, then the row's own fields."""
    tags = tag_map(item.get(row.tags) if row.tags and isinstance(item, dict) else None)
    ident = reader(row.id)(item)
    if row.name:
        name = reader(row.name)(item)
    elif row.id == "@":
        name = str(item).rsplit("/", 1)[-1]
    else:
        name = tags.get("Name")
    rec = {"type": row.type, "id": ident, "region": region, "name": name,
           "state": reader(row.state)(item) if row.state else None, "tags": tags}
    for out, path in row.fields.items():
        value = reader(path)(item)
        if value not in (None, [], ""):
            rec[out] = value
    return rec
