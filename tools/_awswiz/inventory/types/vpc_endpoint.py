"""vpc:endpoint: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/nat_endpoint.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="vpc:endpoint", order=120, service="ec2", call="describe_vpc_endpoints",
    items="VpcEndpoints[]", id="VpcEndpointId",
    state="State",
    # created: VpcEndpoint.CreationTimestamp (botocore ec2 model)
    fields={"vpc": "VpcId", "service_name": "ServiceName", "endpoint_type": "VpcEndpointType",
            "created": "CreationTimestamp"},
    removal="terminate.py: deleted and waited for (its interfaces go with it)",
    cost="interface endpoints per hour per Availability Zone plus per GB; gateway endpoints free",
)
