"""The model as Terraform: versions.tf (the AWS provider pinned to a range), main.tf (one block per resource,
each referring to the others: `vpc_id = aws_vpc.lab.id`, never the literal id of an exported resource), and
imports.tf (one `import` block per resource, so that `terraform plan` adopts what exists and recreates nothing).

Import ids are the provider's (registry.terraform.io/providers/hashicorp/aws/5.100.0/docs, each resource's
"Import" section): most take the AWS id; a route table association `subnet-id/rtb-id`, a volume attachment
`device:vol-id:i-id`, a role policy `role:policy`, a policy attachment `role/arn`, the S3 bucket parts the bucket."""

from __future__ import annotations

from _awswiz.iac import names
from _awswiz.iac.hcl import Expr, Json, block

TF_TYPES = {
    "vpc:vpc": "aws_vpc", "vpc:subnet": "aws_subnet", "vpc:internet-gateway": "aws_internet_gateway",
    "ec2:elastic-ip": "aws_eip", "vpc:nat-gateway": "aws_nat_gateway", "vpc:route-table": "aws_route_table",
    "vpc:route-table-association": "aws_route_table_association", "vpc:endpoint": "aws_vpc_endpoint",
    "vpc:security-group": "aws_security_group", "vpc:security-group-ingress": "aws_vpc_security_group_ingress_rule",
    "vpc:security-group-egress": "aws_vpc_security_group_egress_rule", "vpc:network-acl": "aws_network_acl",
    "ec2:key-pair": "aws_key_pair", "iam:role": "aws_iam_role", "iam:role-policy": "aws_iam_role_policy",
    "iam:role-policy-attachment": "aws_iam_role_policy_attachment", "iam:instance-profile": "aws_iam_instance_profile",
    "ec2:instance": "aws_instance", "ec2:volume": "aws_ebs_volume", "ec2:volume-attachment": "aws_volume_attachment",
    "s3:bucket": "aws_s3_bucket", "s3:bucket-versioning": "aws_s3_bucket_versioning",
    "s3:bucket-encryption": "aws_s3_bucket_server_side_encryption_configuration",
    "s3:bucket-public-access-block": "aws_s3_bucket_public_access_block", "s3:bucket-policy": "aws_s3_bucket_policy",
    "s3:bucket-lifecycle": "aws_s3_bucket_lifecycle_configuration",
}

VERSIONS = """terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
    }
  }
}

provider "aws" {
  region = %s
}
"""


class Writer:
    def __init__(self, resources: list[dict]):
        self.by_id = {r["id"]: r for r in resources}
        self.names = names.assign(resources, lambda r: TF_TYPES[r["type"]])
        self.resources = resources

    def addr(self, rid: str) -> str:
        return f"{TF_TYPES[self.by_id[rid]['type']]}.{self.names[rid]}"

    def ref(self, value, attr: str = "id", key: str | None = None):
        """A reference where the value is an exported resource (looked up by key, else the value itself)."""
        if value is None:
            return None
        rid = key or value
        return Expr(f"{self.addr(rid)}.{attr}") if rid in self.by_id else value

    def refs(self, values: list[str]) -> list:
        return [self.ref(v) for v in values]

    def import_id(self, r: dict) -> str:
        a, t = r["attrs"], r["type"]
        if t == "vpc:route-table-association":
            return f"{a['subnet_id']}/{a['route_table_id']}"
        if t in ("iam:role", "iam:instance-profile"):
            return a["name"]
        if t == "iam:role-policy":
            return f"{a['role']}:{a['name']}"
        if t == "iam:role-policy-attachment":
            return f"{a['role']}/{a['policy_arn']}"
        if t.startswith("s3:"):
            return a["bucket"]
        return r["id"]

    # --- one body per type -------------------------------------------------------------------------------------
    def body(self, r: dict) -> list:
        a, t = r["attrs"], r["type"]
        tags = [("a", "tags", a["tags"])] if a.get("tags") else []
        role = self.ref(a.get("role"), "name", f"role/{a.get('role')}")
        bucket = self.ref(a.get("bucket"), "id") if t != "s3:bucket" else None
        if t == "vpc:vpc":
            return [("a", "cidr_block", a["cidr_block"]), ("a", "instance_tenancy", a["instance_tenancy"]),
                    ("a", "enable_dns_support", a["enable_dns_support"]),
                    ("a", "enable_dns_hostnames", a["enable_dns_hostnames"]), *tags]
        if t == "vpc:subnet":
            return [("a", "vpc_id", self.ref(a["vpc_id"])), ("a", "cidr_block", a["cidr_block"]),
                    ("a", "availability_zone", a["availability_zone"]),
                    ("a", "map_public_ip_on_launch", a["map_public_ip_on_launch"]), *tags]
        if t == "vpc:internet-gateway":
            return [("a", "vpc_id", self.ref(a["vpc_id"])), *tags]
        if t == "ec2:elastic-ip":
            return [("a", "domain", a["domain"]), *tags]
        if t == "vpc:nat-gateway":
            return [("a", "allocation_id", self.ref(a["allocation_id"])), ("a", "subnet_id", self.ref(a["subnet_id"])),
                    ("a", "connectivity_type", a["connectivity_type"]), *tags]
        if t == "vpc:route-table":
            routes = [("b", "route", [], [("a", k, self.ref(v)) for k, v in route.items()]) for route in a["routes"]]
            return [("a", "vpc_id", self.ref(a["vpc_id"])), *routes, *tags]
        if t == "vpc:route-table-association":
            return [("a", "subnet_id", self.ref(a["subnet_id"])),
                    ("a", "route_table_id", self.ref(a["route_table_id"]))]
        if t == "vpc:endpoint":
            body = [("a", "vpc_id", self.ref(a["vpc_id"])), ("a", "service_name", a["service_name"]),
                    ("a", "vpc_endpoint_type", a["vpc_endpoint_type"])]
            for k in ("route_table_ids", "subnet_ids", "security_group_ids"):
                if k in a:
                    body.append(("a", k, self.refs(a[k])))
            if "private_dns_enabled" in a:
                body.append(("a", "private_dns_enabled", a["private_dns_enabled"]))
            return body + tags
        if t == "vpc:security-group":
            return [("a", "name", a["name"]), ("a", "description", a["description"]),
                    ("a", "vpc_id", self.ref(a["vpc_id"])), *tags]
        if t in ("vpc:security-group-ingress", "vpc:security-group-egress"):
            body = [("a", "security_group_id", self.ref(a["security_group_id"])),
                    ("a", "ip_protocol", a["ip_protocol"])]
            for k in ("from_port", "to_port", "cidr_ipv4", "cidr_ipv6", "prefix_list_id", "description"):
                if k in a:
                    body.append(("a", k, a[k]))
            if "referenced_security_group_id" in a:
                body.append(("a", "referenced_security_group_id", self.ref(a["referenced_security_group_id"])))
            return body + tags
        if t == "vpc:network-acl":
            rules = [("b", d, [], [("a", k, v) for k, v in rule.items()]) for d in ("ingress", "egress")
                     for rule in a[d]]
            return [("a", "vpc_id", self.ref(a["vpc_id"])), ("a", "subnet_ids", self.refs(a["subnet_ids"])), *rules,
                    *tags]
        if t == "ec2:key-pair":
            # the provider does not read a key pair's public key back (its Read sets no public_key, and the key is
            # ForceNew): without this, an imported key pair is planned for replacement, against AWS as the sandbox
            return [("a", "key_name", a["key_name"]), ("a", "public_key", a["public_key"]), *tags,
                    ("b", "lifecycle", [], [("a", "ignore_changes", [Expr("public_key")])])]
        if t == "iam:role":
            return [("a", "name", a["name"]), ("a", "path", a["path"]), ("a", "description", a["description"] or None),
                    ("a", "max_session_duration", a["max_session_duration"]),
                    ("a", "assume_role_policy", Json(a["assume_role_policy"])), *tags]
        if t == "iam:role-policy":
            return [("a", "name", a["name"]), ("a", "role", role), ("a", "policy", Json(a["policy"]))]
        if t == "iam:role-policy-attachment":
            return [("a", "role", role), ("a", "policy_arn", a["policy_arn"])]
        if t == "iam:instance-profile":
            return [("a", "name", a["name"]), ("a", "path", a["path"]), ("a", "role", role)]
        if t == "ec2:instance":
            return self.instance(a)
        if t == "ec2:volume":
            return [("a", k, a[k]) for k in ("availability_zone", "size", "type", "encrypted", "iops", "throughput")
                    if k in a] + tags
        if t == "ec2:volume-attachment":
            return [("a", "device_name", a["device_name"]), ("a", "volume_id", self.ref(a["volume_id"])),
                    ("a", "instance_id", self.ref(a["instance_id"]))]
        if t == "s3:bucket":
            return [("a", "bucket", a["bucket"]), *tags]
        if t == "s3:bucket-versioning":
            return [("a", "bucket", bucket), ("b", "versioning_configuration", [], [("a", "status", a["status"])])]
        if t == "s3:bucket-encryption":
            rules = []
            for rule in a["rules"]:
                default = [("a", k, rule[k]) for k in ("sse_algorithm", "kms_master_key_id") if k in rule]
                inner = [("b", "apply_server_side_encryption_by_default", [], default)]
                if "bucket_key_enabled" in rule:
                    inner.append(("a", "bucket_key_enabled", rule["bucket_key_enabled"]))
                rules.append(("b", "rule", [], inner))
            return [("a", "bucket", bucket), *rules]
        if t == "s3:bucket-public-access-block":
            return [("a", "bucket", bucket)] + [("a", k, a[k]) for k in (
                "block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")]
        if t == "s3:bucket-policy":
            return [("a", "bucket", bucket), ("a", "policy", Json(a["policy"]))]
        if t == "s3:bucket-lifecycle":
            rules = []
            for rule in a["rules"]:
                inner = [("a", "id", rule["id"]), ("a", "status", rule["status"]),
                         ("b", "filter", [], [("a", "prefix", rule["prefix"])] if "prefix" in rule else [])]
                if "expiration_days" in rule:
                    inner.append(("b", "expiration", [], [("a", "days", rule["expiration_days"])]))
                if "noncurrent_days" in rule:
                    inner.append(("b", "noncurrent_version_expiration", [],
                                  [("a", "noncurrent_days", rule["noncurrent_days"])]))
                if "abort_incomplete_days" in rule:
                    inner.append(("b", "abort_incomplete_multipart_upload", [],
                                  [("a", "days_after_initiation", rule["abort_incomplete_days"])]))
                rules.append(("b", "rule", [], inner))
            return [("a", "bucket", bucket), *rules]
        raise KeyError(t)

    def instance(self, a: dict) -> list:
        body = [("a", "ami", a["ami"]), ("a", "instance_type", a["instance_type"]),
                ("a", "subnet_id", self.ref(a["subnet_id"])),
                ("a", "vpc_security_group_ids", self.refs(a["vpc_security_group_ids"])),
                ("a", "key_name", self.ref(a["key_name"], "key_name")),
                ("a", "iam_instance_profile", self.ref(a["iam_instance_profile"], "name",
                                                       f"profile/{a['iam_instance_profile']}"))]
        if a["user_data"]:
            body = [("c", "user_data is set on this instance but not exported (it may hold secrets); the lifecycle"),
                    ("c", "block below keeps Terraform from changing it")] + body
        if a["root_block_device"]:
            body.append(("b", "root_block_device", [], [("a", k, v) for k, v in a["root_block_device"].items()]))
        body.append(("b", "metadata_options", [], [("a", k, v) for k, v in a["metadata_options"].items()]))
        if a["user_data"]:
            # user_data_replace_on_change: a provider-only flag (no AWS field), unset in an imported state
            body.append(("b", "lifecycle", [], [("a", "ignore_changes", [Expr("user_data"),
                                                                          Expr("user_data_replace_on_change")])]))
        if a.get("tags"):
            body.append(("a", "tags", a["tags"]))
        return body

    # --- the files -----------------------------------------------------------------------------------------------
    def main_tf(self) -> str:
        parts = ["\n".join(block("resource", [TF_TYPES[r["type"]], self.names[r["id"]]], self.body(r)))
                 for r in self.resources]
        return "\n\n".join(parts) + "\n"

    def imports_tf(self) -> str:
        parts = ["\n".join(block("import", [], [("a", "to", Expr(self.addr(r["id"]))), ("a", "id", self.import_id(r))]))
                 for r in self.resources]
        return "\n\n".join(parts) + "\n"


def files(resources: list[dict], region: str) -> dict[str, str]:
    from _awswiz.iac.hcl import string

    w = Writer(resources)
    return {"versions.tf": VERSIONS % string(region), "main.tf": w.main_tf(), "imports.tf": w.imports_tf()}


def addresses(resources: list[dict]) -> dict[str, str]:
    """id -> Terraform address (aws_vpc.lab), as main.tf names them."""
    w = Writer(resources)
    return {r["id"]: w.addr(r["id"]) for r in resources}
