"""vpc:vpc: the whole teardown, as cleanup_vpc.py plans and performs it (vpc_teardown.py, vpc_apply.py): NAT
gateways, endpoints, gateways, subnets, route tables, ACLs, peerings, groups, then the VPC. A default VPC, a VPC
with instances or load balancers, or with a protected part, is blocked, naming them."""

from __future__ import annotations

from _awswiz.guard.targets import VPC_ID
from _awswiz.removal import vpc_apply, vpc_teardown
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import finder

register(Remover(type="vpc:vpc", id_pattern=VPC_ID, id_example="vpc-0123456789abcdef0",
                 find=finder("describe_vpcs", "Vpcs", "vpc-id", "VpcId"),
                 plan=lambda ctx, region, ids, opts: vpc_teardown.plan(ctx, region, ids),
                 do=lambda ctx, a: vpc_apply.do(ctx.aws, a)))
