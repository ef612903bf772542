"""Imports every module that registers sandbox handlers; each issue adds its own line. Order matters:
spot_api chains in front of handlers registered before it (vpc_api's TerminateInstances among them), so
it comes last."""
# ruff: noqa: I001 - one line per issue, in the order they came
from . import dlami_api, pricing_api, quotas_api  # noqa: F401,E402 - issue 4: quotas, prices, DLAMIs
from . import capacity_api, offerings_api  # noqa: F401,E402 - issue 8 (quota): capacity reservations, offered types
from . import ec2_rules, s3_rules  # noqa: F401,E402 - issue 8: termination protection, instance-store roots, MFA Delete
from . import vpc_api  # noqa: F401,E402 - issue 8: VPC teardown rules (DependencyViolation, async deletes)
from . import spot_api  # noqa: F401,E402 - issue 8: persistent spot requests and maintain fleets relaunch
from . import costs_api  # noqa: F401,E402 - issue 10 (money): Cost Explorer ledger and forecast
from . import capacity_faults, ssh_standin  # noqa: F401,E402 - issue 9: refused capacity, SSH stand-ins for instances
from . import run_spot  # noqa: F401,E402 - issue 9: RunInstances spot requests
from . import removal_rules  # noqa: F401,E402 - issue 11: main route table, default group, IGW with public IPs
from . import list_prices_api  # noqa: F401,E402 - issue 11: Pricing API for storage, IPv4, NAT, load balancers
from . import service_rules  # noqa: F401,E402 - issue 11: ELB/ECS/EKS/IAM/RDS deletion rules
from . import tagging_rules  # noqa: F401,E402 - issue 11 (reap): GetResources lists a bucket in its own region only
from . import mfa_tags  # noqa: F401,E402 - issue 11 (resume): tags on virtual MFA devices (TagMFADevice, ListMFADeviceTags)
from . import budgets_api  # noqa: F401,E402 - issue 18/19 (costs): Budgets subscriber limits, names, paging, tags
from . import sg_protocols  # noqa: F401,E402 - issue 18 (security): rules of any protocol number without ports
from . import cluster_rules  # noqa: F401,E402 - issue 18: EKS deletion protection, ECS Managed Instances providers
from . import run_token  # noqa: F401,E402 - issue 18: RunInstances ClientToken idempotency (outside run_spot)
from . import ami_rules  # noqa: F401,E402 - issue 18 (9): AMI deregistration protection
