"""ecs:cluster: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/containers.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="ecs:cluster", order=220, service="ecs", call="list_clusters",
    items="clusterArns[]", id="@",
    tags=None,
    removal=(
        "terminate scales its services to 0 and deletes them, stops its tasks, deregisters its container instances "
        "(their EC2 instances stay), then deletes the cluster"
    ),
    cost="free itself; its Fargate tasks (per vCPU- and GB-hour) and EC2 container instances are billed",
)
