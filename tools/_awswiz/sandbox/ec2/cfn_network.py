"""CloudFormation's network resources as AWS makes them; taught to moto (5.2) in place.

- Tags: AWS::EC2::RouteTable, InternetGateway, NatGateway and VPCEndpoint take a Tags property ("The tags to
  assign to the ...", CloudFormation User Guide, each type's reference page) and the resource carries them.
  moto's create_from_cloudformation_json drops them: a stack's route tables and gateways came out unnamed.
- AWS::EC2::SubnetRouteTableAssociation "Associates a subnet with a route table" (its reference page): the route
  table then lists the subnet in its Associations (DescribeRouteTables). moto kept the association in a table of
  its own that DescribeRouteTables never reads, so the subnet stayed with the main route table; here it is
  associated as AssociateRouteTable does, and the association id is the resource's physical id (Ref returns it).

Gap left: moto has no AWS::EC2::NetworkAcl, NetworkAclEntry or SubnetNetworkAclAssociation in CloudFormation (a
stack skips them); tests/test_export.py's round trip compares what scan lists, which has no network ACLs.
"""

from __future__ import annotations

TAGGED = ("route_tables.RouteTable", "internet_gateways.InternetGateway", "nat_gateways.NatGateway",
          "vpcs.VPCEndPoint")


def _with_tags(cls) -> None:
    make = cls.create_from_cloudformation_json.__func__

    def create_from_cloudformation_json(kls, resource_name, cloudformation_json, account_id, region_name, **kw):
        made = make(kls, resource_name, cloudformation_json, account_id, region_name, **kw)
        tags = {t["Key"]: t["Value"] for t in (cloudformation_json.get("Properties") or {}).get("Tags") or []}
        if tags and made is not None:
            made.add_tags(tags)
        return made

    cls.create_from_cloudformation_json = classmethod(create_from_cloudformation_json)


def _teach_moto() -> None:
    import importlib

    for path in TAGGED:
        module, name = path.split(".")
        _with_tags(getattr(importlib.import_module(f"moto.ec2.models.{module}"), name))

    from moto.ec2.models.subnets import SubnetRouteTableAssociation

    def create_association(cls, resource_name, cloudformation_json, account_id, region_name, **kw):
        from moto.ec2.models import ec2_backends

        props = cloudformation_json["Properties"]
        backend = ec2_backends[account_id][region_name]
        made = SubnetRouteTableAssociation(props["RouteTableId"], props["SubnetId"])
        made.association_id = backend.associate_route_table(props["RouteTableId"], subnet_id=props["SubnetId"])
        backend.subnet_associations[f"{props['RouteTableId']}:{props['SubnetId']}"] = made
        return made

    SubnetRouteTableAssociation.create_from_cloudformation_json = classmethod(create_association)
    SubnetRouteTableAssociation.physical_resource_id = property(
        lambda self: getattr(self, "association_id", self.route_table_id))


_teach_moto()
