"""Read a selection of live resources into the neutral model both writers and drift use.

A resource is {"type", "id", "name", "attrs"}: attrs hold what the export writes, in plain values; a value that
is the id of another exported resource becomes a reference when written. Selection: --vpc (the VPC and what is
in it), --tag KEY=VALUE (what carries it; a VPC brings what is in it), --id (an AWS id, or a bucket, role or key
pair name). An instance brings its data volumes, its key pair and its instance profile (with the role and the
role's policies). What AWS made by default (the main route table, a VPC's default group and ACL) is left to AWS
and said in `skipped`, as is anything that cannot be exported (user data: never its content).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

from _awswiz.aws.client import paginate
from _awswiz.shell import hints
from _awswiz.shell.errors import BadInput
from _awswiz.shell.hints import Scope

PREFIXES = {"vpc-": "vpc:vpc", "subnet-": "vpc:subnet", "rtb-": "vpc:route-table", "igw-": "vpc:internet-gateway",
            "nat-": "vpc:nat-gateway", "eipalloc-": "ec2:elastic-ip", "vpce-": "vpc:endpoint",
            "sg-": "vpc:security-group", "acl-": "vpc:network-acl", "i-": "ec2:instance", "vol-": "ec2:volume"}


def tag_dict(tags: list[dict] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in tags or [] if not t["Key"].startswith("aws:")}


def _policy(doc) -> dict:
    """A policy document as a dict (IAM answers it URL-encoded by botocore as a dict or a string)."""
    if isinstance(doc, str):
        from urllib.parse import unquote

        try:
            return json.loads(doc)
        except ValueError:
            return json.loads(unquote(doc))
    return doc


class Reader:
    def __init__(self, aws, region: str, strict: bool = True, scope: Scope | None = None):
        self.region = region
        self.scope = scope or Scope()  # what a hint repeats of the run (--sandbox, --profile)
        self.strict = strict  # False (drift): what no longer exists is left out, not bad input
        self.ec2 = aws.client("ec2", region)
        self.s3 = aws.client("s3", region)
        self.iam = aws.client("iam", region)
        self.out: dict[str, dict] = {}  # id -> resource, in the order found
        self.volumes: dict[str, dict] = {}  # prefetched root volumes and AMIs (prefetch)
        self.images: dict[str, dict] = {}
        self.user_datas: dict[str, bool] = {}
        self.skipped: list[dict] = []

    # --- the model ---------------------------------------------------------------------------------------------
    def add(self, type_: str, id_: str, name: str | None, attrs: dict) -> dict:
        res = {"type": type_, "id": id_, "name": name or id_, "attrs": attrs}
        self.out.setdefault(id_, res)
        return res

    def missing(self, message: str) -> None:
        if self.strict:
            raise BadInput(message, hints.command(self.scope, "scan", region=self.region))

    def skip(self, type_: str, id_: str, why: str) -> None:
        entry = {"type": type_, "id": id_, "why": why}
        if entry not in self.skipped:
            self.skipped.append(entry)

    def describe(self, call: str, path: str, **kw) -> list:
        return paginate(self.ec2, call, path, **kw)

    # --- selection -----------------------------------------------------------------------------------------------
    def select(self, vpcs: list[str], tags: dict[str, str], ids: list[str]) -> None:
        for v in vpcs:
            self.vpc(v, whole=True)
        for i in ids:
            self.by_id(i)
        if tags:
            self.by_tags(tags)

    def by_id(self, ident: str) -> None:
        kind = next((t for p, t in PREFIXES.items() if ident.startswith(p)), None)
        if kind == "vpc:vpc":
            return self.vpc(ident, whole=True)
        if kind:
            return self.one(kind, ident)
        if self.bucket_exists(ident):
            return self.bucket(ident)
        if self.role_exists(ident):
            return self.role(ident)
        keys = self.describe("describe_key_pairs", "KeyPairs", Filters=[{"Name": "key-name", "Values": [ident]}])
        if keys:
            return self.key_pair(ident)
        self.missing(f"--id {ident!r} is no resource in {self.region}: give an id (vpc-, subnet-, rtb-, igw-, nat-, "
                     "eipalloc-, vpce-, sg-, acl-, i-, vol-), a bucket, a role or a key pair name")

    def one(self, kind: str, ident: str) -> None:
        found = self.load(kind, [ident])
        if not found:
            self.missing(f"--id {ident!r} ({kind}) does not exist in {self.region}")

    def by_tags(self, tags: dict[str, str]) -> None:
        flt = [{"Name": f"tag:{k}", "Values": [v]} for k, v in tags.items()]
        before = len(self.out)
        for v in self.describe("describe_vpcs", "Vpcs", Filters=flt):
            self.vpc(v["VpcId"], whole=True)
        for kind, call, path, key in [
                ("vpc:subnet", "describe_subnets", "Subnets", "SubnetId"),
                ("vpc:security-group", "describe_security_groups", "SecurityGroups", "GroupId"),
                ("vpc:route-table", "describe_route_tables", "RouteTables", "RouteTableId"),
                ("vpc:internet-gateway", "describe_internet_gateways", "InternetGateways", "InternetGatewayId"),
                ("vpc:nat-gateway", "describe_nat_gateways", "NatGateways", "NatGatewayId"),
                ("vpc:endpoint", "describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId"),
                ("vpc:network-acl", "describe_network_acls", "NetworkAcls", "NetworkAclId"),
                ("ec2:elastic-ip", "describe_addresses", "Addresses", "AllocationId"),
                ("ec2:volume", "describe_volumes", "Volumes", "VolumeId"),
                ("ec2:instance", "describe_instances", "Reservations[].Instances[]", "InstanceId")]:
            # DescribeNatGateways names its filter list Filter, the others Filters (botocore ec2 model)
            found = [i[key] for i in self.describe(call, path, **{"Filter" if kind == "vpc:nat-gateway" else
                                                                    "Filters": flt})]
            if found:
                self.load(kind, found)
        for k in self.describe("describe_key_pairs", "KeyPairs", Filters=flt):
            self.key_pair(k["KeyName"])
        for b in paginate(self.s3, "list_buckets", "Buckets"):
            if self.bucket_region(b["Name"]) == self.region and \
                    tags.items() <= self.bucket_tags(b["Name"]).items():
                self.bucket(b["Name"])
        for r in paginate(self.iam, "list_roles", "Roles"):
            if tags.items() <= tag_dict(self.iam.list_role_tags(RoleName=r["RoleName"]).get("Tags")).items():
                self.role(r["RoleName"])
        if len(self.out) == before:
            shown = " ".join(f"{k}={v}" for k, v in tags.items())
            self.missing(f"--tag {shown} matches nothing in {self.region} (VPC parts, instances, volumes, "
                         "addresses, key pairs, buckets, roles)")

    def load(self, kind: str, ids: list[str]) -> list:
        """Describe resources of one kind by id and add them (with what they bring). Unknown ids answer []."""
        from botocore.exceptions import ClientError

        call, path, key, fn = LOADERS[kind]
        try:
            items = self.describe(call, path, **{key: ids})
        except ClientError as exc:
            if "NotFound" in exc.response["Error"]["Code"] or "Malformed" in exc.response["Error"]["Code"]:
                return []
            raise
        for item in items:
            getattr(self, fn)(item)
        return items

    # --- VPC and what is in it --------------------------------------------------------------------------------
    def vpc(self, vpc_id: str, whole: bool = False) -> None:
        items = self.load("vpc:vpc", [vpc_id])
        if not items:
            return self.missing(f"--vpc {vpc_id!r} does not exist in {self.region}")
        if not whole:
            return
        in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
        got = self.parallel({
            "subnets": ("describe_subnets", "Subnets", {"Filters": in_vpc}),
            "gateways": ("describe_internet_gateways", "InternetGateways",
                         {"Filters": [{"Name": "attachment.vpc-id", "Values": [vpc_id]}]}),
            "tables": ("describe_route_tables", "RouteTables", {"Filters": in_vpc}),
            "nats": ("describe_nat_gateways", "NatGateways", {"Filter": in_vpc}),  # Filter: its name (botocore)
            "endpoints": ("describe_vpc_endpoints", "VpcEndpoints", {"Filters": in_vpc}),
            "groups": ("describe_security_groups", "SecurityGroups", {"Filters": in_vpc}),
            "acls": ("describe_network_acls", "NetworkAcls", {"Filters": in_vpc}),
            "boxes": ("describe_instances", "Reservations[].Instances[]", {"Filters": in_vpc}),
            "interfaces": ("describe_network_interfaces", "NetworkInterfaces", {"Filters": in_vpc})})
        with ThreadPoolExecutor(2) as pool:  # the second round: what depends on the first
            rules = pool.submit(self.group_rules, [g["GroupId"] for g in got["groups"]])
            pool.submit(self.prefetch, got["boxes"]).result()
            rules = rules.result()
        for s in got["subnets"]:
            self.subnet(s)
        for g in got["gateways"]:
            self.internet_gateway(g)
        for t in got["tables"]:
            self.route_table(t)
        for n in got["nats"]:
            self.nat_gateway(n)
        for e in got["endpoints"]:
            self.endpoint(e)
        for g in got["groups"]:
            self.security_group(g, rules)
        for a in got["acls"]:
            self.network_acl(a)
        for i in got["boxes"]:
            self.instance(i)
        for n in got["interfaces"]:
            self.interface(n)

    def parallel(self, calls: dict[str, tuple[str, str, dict]]) -> dict[str, list]:
        """Independent describe calls at once (boto3 clients are thread-safe): the time of the slowest, not the sum."""
        with ThreadPoolExecutor(len(calls)) as pool:
            futures = {k: pool.submit(self.describe, call, path, **kw) for k, (call, path, kw) in calls.items()}
            return {k: f.result() for k, f in futures.items()}

    def interface(self, n: dict) -> None:
        """A network interface is written by what owns it (an instance, a NAT gateway, an endpoint); one owned by
        anything else (a load balancer, a Lambda function, a database) or by nothing is a type export does not
        know: said in skipped, never dropped silently."""
        owner = (n.get("Attachment") or {}).get("InstanceId")
        kind = n.get("InterfaceType") or "interface"
        desc = n.get("Description") or ""
        if owner in self.out or any(r in desc for r in self.out if r.startswith(("nat-", "vpce-"))):
            return
        what = f"{kind}, {desc!r}" if desc else kind
        self.skip("vpc:network-interface", n["NetworkInterfaceId"],
                  f"in the VPC, owned by something export does not write ({what}): not exported")

    def vpc_item(self, v: dict) -> None:
        vid = v["VpcId"]
        dns = {a: self.ec2.describe_vpc_attribute(VpcId=vid, Attribute=a)[a[0].upper() + a[1:]]["Value"]
               for a in ("enableDnsSupport", "enableDnsHostnames")}
        tags = tag_dict(v.get("Tags"))
        self.add("vpc:vpc", vid, tags.get("Name"), {
            "cidr_block": v["CidrBlock"], "instance_tenancy": v.get("InstanceTenancy", "default"),
            "enable_dns_support": dns["enableDnsSupport"], "enable_dns_hostnames": dns["enableDnsHostnames"],
            "tags": tags})

    def subnet(self, s: dict) -> None:
        tags = tag_dict(s.get("Tags"))
        self.add("vpc:subnet", s["SubnetId"], tags.get("Name"), {
            "vpc_id": s["VpcId"], "cidr_block": s["CidrBlock"], "availability_zone": s["AvailabilityZone"],
            "map_public_ip_on_launch": bool(s.get("MapPublicIpOnLaunch")), "tags": tags})

    def internet_gateway(self, g: dict) -> None:
        tags = tag_dict(g.get("Tags"))
        vpc = next((a["VpcId"] for a in g.get("Attachments", [])), None)
        self.add("vpc:internet-gateway", g["InternetGatewayId"], tags.get("Name"), {"vpc_id": vpc, "tags": tags})

    def route_table(self, t: dict) -> None:
        rid, tags = t["RouteTableId"], tag_dict(t.get("Tags"))
        if any(a.get("Main") for a in t.get("Associations", [])):
            extra = [r for r in t.get("Routes", []) if r.get("GatewayId") != "local"]
            self.skip("vpc:route-table", rid, "the VPC's main route table, made by AWS: left to AWS"
                      + (f" ({len(extra)} routes besides local are not exported)" if extra else ""))
            return
        routes = []
        for r in t.get("Routes", []):
            if r.get("GatewayId") == "local" or r.get("Origin") == "EnableVgwRoutePropagation":
                continue
            if r.get("GatewayId", "").startswith("vpce-"):
                continue  # an endpoint's route: made by the endpoint (its route_table_ids), not written here
            dest = {k: r[src] for k, src in (("cidr_block", "DestinationCidrBlock"),
                                               ("ipv6_cidr_block", "DestinationIpv6CidrBlock"),
                                               ("destination_prefix_list_id", "DestinationPrefixListId"))
                    if r.get(src)}
            target = {k: r[src] for k, src in (("gateway_id", "GatewayId"), ("nat_gateway_id", "NatGatewayId"),
                                                 ("network_interface_id", "NetworkInterfaceId"),
                                                 ("transit_gateway_id", "TransitGatewayId"),
                                                 ("vpc_peering_connection_id", "VpcPeeringConnectionId"))
                      if r.get(src)}
            routes.append({**dest, **target})
        self.add("vpc:route-table", rid, tags.get("Name"), {"vpc_id": t["VpcId"], "routes": routes, "tags": tags})
        for a in t.get("Associations", []):
            if a.get("SubnetId"):
                subnet = self.out.get(a["SubnetId"], {}).get("name", a["SubnetId"])
                self.add("vpc:route-table-association", a["RouteTableAssociationId"], subnet,
                         {"route_table_id": rid, "subnet_id": a["SubnetId"]})

    def nat_gateway(self, n: dict) -> None:
        if n.get("State") in ("deleted", "deleting", "failed"):
            return
        tags = tag_dict(n.get("Tags"))
        alloc = next((a.get("AllocationId") for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")), None)
        if alloc:
            self.load("ec2:elastic-ip", [alloc])
        self.add("vpc:nat-gateway", n["NatGatewayId"], tags.get("Name"), {
            "allocation_id": alloc, "subnet_id": n["SubnetId"],
            "connectivity_type": n.get("ConnectivityType", "public"), "tags": tags})

    def address(self, a: dict) -> None:
        tags = tag_dict(a.get("Tags"))
        self.add("ec2:elastic-ip", a["AllocationId"], tags.get("Name"),
                 {"domain": "vpc", "public_ip": a.get("PublicIp"), "tags": tags})

    def endpoint(self, e: dict) -> None:
        if e.get("State", "").lower() in ("deleted", "deleting"):
            return
        tags = tag_dict(e.get("Tags"))
        kind = e.get("VpcEndpointType", "Gateway")
        attrs = {"vpc_id": e["VpcId"], "service_name": e["ServiceName"], "vpc_endpoint_type": kind}
        if kind == "Gateway":
            attrs["route_table_ids"] = sorted(e.get("RouteTableIds", []))
        else:
            attrs.update(subnet_ids=sorted(e.get("SubnetIds", [])),
                         security_group_ids=sorted(g["GroupId"] for g in e.get("Groups", [])),
                         private_dns_enabled=bool(e.get("PrivateDnsEnabled")))
        attrs["tags"] = tags
        self.add("vpc:endpoint", e["VpcEndpointId"], tags.get("Name"), attrs)

    def group_rules(self, gids: list[str]) -> dict[str, list]:
        """Every rule of these groups, in one call per 200 groups (a filter takes up to 200 values), not one each."""
        out: dict[str, list] = {g: [] for g in gids}
        for n in range(0, len(gids), 200):
            for r in self.describe("describe_security_group_rules", "SecurityGroupRules",
                                   Filters=[{"Name": "group-id", "Values": gids[n:n + 200]}]):
                out.setdefault(r["GroupId"], []).append(r)
        return out

    def security_group(self, g: dict, rules_of: dict | None = None) -> None:
        gid, tags = g["GroupId"], tag_dict(g.get("Tags"))
        if g["GroupName"] == "default":
            self.skip("vpc:security-group", gid, "the VPC's default group, made by AWS: left to AWS")
            return
        self.add("vpc:security-group", gid, tags.get("Name") or g["GroupName"], {
            "name": g["GroupName"], "description": g.get("Description", ""), "vpc_id": g.get("VpcId"), "tags": tags})
        rules = (rules_of or self.group_rules([gid])).get(gid, [])
        for r in sorted(rules, key=lambda r: (r.get("IsEgress", False), r["SecurityGroupRuleId"])):
            attrs = {"security_group_id": gid, "ip_protocol": r.get("IpProtocol", "-1")}
            if attrs["ip_protocol"] != "-1":
                attrs.update(from_port=r.get("FromPort"), to_port=r.get("ToPort"))
            for k, src in (("cidr_ipv4", "CidrIpv4"), ("cidr_ipv6", "CidrIpv6"), ("prefix_list_id", "PrefixListId"),
                           ("description", "Description")):
                if r.get(src):
                    attrs[k] = r[src]
            if ref := (r.get("ReferencedGroupInfo") or {}).get("GroupId"):
                attrs["referenced_security_group_id"] = ref
            attrs["tags"] = tag_dict(r.get("Tags"))
            kind = "vpc:security-group-egress" if r.get("IsEgress") else "vpc:security-group-ingress"
            port = "all" if attrs["ip_protocol"] == "-1" else f"{attrs['ip_protocol']}_{attrs.get('from_port')}"
            self.add(kind, r["SecurityGroupRuleId"], f"{g['GroupName']} {port}", attrs)

    def network_acl(self, a: dict) -> None:
        aid, tags = a["NetworkAclId"], tag_dict(a.get("Tags"))
        if a.get("IsDefault"):
            self.skip("vpc:network-acl", aid, "the VPC's default network ACL, made by AWS: left to AWS")
            return
        entries = {"ingress": [], "egress": []}
        for e in sorted(a.get("Entries", []), key=lambda e: e["RuleNumber"]):
            if e["RuleNumber"] == 32767:
                continue  # the deny-all rule every ACL has
            rule = {"rule_no": e["RuleNumber"], "protocol": e["Protocol"], "action": e["RuleAction"],
                    "cidr_block": e.get("CidrBlock", ""), "from_port": (e.get("PortRange") or {}).get("From", 0),
                    "to_port": (e.get("PortRange") or {}).get("To", 0)}
            entries["egress" if e.get("Egress") else "ingress"].append(rule)
        subnets = sorted(x["SubnetId"] for x in a.get("Associations", []))
        self.add("vpc:network-acl", aid, tags.get("Name"), {"vpc_id": a["VpcId"], "subnet_ids": subnets, **entries,
                                                             "tags": tags})

    # --- instances ---------------------------------------------------------------------------------------------
    def prefetch(self, boxes: list[dict]) -> None:
        """The root volumes and AMIs of many instances in one call each (not one per instance)."""
        roots = sorted({m["Ebs"]["VolumeId"] for i in boxes for m in i.get("BlockDeviceMappings", [])
                        if m.get("Ebs") and m["DeviceName"] == i.get("RootDeviceName")})
        amis = sorted({i["ImageId"] for i in boxes})
        for n in range(0, len(roots), 200):
            self.volumes.update({v["VolumeId"]: v for v in self.describe("describe_volumes", "Volumes",
                                                                          VolumeIds=roots[n:n + 200])})
        if amis:
            self.images.update({m["ImageId"]: m for m in self.describe("describe_images", "Images",
                                                                        Filters=[{"Name": "image-id",
                                                                                  "Values": amis}])})
        if boxes:  # user data: one call per instance (no list call answers it), all at once
            with ThreadPoolExecutor(min(len(boxes), 16)) as pool:
                found = pool.map(self.user_data, [i["InstanceId"] for i in boxes])
                self.user_datas.update(zip([i["InstanceId"] for i in boxes], found, strict=True))

    def user_data(self, iid: str) -> bool:
        """Whether the instance has user data (its content is never kept); False where it may not be read."""
        try:
            got = self.ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData").get("UserData") or {}
        except Exception:  # noqa: BLE001 - an account that may not read it: said as unknown, never guessed
            return False
        return bool(got.get("Value"))

    def instance(self, i: dict) -> None:
        iid, tags = i["InstanceId"], tag_dict(i.get("Tags"))
        if i["State"]["Name"] in ("terminated", "shutting-down"):
            return
        root_name = i.get("RootDeviceName")
        vols = {m["DeviceName"]: m["Ebs"]["VolumeId"] for m in i.get("BlockDeviceMappings", []) if m.get("Ebs")}
        root = {}
        if root_name in vols:
            v = self.volumes.get(vols[root_name]) or \
                self.describe("describe_volumes", "Volumes", VolumeIds=[vols[root_name]])[0]
            root = {"volume_size": v["Size"], "volume_type": v["VolumeType"], "encrypted": bool(v.get("Encrypted"))}
        meta = i.get("MetadataOptions") or {}
        profile = None
        if arn := (i.get("IamInstanceProfile") or {}).get("Arn"):
            profile = arn.rsplit("/", 1)[-1]
            self.instance_profile(profile)
        if i.get("KeyName"):
            self.key_pair(i["KeyName"])
        ami = i["ImageId"]
        image = self.images.get(ami) or next(iter(self.describe(
            "describe_images", "Images", Filters=[{"Name": "image-id", "Values": [ami]}])), None)
        if not image or not image.get("Public"):
            self.skip("ec2:image", ami, f"the AMI of {iid} is not public: the export names it by id, and it exists "
                                        "only where it was made or shared")
        has_data = self.user_datas[iid] if iid in self.user_datas else self.user_data(iid)
        if has_data:
            self.skip("ec2:user-data", iid, "user data may hold secrets: exported as a placeholder, never its content")
        self.add("ec2:instance", iid, tags.get("Name"), {
            "ami": ami, "instance_type": i["InstanceType"], "subnet_id": i.get("SubnetId"),
            "vpc_security_group_ids": sorted(g["GroupId"] for g in i.get("SecurityGroups", [])),
            "key_name": i.get("KeyName"), "iam_instance_profile": profile, "root_device_name": root_name,
            "root_block_device": root,
            "metadata_options": {"http_endpoint": meta.get("HttpEndpoint", "enabled"),
                                 "http_tokens": meta.get("HttpTokens", "optional"),
                                 "http_put_response_hop_limit": meta.get("HttpPutResponseHopLimit", 1)},
            "user_data": has_data, "tags": tags})
        for device, vid in sorted(vols.items()):
            if device == root_name:
                continue
            self.load("ec2:volume", [vid])
            self.add("ec2:volume-attachment", f"{device}:{vid}:{iid}", self.out.get(vid, {}).get("name", vid),
                     {"device_name": device, "volume_id": vid, "instance_id": iid})

    def volume(self, v: dict) -> None:
        tags = tag_dict(v.get("Tags"))
        attrs = {"availability_zone": v["AvailabilityZone"], "size": v["Size"], "type": v["VolumeType"],
                 "encrypted": bool(v.get("Encrypted"))}
        if v["VolumeType"] in ("io1", "io2", "gp3") and v.get("Iops"):
            attrs["iops"] = v["Iops"]
        if v["VolumeType"] == "gp3" and v.get("Throughput"):
            attrs["throughput"] = v["Throughput"]
        attrs["tags"] = tags
        self.add("ec2:volume", v["VolumeId"], tags.get("Name"), attrs)

    def key_pair(self, name: str) -> None:
        k = self.describe("describe_key_pairs", "KeyPairs", KeyNames=[name], IncludePublicKey=True)[0]
        tags = tag_dict(k.get("Tags"))
        if not k.get("PublicKey"):
            self.skip("ec2:key-pair", name, "AWS did not give its public part")
            return
        self.add("ec2:key-pair", name, tags.get("Name") or name,
                 {"key_name": name, "public_key": k["PublicKey"].strip(), "tags": tags})

    # --- IAM -------------------------------------------------------------------------------------------------
    def role_exists(self, name: str) -> bool:
        try:
            self.iam.get_role(RoleName=name)
            return True
        except self.iam.exceptions.NoSuchEntityException:
            return False

    def instance_profile(self, name: str) -> None:
        p = self.iam.get_instance_profile(InstanceProfileName=name)["InstanceProfile"]
        role = next((r["RoleName"] for r in p.get("Roles", [])), None)
        if role:
            self.role(role)
        self.add("iam:instance-profile", f"profile/{name}", name,
                 {"name": name, "path": p.get("Path", "/"), "role": role})

    def role(self, name: str) -> None:
        r = self.iam.get_role(RoleName=name)["Role"]
        tags = tag_dict(r.get("Tags"))
        self.add("iam:role", f"role/{name}", name, {
            "name": name, "path": r.get("Path", "/"), "description": r.get("Description", ""),
            "max_session_duration": r.get("MaxSessionDuration", 3600),
            "assume_role_policy": _policy(r["AssumeRolePolicyDocument"]), "tags": tags})
        for p in paginate(self.iam, "list_role_policies", "PolicyNames", RoleName=name):
            doc = self.iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
            self.add("iam:role-policy", f"{name}:{p}", f"{name}-{p}",
                     {"role": name, "name": p, "policy": _policy(doc)})
        for a in paginate(self.iam, "list_attached_role_policies", "AttachedPolicies", RoleName=name):
            self.add("iam:role-policy-attachment", f"{name}/{a['PolicyArn']}", f"{name}-{a['PolicyName']}",
                     {"role": name, "policy_arn": a["PolicyArn"]})

    # --- S3 ------------------------------------------------------------------------------------------------------
    def bucket_exists(self, name: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.s3.head_bucket(Bucket=name)
            return True
        except ClientError:
            return False

    def bucket_region(self, name: str) -> str:
        return self.s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"

    def bucket_tags(self, name: str) -> dict[str, str]:
        from botocore.exceptions import ClientError

        try:
            return tag_dict(self.s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except ClientError:
            return {}

    def _optional(self, call: str, **kw) -> dict | None:
        """A bucket's sub-configuration, or None where it has none (NoSuch... errors)."""
        from botocore.exceptions import ClientError

        try:
            return getattr(self.s3, call)(**kw)
        except ClientError as exc:
            code = exc.response["Error"]["Code"]
            if code.startswith("NoSuch") or "NotFound" in code:
                return None
            raise

    def bucket(self, name: str) -> None:
        if self.bucket_region(name) != self.region:
            raise BadInput(f"bucket {name!r} is in {self.bucket_region(name)}, not {self.region}",
                           f"export it with --region {self.bucket_region(name)}")
        tags = self.bucket_tags(name)
        self.add("s3:bucket", name, tags.get("Name") or name, {"bucket": name, "tags": tags})
        v = self.s3.get_bucket_versioning(Bucket=name).get("Status")
        if v:
            self.add("s3:bucket-versioning", f"{name}#versioning", name, {"bucket": name, "status": v})
        if enc := self._optional("get_bucket_encryption", Bucket=name):
            rules = []
            for r in enc["ServerSideEncryptionConfiguration"]["Rules"]:
                d = r.get("ApplyServerSideEncryptionByDefault", {})
                rule = {"sse_algorithm": d.get("SSEAlgorithm")}
                if d.get("KMSMasterKeyID"):
                    rule["kms_master_key_id"] = d["KMSMasterKeyID"]
                if "BucketKeyEnabled" in r:
                    rule["bucket_key_enabled"] = bool(r["BucketKeyEnabled"])
                rules.append(rule)
            self.add("s3:bucket-encryption", f"{name}#encryption", name,
                     {"bucket": name, "rules": rules})
        if pab := self._optional("get_public_access_block", Bucket=name):
            c = pab["PublicAccessBlockConfiguration"]
            self.add("s3:bucket-public-access-block", f"{name}#public-access-block", name, {
                "bucket": name, "block_public_acls": c.get("BlockPublicAcls", False),
                "block_public_policy": c.get("BlockPublicPolicy", False),
                "ignore_public_acls": c.get("IgnorePublicAcls", False),
                "restrict_public_buckets": c.get("RestrictPublicBuckets", False)})
        if pol := self._optional("get_bucket_policy", Bucket=name):
            self.add("s3:bucket-policy", f"{name}#policy", name,
                     {"bucket": name, "policy": json.loads(pol["Policy"])})
        if life := self._optional("get_bucket_lifecycle_configuration", Bucket=name):
            rules = []
            for r in life.get("Rules", []):
                rule = {"id": r.get("ID", ""), "status": r["Status"]}
                f = r.get("Filter") or {}
                if "Prefix" in f or "Prefix" in r:
                    rule["prefix"] = f.get("Prefix", r.get("Prefix", ""))
                if days := (r.get("Expiration") or {}).get("Days"):
                    rule["expiration_days"] = days
                if nc := (r.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"):
                    rule["noncurrent_days"] = nc
                if ab := (r.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"):
                    rule["abort_incomplete_days"] = ab
                rules.append(rule)
            self.add("s3:bucket-lifecycle", f"{name}#lifecycle", name, {"bucket": name, "rules": rules})


LOADERS = {
    "vpc:vpc": ("describe_vpcs", "Vpcs", "VpcIds", "vpc_item"),
    "vpc:subnet": ("describe_subnets", "Subnets", "SubnetIds", "subnet"),
    "vpc:route-table": ("describe_route_tables", "RouteTables", "RouteTableIds", "route_table"),
    "vpc:internet-gateway": ("describe_internet_gateways", "InternetGateways", "InternetGatewayIds",
                             "internet_gateway"),
    "vpc:nat-gateway": ("describe_nat_gateways", "NatGateways", "NatGatewayIds", "nat_gateway"),
    "ec2:elastic-ip": ("describe_addresses", "Addresses", "AllocationIds", "address"),
    "vpc:endpoint": ("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointIds", "endpoint"),
    "vpc:security-group": ("describe_security_groups", "SecurityGroups", "GroupIds", "security_group"),
    "vpc:network-acl": ("describe_network_acls", "NetworkAcls", "NetworkAclIds", "network_acl"),
    "ec2:instance": ("describe_instances", "Reservations[].Instances[]", "InstanceIds", "instance"),
    "ec2:volume": ("describe_volumes", "Volumes", "VolumeIds", "volume"),
}


def read(aws, region: str, vpcs: list[str], tags: dict[str, str], ids: list[str],
         strict: bool = True, scope: Scope | None = None) -> tuple[list[dict], list[dict]]:
    """(resources, skipped) for the selection, in a stable order (by kind, then id)."""
    r = Reader(aws, region, strict, scope)
    r.select(vpcs, tags, ids)
    order = {k: n for n, k in enumerate(KINDS)}
    return sorted(r.out.values(), key=lambda x: (order.get(x["type"], 99), x["id"])), r.skipped


KINDS = ["vpc:vpc", "vpc:subnet", "vpc:internet-gateway", "ec2:elastic-ip", "vpc:nat-gateway", "vpc:route-table",
         "vpc:route-table-association", "vpc:endpoint", "vpc:security-group", "vpc:security-group-ingress",
         "vpc:security-group-egress", "vpc:network-acl", "ec2:key-pair", "iam:role", "iam:role-policy",
         "iam:role-policy-attachment", "iam:instance-profile", "ec2:instance", "ec2:volume", "ec2:volume-attachment",
         "s3:bucket", "s3:bucket-versioning", "s3:bucket-encryption", "s3:bucket-public-access-block",
         "s3:bucket-policy", "s3:bucket-lifecycle"]
