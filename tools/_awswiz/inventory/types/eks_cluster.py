"""eks:cluster: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/containers.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="eks:cluster", order=230, service="eks", call="list_clusters",
    items="clusters[]", id="@",
    # no created: ListClusters gives names only (botocore eks model); DescribeCluster's createdAt would be a call
    # per cluster
    tags=None,
    removal="terminate deletes its node groups and Fargate profiles, waits, then deletes the cluster",
    cost="per cluster-hour for the control plane, plus its nodes and Fargate pods",
)
