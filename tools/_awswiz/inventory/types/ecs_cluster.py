"""ecs:cluster: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/containers.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row


def add_status(client, recs: list[dict]) -> None:
    """Each ECS cluster's status (ListClusters names no status); deleted (INACTIVE) clusters are left out: they
    "might remain discoverable in your account for a period of time" (Amazon ECS API Reference, DeleteCluster)."""
    status = {}
    for i in range(0, len(recs), 100):  # DescribeClusters takes up to 100 clusters
        for c in client.describe_clusters(clusters=[r["id"] for r in recs[i:i + 100]])["clusters"]:
            status[c["clusterArn"]] = c.get("status")
    for r in recs:
        r["state"] = status.get(r["id"])
    recs[:] = [r for r in recs if r["state"] != "INACTIVE"]


def follow(job, recs: list[dict]) -> None:
    job.submit(("ecs-status", job.region), lambda: add_status(job.client, recs), job.region, "ecs:DescribeClusters")


ROW = Row(
    type="ecs:cluster", order=220, service="ecs", call="list_clusters",
    items="clusterArns[]", id="@",
    # no created: ListClusters gives ARNs and DescribeClusters' Cluster has no creation time (botocore ecs model)
    tags=None, follow=follow,
    removal=(
        "terminate scales its services to 0 and deletes them, stops its tasks, deregisters its container instances "
        "(their EC2 instances stay), then deletes the cluster"
    ),
    cost="free itself; its Fargate tasks (per vCPU- and GB-hour) and EC2 container instances are billed",
)
