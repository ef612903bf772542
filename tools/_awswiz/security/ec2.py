"""EC2 evidence and tests: security groups, instances (public IP, IMDS), launch templates, volumes,
snapshots, AMIs, EBS encryption by default. One task per (call, region) on the run's fan-out; the
per-snapshot and per-template calls join the pool as follow-ups."""

from __future__ import annotations

from _awswiz.aws.client import paginate
from _awswiz.inventory.open_rules import label, open_ports, pieces
from _awswiz.inventory.table import tag_map
from _awswiz.security.network import SG_CHECKS, exposed, prowler_id, sg_open
from _awswiz.security.table import finding, fix_command

CHECKS = {*SG_CHECKS, "ec2-public-open-sg", "ec2-imdsv1", "ec2-launch-template-imdsv1", "ebs-volume-unencrypted",
          "ebs-snapshot-unencrypted", "ebs-default-encryption-off", "ebs-snapshot-public", "ami-public"}
NEEDS = {  # what each evidence call serves
    "sg": {*SG_CHECKS, "ec2-public-open-sg"},
    "instances": {"ec2-public-open-sg", "ec2-imdsv1", *SG_CHECKS},  # groups in use are named in SG evidence
    "templates": {"ec2-launch-template-imdsv1"},
    "volumes": {"ebs-volume-unencrypted"},
    "snapshots": {"ebs-snapshot-unencrypted", "ebs-snapshot-public"},
    "images": {"ami-public"},
    "ebs_default": {"ebs-default-encryption-off"},
}


def submit(fan, aws, regions: list[str], want: set[str]) -> None:
    for region in regions:
        ec2 = aws.client("ec2", region)

        def templates(ec2=ec2, region=region):
            lts = paginate(ec2, "describe_launch_templates", "LaunchTemplates")
            for lt in lts:
                fan.submit(("ec2", "template", region, lt["LaunchTemplateId"]),
                           lambda lt=lt, ec2=ec2: ec2.describe_launch_template_versions(
                               LaunchTemplateId=lt["LaunchTemplateId"], Versions=["$Default"])[
                               "LaunchTemplateVersions"], region, "ec2:DescribeLaunchTemplateVersions")
            return lts

        def snapshots(ec2=ec2, region=region):
            # OwnerIds=["self"] is the account's own; moto ignores it (and lists Amazon's DLAMI snapshots too),
            # so the owner is checked here as well: the same answer in AWS, the right one in the sandbox.
            account = aws.account_id()
            snaps = [s for s in paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
                     if s.get("OwnerId") in (None, account)]
            if "ebs-snapshot-public" in want:
                # describe_snapshots(RestorableByUserIds=["all"]) would list the public ones in one call, but
                # moto ignores that filter (it returns every snapshot), so ask each snapshot, as Prowler does.
                for s in snaps:
                    fan.submit(("ec2", "snapattr", region, s["SnapshotId"]),
                               lambda s=s, ec2=ec2: ec2.describe_snapshot_attribute(
                                   SnapshotId=s["SnapshotId"], Attribute="createVolumePermission")[
                                   "CreateVolumePermissions"], region, "ec2:DescribeSnapshotAttribute")
            return snaps

        calls = {
            "sg": lambda ec2=ec2: paginate(ec2, "describe_security_groups", "SecurityGroups"),
            "instances": lambda ec2=ec2: paginate(ec2, "describe_instances", "Reservations[].Instances[]"),
            "templates": templates,
            "volumes": lambda ec2=ec2: paginate(ec2, "describe_volumes", "Volumes"),
            "snapshots": snapshots,
            "images": lambda ec2=ec2: ec2.describe_images(Owners=["self"])["Images"],
            "ebs_default": lambda ec2=ec2: ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"],
        }
        for kind, fn in calls.items():
            if NEEDS[kind] & want:
                fan.submit(("ec2", kind, region), fn, region, f"ec2 {kind}")


def _name(item: dict) -> str | None:
    return tag_map(item.get("Tags")).get("Name")


def evaluate(results: dict, regions: list[str], want: set[str], scope) -> list[dict]:
    out: list[dict] = []
    for region in regions:
        out += _groups_and_instances(results, region, scope)
        out += _storage(results, region, scope)
    return [f for f in out if f["check"] in want]


def _groups_and_instances(results: dict, region: str, scope) -> list[dict]:
    out = []
    groups = results.get(("ec2", "sg", region)) or []
    instances = [i for i in results.get(("ec2", "instances", region)) or []
                 if i.get("State", {}).get("Name") != "terminated"]
    used: dict[str, list[str]] = {}
    for i in instances:
        for g in i.get("SecurityGroups", []):
            used.setdefault(g["GroupId"], []).append(i["InstanceId"])
    open_by_group: dict[str, list[str]] = {}
    for g in groups:
        gid, perms = g["GroupId"], g.get("IpPermissions") or []
        open_by_group[gid] = open_ports(perms)
        for check, labels in sg_open(open_by_group[gid]).items():
            rules = [{"protocol": perm.get("IpProtocol"), "ports": label(perm), "from": ranges}
                     for perm, ranges in pieces(perms, labels)]
            out.append(finding(check, gid, region, {"rules": rules, "open": labels, "used_by": used.get(gid, []),
                                                    "vpc": g.get("VpcId")},
                               rtype="vpc:security-group", name=g.get("GroupName"),
                               fix=fix_command(check, gid, region, scope), tags=tag_map(g.get("Tags")),
                               prowler=prowler_id(check, labels), group=g))
    for i in instances:
        iid, tags = i["InstanceId"], tag_map(i.get("Tags"))
        ev = exposed(i.get("PublicIpAddress"), i.get("State", {}).get("Name"),
                     [g["GroupId"] for g in i.get("SecurityGroups", [])], open_by_group)
        if ev:
            ports = [p for ps in ev["open_groups"].values() for p in ps]
            out.append(finding("ec2-public-open-sg", iid, region, ev, rtype="ec2:instance", name=tags.get("Name"),
                               prowler=prowler_id("ec2-public-open-sg", ports)))
        md = i.get("MetadataOptions") or {}
        if md.get("HttpEndpoint", "enabled") == "enabled" and md.get("HttpTokens", "optional") != "required":
            out.append(finding("ec2-imdsv1", iid, region, {"http_tokens": md.get("HttpTokens", "optional"),
                                                           "state": i.get("State", {}).get("Name")},
                               rtype="ec2:instance", name=tags.get("Name"),
                               fix=fix_command("ec2-imdsv1", iid, region, scope), tags=tags, metadata=md))
    for lt in results.get(("ec2", "templates", region)) or []:
        for v in results.get(("ec2", "template", region, lt["LaunchTemplateId"])) or []:
            md = (v.get("LaunchTemplateData") or {}).get("MetadataOptions") or {}
            if md.get("HttpEndpoint", "enabled") == "enabled" and md.get("HttpTokens") != "required":
                out.append(finding("ec2-launch-template-imdsv1", lt["LaunchTemplateId"], region,
                                   {"version": v.get("VersionNumber"), "http_tokens": md.get("HttpTokens")},
                                   rtype="ec2:launch-template", name=lt.get("LaunchTemplateName")))
    return out


def _storage(results: dict, region: str, scope) -> list[dict]:
    out = []
    for v in results.get(("ec2", "volumes", region)) or []:
        if not v.get("Encrypted"):
            out.append(finding("ebs-volume-unencrypted", v["VolumeId"], region,
                               {"size_gib": v.get("Size"),
                                "attached_to": [a["InstanceId"] for a in v.get("Attachments", [])]},
                               rtype="ec2:volume", name=_name(v)))
    for s in results.get(("ec2", "snapshots", region)) or []:
        if not s.get("Encrypted"):
            out.append(finding("ebs-snapshot-unencrypted", s["SnapshotId"], region, {"volume": s.get("VolumeId")},
                               rtype="ec2:snapshot", name=_name(s)))
        perms = results.get(("ec2", "snapattr", region, s["SnapshotId"])) or []
        if any(p.get("Group") == "all" for p in perms):
            out.append(finding("ebs-snapshot-public", s["SnapshotId"], region, {"create_volume_permission": perms},
                               rtype="ec2:snapshot", name=_name(s)))
    for img in results.get(("ec2", "images", region)) or []:
        if img.get("Public"):
            out.append(finding("ami-public", img["ImageId"], region, {"public": True}, rtype="ec2:image",
                               name=img.get("Name")))
    if results.get(("ec2", "ebs_default", region)) is False:
        out.append(finding("ebs-default-encryption-off", region, region, {"ebs_encryption_by_default": False},
                           rtype="ec2:ebs-default-encryption",
                           fix=fix_command("ebs-default-encryption-off", region, region, scope)))
    return out
