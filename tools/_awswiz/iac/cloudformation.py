"""The model as CloudFormation: template.yaml (resources that refer to each other with !Ref and !GetAtt, each with
DeletionPolicy and UpdateReplacePolicy Retain, which an import requires) and import.json (ResourcesToImport for a
change set of type IMPORT: each logical id with its type and the identifier properties its schema names as the
primary identifier, CloudFormation User Guide "Resource type support" and each type's schema).

Written in CloudFormation's own shape: a security group carries its rules (SecurityGroupIngress/Egress, the way
a template is written by hand), a role its inline and managed policies, a bucket its versioning, encryption,
public access block and lifecycle. An instance's user data is never written (a comment says so); its metadata
options are not a property of AWS::EC2::Instance (they live in a launch template) and are said in `skipped`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from _awswiz.iac import names

CFN_TYPES = {
    "vpc:vpc": "AWS::EC2::VPC", "vpc:subnet": "AWS::EC2::Subnet", "vpc:internet-gateway": "AWS::EC2::InternetGateway",
    "ec2:elastic-ip": "AWS::EC2::EIP", "vpc:nat-gateway": "AWS::EC2::NatGateway",
    "vpc:route-table": "AWS::EC2::RouteTable", "vpc:route-table-association": "AWS::EC2::SubnetRouteTableAssociation",
    "vpc:endpoint": "AWS::EC2::VPCEndpoint", "vpc:security-group": "AWS::EC2::SecurityGroup",
    "vpc:network-acl": "AWS::EC2::NetworkAcl", "ec2:key-pair": "AWS::EC2::KeyPair", "iam:role": "AWS::IAM::Role",
    "iam:instance-profile": "AWS::IAM::InstanceProfile", "ec2:instance": "AWS::EC2::Instance",
    "ec2:volume": "AWS::EC2::Volume", "ec2:volume-attachment": "AWS::EC2::VolumeAttachment",
    "s3:bucket": "AWS::S3::Bucket", "s3:bucket-policy": "AWS::S3::BucketPolicy",
}
# folded into their parent's resource (rules into the group, policies into the role, bucket parts into the bucket)
FOLDED = {"vpc:security-group-ingress", "vpc:security-group-egress", "iam:role-policy", "iam:role-policy-attachment",
          "s3:bucket-versioning", "s3:bucket-encryption", "s3:bucket-public-access-block", "s3:bucket-lifecycle"}


@dataclass(frozen=True)
class Ref:
    name: str


@dataclass(frozen=True)
class GetAtt:
    name: str
    attr: str


# --- YAML, written by hand (no dependency): block style, every string double-quoted (JSON's escapes are YAML's) --
def _scalar(v) -> str | None:
    if isinstance(v, Ref):
        return f"!Ref {v.name}"
    if isinstance(v, GetAtt):
        return f"!GetAtt {v.name}.{v.attr}"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    if isinstance(v, str):
        return json.dumps(v)
    if v is None:
        return "null"
    if v == {} or v == []:
        return json.dumps(v)
    return None


def yaml_lines(v, indent: int = 0) -> list[str]:
    pad = "  " * indent
    out = []
    if isinstance(v, dict):
        for k, x in v.items():
            key = k if k.replace("_", "").replace("-", "").isalnum() and k[0].isalpha() else json.dumps(k)
            s = _scalar(x)
            if s is not None:
                out.append(f"{pad}{key}: {s}")
            else:
                out.append(f"{pad}{key}:")
                out += yaml_lines(x, indent + 1)
        return out
    for x in v:
        s = _scalar(x)
        if s is not None:
            out.append(f"{pad}- {s}")
            continue
        inner = yaml_lines(x, indent + 1)
        out.append(f"{pad}- {inner[0].lstrip()}")
        out += inner[1:]
    return out


# --- the template ----------------------------------------------------------------------------------------------
class Writer:
    def __init__(self, resources: list[dict]):
        self.resources = resources
        self.by_id = {r["id"]: r for r in resources}
        self.logical = self._logical_ids()
        self.skipped: list[dict] = []

    def _logical_ids(self) -> dict[str, str]:
        out, used = {}, set()
        for r in self.resources:
            if r["type"] in FOLDED:
                continue
            base = names.logical_id(r["name"], CFN_TYPES[r["type"]].rsplit("::", 1)[-1])
            name, n = base, 2
            while name in used:
                name, n = f"{base}{n}", n + 1
            used.add(name)
            out[r["id"]] = name
        return out

    def ref(self, value, attr: str | None = None, key: str | None = None):
        rid = key or value
        if value is None or rid not in self.logical:
            return value
        return GetAtt(self.logical[rid], attr) if attr else Ref(self.logical[rid])

    def parts(self, type_: str, parent_key: str, parent: str) -> list[dict]:
        return [r for r in self.resources if r["type"] == type_ and r["attrs"].get(parent_key) == parent]

    @staticmethod
    def tags(a: dict) -> dict:
        return {"Tags": [{"Key": k, "Value": v} for k, v in sorted(a["tags"].items())]} if a.get("tags") else {}

    def properties(self, r: dict) -> dict:
        a, t = r["attrs"], r["type"]
        if t == "vpc:vpc":
            return {"CidrBlock": a["cidr_block"], "EnableDnsSupport": a["enable_dns_support"],
                    "EnableDnsHostnames": a["enable_dns_hostnames"], "InstanceTenancy": a["instance_tenancy"],
                    **self.tags(a)}
        if t == "vpc:subnet":
            return {"VpcId": self.ref(a["vpc_id"]), "CidrBlock": a["cidr_block"],
                    "AvailabilityZone": a["availability_zone"], "MapPublicIpOnLaunch": a["map_public_ip_on_launch"],
                    **self.tags(a)}
        if t == "vpc:internet-gateway":
            return self.tags(a)
        if t == "ec2:elastic-ip":
            return {"Domain": "vpc", **self.tags(a)}
        if t == "vpc:nat-gateway":
            return {"AllocationId": self.ref(a["allocation_id"], "AllocationId"), "SubnetId": self.ref(a["subnet_id"]),
                    "ConnectivityType": a["connectivity_type"], **self.tags(a)}
        if t == "vpc:route-table":
            return {"VpcId": self.ref(a["vpc_id"]), **self.tags(a)}
        if t == "vpc:route-table-association":
            return {"SubnetId": self.ref(a["subnet_id"]), "RouteTableId": self.ref(a["route_table_id"])}
        if t == "vpc:endpoint":
            p = {"VpcId": self.ref(a["vpc_id"]), "ServiceName": a["service_name"],
                 "VpcEndpointType": a["vpc_endpoint_type"]}
            for k, key in (("route_table_ids", "RouteTableIds"), ("subnet_ids", "SubnetIds"),
                           ("security_group_ids", "SecurityGroupIds")):
                if a.get(k):
                    p[key] = [self.ref(x) for x in a[k]]
            if "private_dns_enabled" in a:
                p["PrivateDnsEnabled"] = a["private_dns_enabled"]
            return {**p, **self.tags(a)}
        if t == "vpc:security-group":
            p = {"GroupName": a["name"], "GroupDescription": a["description"], "VpcId": self.ref(a["vpc_id"])}
            for kind, key in (("vpc:security-group-ingress", "SecurityGroupIngress"),
                              ("vpc:security-group-egress", "SecurityGroupEgress")):
                rules = [self.rule(x["attrs"], kind.endswith("egress"))
                         for x in self.parts(kind, "security_group_id", r["id"])
                         if x["attrs"].get("referenced_security_group_id") != r["id"]]
                if rules:
                    p[key] = rules
            return {**p, **self.tags(a)}
        if t == "vpc:network-acl":
            return {"VpcId": self.ref(a["vpc_id"]), **self.tags(a)}
        if t == "ec2:key-pair":
            return {"KeyName": a["key_name"], "PublicKeyMaterial": a["public_key"], **self.tags(a)}
        if t == "iam:role":
            return self.role(r)
        if t == "iam:instance-profile":
            return {"InstanceProfileName": a["name"], "Path": a["path"],
                    "Roles": [self.ref(a["role"], key=f"role/{a['role']}")]}
        if t == "ec2:instance":
            return self.instance(r)
        if t == "ec2:volume":
            p = {"AvailabilityZone": a["availability_zone"], "Size": a["size"], "VolumeType": a["type"],
                 "Encrypted": a["encrypted"]}
            p.update({k: a[s] for k, s in (("Iops", "iops"), ("Throughput", "throughput")) if s in a})
            return {**p, **self.tags(a)}
        if t == "ec2:volume-attachment":
            return {"Device": a["device_name"], "InstanceId": self.ref(a["instance_id"]),
                    "VolumeId": self.ref(a["volume_id"])}
        if t == "s3:bucket":
            return self.bucket(r)
        if t == "s3:bucket-policy":
            return {"Bucket": self.ref(a["bucket"]), "PolicyDocument": a["policy"]}
        raise KeyError(t)

    def rule(self, a: dict, egress: bool) -> dict:
        p = {"IpProtocol": a["ip_protocol"]}
        if "from_port" in a:
            p.update(FromPort=a["from_port"], ToPort=a["to_port"])
        for k, key in (("cidr_ipv4", "CidrIp"), ("cidr_ipv6", "CidrIpv6"), ("description", "Description")):
            if k in a:
                p[key] = a[k]
        if "prefix_list_id" in a:
            p["DestinationPrefixListId" if egress else "SourcePrefixListId"] = a["prefix_list_id"]
        if g := a.get("referenced_security_group_id"):
            p["DestinationSecurityGroupId" if egress else "SourceSecurityGroupId"] = self.ref(g, "GroupId")
        return p

    def role(self, r: dict) -> dict:
        a, name = r["attrs"], r["attrs"]["name"]
        p = {"RoleName": name, "Path": a["path"], "AssumeRolePolicyDocument": a["assume_role_policy"],
             "MaxSessionDuration": a["max_session_duration"]}
        if a.get("description"):
            p["Description"] = a["description"]
        inline = [{"PolicyName": x["attrs"]["name"], "PolicyDocument": x["attrs"]["policy"]}
                  for x in self.parts("iam:role-policy", "role", name)]
        managed = [x["attrs"]["policy_arn"] for x in self.parts("iam:role-policy-attachment", "role", name)]
        if inline:
            p["Policies"] = inline
        if managed:
            p["ManagedPolicyArns"] = managed
        return {**p, **self.tags(a)}

    def instance(self, r: dict) -> dict:
        a = r["attrs"]
        p = {"ImageId": a["ami"], "InstanceType": a["instance_type"], "SubnetId": self.ref(a["subnet_id"]),
             "SecurityGroupIds": [self.ref(g, "GroupId") for g in a["vpc_security_group_ids"]]}
        if a.get("key_name"):
            p["KeyName"] = self.ref(a["key_name"])
        if a.get("iam_instance_profile"):
            p["IamInstanceProfile"] = self.ref(a["iam_instance_profile"], key=f"profile/{a['iam_instance_profile']}")
        if a["root_block_device"]:
            rd = a["root_block_device"]
            p["BlockDeviceMappings"] = [{"DeviceName": a.get("root_device_name", "/dev/xvda"), "Ebs": {
                "VolumeSize": rd["volume_size"], "VolumeType": rd["volume_type"], "Encrypted": rd["encrypted"]}}]
        if a["metadata_options"] != {"http_endpoint": "enabled", "http_tokens": "optional",
                                     "http_put_response_hop_limit": 1}:
            self.skipped.append({"type": "ec2:instance", "id": r["id"], "why": "its metadata options are not a "
                                 "property of AWS::EC2::Instance (a launch template's): not in template.yaml"})
        return {**p, **self.tags(a)}

    def bucket(self, r: dict) -> dict:
        name = r["attrs"]["bucket"]
        p = {"BucketName": name}
        part = {x["type"]: x["attrs"] for x in self.resources if x["type"].startswith("s3:bucket-")
                and x["attrs"]["bucket"] == name}
        if v := part.get("s3:bucket-versioning"):
            p["VersioningConfiguration"] = {"Status": v["status"]}
        if e := part.get("s3:bucket-encryption"):
            rules = []
            for rule in e["rules"]:
                d = {"SSEAlgorithm": rule["sse_algorithm"]}
                if "kms_master_key_id" in rule:
                    d["KMSMasterKeyID"] = rule["kms_master_key_id"]
                x = {"ServerSideEncryptionByDefault": d}
                if "bucket_key_enabled" in rule:
                    x["BucketKeyEnabled"] = rule["bucket_key_enabled"]
                rules.append(x)
            p["BucketEncryption"] = {"ServerSideEncryptionConfiguration": rules}
        if b := part.get("s3:bucket-public-access-block"):
            p["PublicAccessBlockConfiguration"] = {
                "BlockPublicAcls": b["block_public_acls"], "BlockPublicPolicy": b["block_public_policy"],
                "IgnorePublicAcls": b["ignore_public_acls"], "RestrictPublicBuckets": b["restrict_public_buckets"]}
        if life := part.get("s3:bucket-lifecycle"):
            rules = []
            for rule in life["rules"]:
                x = {"Id": rule["id"], "Status": rule["status"]}
                if "prefix" in rule:
                    x["Prefix"] = rule["prefix"]
                if "expiration_days" in rule:
                    x["ExpirationInDays"] = rule["expiration_days"]
                if "noncurrent_days" in rule:
                    x["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrent_days"]}
                if "abort_incomplete_days" in rule:
                    x["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abort_incomplete_days"]}
                rules.append(x)
            p["LifecycleConfiguration"] = {"Rules": rules}
        return {**p, **self.tags(r["attrs"])}

    def extra(self) -> list[tuple[str, str, dict, dict]]:
        """Resources CloudFormation models apart: the gateway's attachment, each route, ACL entries and
        associations. (logical id, type, properties, import identifier)."""
        out = []
        for r in self.resources:
            a, t, me = r["attrs"], r["type"], self.logical.get(r["id"])
            if t == "vpc:internet-gateway" and a.get("vpc_id"):
                out.append((f"{me}Attachment", "AWS::EC2::VPCGatewayAttachment",
                            {"VpcId": self.ref(a["vpc_id"]), "InternetGatewayId": Ref(me)},
                            {"AttachmentType": "IGW", "VpcId": a["vpc_id"]}))
            if t in ("vpc:security-group-ingress", "vpc:security-group-egress") and \
                    a.get("referenced_security_group_id") == a["security_group_id"]:
                # a rule naming its own group: inside the group it would refer to itself (a circular dependency),
                # so it is a resource of its own
                group = self.logical[a["security_group_id"]]
                egress = t.endswith("egress")
                p = {"GroupId": GetAtt(group, "GroupId"), **self.rule(a, egress)}
                out.append((f"{group}{'Egress' if egress else 'Ingress'}{r['id'].replace('-', '')[3:11]}",
                            "AWS::EC2::SecurityGroupEgress" if egress else "AWS::EC2::SecurityGroupIngress",
                            p, {"Id": r["id"]}))
            if t == "vpc:route-table":
                for n, route in enumerate(a["routes"], 1):
                    p = {"RouteTableId": Ref(me)}
                    for k, key in (("cidr_block", "DestinationCidrBlock"),
                                   ("ipv6_cidr_block", "DestinationIpv6CidrBlock"),
                                   ("destination_prefix_list_id", "DestinationPrefixListId"),
                                   ("gateway_id", "GatewayId"), ("nat_gateway_id", "NatGatewayId"),
                                   ("network_interface_id", "NetworkInterfaceId"),
                                   ("transit_gateway_id", "TransitGatewayId"),
                                   ("vpc_peering_connection_id", "VpcPeeringConnectionId")):
                        if k in route:
                            p[key] = self.ref(route[k])
                    dest = route.get("cidr_block") or route.get("ipv6_cidr_block") or \
                        route.get("destination_prefix_list_id")
                    out.append((f"{me}Route{n}", "AWS::EC2::Route", p, {"RouteTableId": r["id"], "CidrBlock": dest}))
            if t == "vpc:network-acl":
                for direction in ("ingress", "egress"):
                    for e in a[direction]:
                        p = {"NetworkAclId": Ref(me), "RuleNumber": e["rule_no"], "Protocol": int(e["protocol"]),
                             "RuleAction": e["action"], "Egress": direction == "egress", "CidrBlock": e["cidr_block"]}
                        if e["protocol"] in ("6", "17"):
                            p["PortRange"] = {"From": e["from_port"], "To": e["to_port"]}
                        out.append((f"{me}{direction.title()}{e['rule_no']}", "AWS::EC2::NetworkAclEntry", p,
                                    {"NetworkAclId": r["id"], "RuleNumber": e["rule_no"],
                                     "Egress": direction == "egress"}))
                for s in a["subnet_ids"]:
                    sub = self.logical.get(s, s.replace("-", ""))
                    out.append((f"{me}{sub}", "AWS::EC2::SubnetNetworkAclAssociation",
                                {"SubnetId": self.ref(s), "NetworkAclId": Ref(me)},
                                {"SubnetId": s, "NetworkAclId": r["id"]}))
        return out

    def identifier(self, r: dict) -> dict:
        a, t = r["attrs"], r["type"]
        key = {"vpc:vpc": "VpcId", "vpc:subnet": "SubnetId", "vpc:internet-gateway": "InternetGatewayId",
               "vpc:nat-gateway": "NatGatewayId", "vpc:route-table": "RouteTableId",
               "vpc:route-table-association": "Id", "vpc:endpoint": "Id", "vpc:security-group": "Id",
               "vpc:network-acl": "Id", "ec2:instance": "InstanceId", "ec2:volume": "VolumeId"}.get(t)
        if key:
            return {key: r["id"]}
        if t == "ec2:elastic-ip":
            return {"PublicIp": a.get("public_ip"), "AllocationId": r["id"]}
        if t == "ec2:key-pair":
            return {"KeyName": a["key_name"]}
        if t == "iam:role":
            return {"RoleName": a["name"]}
        if t == "iam:instance-profile":
            return {"InstanceProfileName": a["name"]}
        if t == "ec2:volume-attachment":
            return {"VolumeId": a["volume_id"], "InstanceId": a["instance_id"]}
        if t == "s3:bucket":
            return {"BucketName": a["bucket"]}
        if t == "s3:bucket-policy":
            return {"Bucket": a["bucket"]}
        raise KeyError(t)

    def build(self) -> tuple[dict, list[dict]]:
        resources, imports = {}, []
        retain = {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"}
        for r in self.resources:
            if r["type"] in FOLDED:
                continue
            me = self.logical[r["id"]]
            resources[me] = {"Type": CFN_TYPES[r["type"]], **retain, "Properties": self.properties(r)}
            imports.append({"ResourceType": CFN_TYPES[r["type"]], "LogicalResourceId": me,
                            "ResourceIdentifier": self.identifier(r)})
        for me, type_, props, ident in self.extra():
            resources[me] = {"Type": type_, **retain, "Properties": props}
            imports.append({"ResourceType": type_, "LogicalResourceId": me, "ResourceIdentifier": ident})
        template = {"AWSTemplateFormatVersion": "2010-09-09",
                    "Description": "Exported by AwsWiz export.py: DeletionPolicy Retain on every resource, so that "
                                   "deleting the stack leaves what it adopted",
                    "Resources": resources}
        return template, imports


def files(resources: list[dict]) -> tuple[dict[str, str], list[dict]]:
    """({file name: text}, skipped) for the model."""
    w = Writer(resources)
    template, imports = w.build()
    header = "# Exported by AwsWiz export.py. User data is never exported (it may hold secrets).\n"
    text = header + "\n".join(yaml_lines(template)) + "\n"
    return {"template.yaml": text, "import.json": json.dumps(imports, indent=1) + "\n"}, w.skipped


def addresses(resources: list[dict]) -> dict[str, str]:
    w = Writer(resources)
    return dict(w.logical)
