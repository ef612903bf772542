"""What AWS made by itself, read from AWS's own markers: the one rule every tool uses (scan folds these into
counts unless --include-defaults; its --pretty counts them in captions; findings skip them).

- vpc:vpc: Vpc.IsDefault, "Indicates whether the VPC is the default VPC." (EC2 API Reference, Vpc).
- vpc:subnet: Subnet.DefaultForAz, "Indicates whether this is the default subnet for the Availability Zone."
  (EC2 API Reference, Subnet): a subnet someone added to a default VPC is theirs, not AWS's.
- vpc:route-table: a Main association, "Indicates whether this is the main route table." (EC2 API Reference,
  RouteTableAssociation); "When you create a VPC, it automatically has a main route table" (Amazon VPC User
  Guide, Route tables), so every VPC's main table is AWS's, in a default VPC or not.
- vpc:security-group: GroupName "default": "Each VPC comes with a default security group ... The name of the
  default security group is "default"" (Amazon EC2 User Guide, Default and custom security groups).
- vpc:internet-gateway attached to a default VPC: a default VPC comes with "an internet gateway ... connected to
  your default VPC" (Amazon VPC User Guide, Default VPCs).
- vpc:network-interface: an instance's primary interface (its attachment's DeviceIndex 0): "Each instance has a
  default network interface, called the primary network interface. You cannot detach a primary network interface
  from an instance." (Amazon EC2 User Guide, Elastic network interfaces); and one AWS manages for a service
  (NetworkInterface.RequesterManaged, "Indicates whether the network interface is being managed by Amazon Web
  Services", EC2 API Reference): both come and go with what they serve, which is listed.
Network ACLs (NetworkAcl.IsDefault) and DHCP option sets are not types the inventory lists.
"""

from __future__ import annotations


def mark(records: list[dict]) -> None:
    """Set `default: True` on what AWS made by itself (and False on the VPCs, subnets and groups it did not:
    the field those types always carried)."""
    default_vpcs = {r["id"] for r in records if r["type"] == "vpc:vpc" and r.get("default")}
    for r in records:
        t = r["type"]
        if t in ("vpc:vpc", "vpc:subnet", "vpc:security-group", "vpc:network-interface"):
            r["default"] = bool(r.get("default"))  # the type's own marker (read by its row)
        elif t == "vpc:route-table" and r.get("main"):
            r["default"] = True
        elif t == "vpc:internet-gateway" and set(r.get("vpcs") or []) & default_vpcs:
            r["default"] = True


def interface_made_by_aws(item: dict) -> bool:
    """A network interface (DescribeNetworkInterfaces' item) AWS made for an instance or a service."""
    return (item.get("Attachment") or {}).get("DeviceIndex") == 0 or bool(item.get("RequesterManaged"))


def is_default(record: dict) -> bool:
    return bool(record.get("default"))


def fold(records: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """(the records AWS did not make, {type: how many AWS-made records were left out})."""
    kept, folded = [], {}
    for r in records:
        if is_default(r):
            folded[r["type"]] = folded.get(r["type"], 0) + 1
        else:
            kept.append(r)
    return kept, folded
