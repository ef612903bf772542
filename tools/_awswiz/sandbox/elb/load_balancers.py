"""Load balancers (elbv2) as AWS describes and deletes them, where moto (5.2) does not; taught to moto's backend in
place (this runs inside the sandbox server process):

- Scheme: created without one, moto describes none; AWS's default is internet-facing (elbv2 CreateLoadBalancer,
  Scheme: "The default is an Internet-facing load balancer"; "The nodes of an Internet-facing load balancer have
  public IP addresses"). A Gateway Load Balancer takes no scheme.
- IpAddressType dualstack-without-public-ipv4 (botocore elbv2 IpAddressType): moto refuses it; AWS takes it.
- SubnetMappings AllocationId (an NLB's Elastic IP per AZ): AWS lists it in the zone's LoadBalancerAddresses
  ({IpAddress, AllocationId}); moto drops it.
- DeleteLoadBalancer with deletion_protection.enabled=true fails with OperationNotPermitted ("You can't delete
  a load balancer if deletion protection is enabled": Elastic Load Balancing API Reference, DeleteLoadBalancer);
  moto deletes it. Once deleted, its target groups no longer name it in LoadBalancerArns (moto kept it there).
"""

from __future__ import annotations


def _teach_moto() -> None:
    from moto.ec2.models import ec2_backends
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import AvailabilityZone, ELBv2Backend, FakeLoadBalancer

    create, delete_lb = ELBv2Backend.create_load_balancer, ELBv2Backend.delete_load_balancer

    def create_load_balancer(self, *a, **kw):
        if kw.get("scheme") is None and kw.get("loadbalancer_type") != "gateway":
            kw["scheme"] = "internet-facing"
        wanted = kw.get("ip_address_type")
        if wanted == "dualstack-without-public-ipv4":
            kw["ip_address_type"] = "dualstack"
        lb = create(self, *a, **kw)
        lb.ip_address_type = wanted or lb.ip_address_type
        ec2 = ec2_backends[self.account_id][self.region_name]
        lb.awswiz_eips = {}
        for m in kw.get("subnet_mappings") or []:
            if m.get("AllocationId"):
                (addr,) = ec2.describe_addresses(allocation_ids=[m["AllocationId"]])
                lb.awswiz_eips[m["SubnetId"]] = {"IpAddress": addr.public_ip, "AllocationId": m["AllocationId"]}
        return lb

    def availability_zones(self):
        zones = [AvailabilityZone(subnet) for subnet in self.subnets]
        for z in zones:
            if z.subnet_id in getattr(self, "awswiz_eips", {}):
                z.load_balancer_addresses = [self.awswiz_eips[z.subnet_id]]
        return zones

    def delete_load_balancer(self, arn):
        lb = self.load_balancers.get(arn)
        if lb is not None and str(lb.attrs.get("deletion_protection.enabled")).lower() == "true":
            raise ELBClientError("OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because "
                                 "deletion protection is enabled")
        for tg in self.target_groups.values():  # AWS's TargetGroup.LoadBalancerArns drops it; moto keeps it
            if arn in tg.load_balancer_arns:
                tg.load_balancer_arns.remove(arn)
        return delete_lb(self, arn)

    ELBv2Backend.create_load_balancer = create_load_balancer
    FakeLoadBalancer.availability_zones = property(availability_zones)
    ELBv2Backend.delete_load_balancer = delete_load_balancer


_teach_moto()
