"""CloudWatch evidence for waste.py: is a GPU instance idle, does a NAT gateway or load balancer carry traffic.

All of a region's questions go into GetMetricData calls of at most 500 queries each ("A GetMetricData operation
that does not include a query can retrieve as many as 500 different metrics in a single request, with a total of
as many as 100,800 data points": CloudWatch API Reference, GetMetricData), paginated; never one call per resource.

- CPU: AWS/EC2 CPUUtilization per InstanceId, hourly averages.
- GPU: the CloudWatch agent publishes nvidia_smi_utilization_gpu in the CWAgent namespace, one series per GPU
  with dimensions of its own (index, name, host, and what append_dimensions adds, e.g. InstanceId) ("Collect
  NVIDIA GPU metrics", Amazon CloudWatch User Guide). The exact dimensions vary with the agent's configuration,
  so one ListMetrics per region finds the series that name an InstanceId; when an instance has them, the GPU
  decides whether it is idle (a training job can keep the GPU busy on one idle-looking CPU core).
- NAT gateways: AWS/NATGateway BytesOutToDestination, BytesInFromSource, BytesInFromDestination,
  BytesOutToSource per NatGatewayId, summed over the window ("Monitor NAT gateways with Amazon CloudWatch").
- Load balancers: AWS/ApplicationELB RequestCount and AWS/NetworkELB ProcessedBytes per LoadBalancer
  (app/NAME/ID, net/NAME/ID). "Elastic Load Balancing reports metrics to CloudWatch only when requests are
  flowing through the load balancer ... If there are no requests flowing through the load balancer or no data
  for a metric, the metric is not reported" ("CloudWatch metrics for your Application Load Balancer"): no data
  is no traffic.
Traffic sums use one period as long as the window, a multiple of 3600 s, which CloudWatch accepts for data of
any age (GetMetricData, Period).
"""

from __future__ import annotations

import datetime as _dt

from _awswiz.aws.client import paginate
from _awswiz.compute.idle_alarm import GPU_METRIC, GPU_NAMESPACE  # one name for the agent's GPU metric

BATCH = 500
IDLE_PERCENT = 5.0  # an instance whose every hourly average stays below this is idle
NAT_METRICS = ("BytesOutToDestination", "BytesInFromSource", "BytesInFromDestination", "BytesOutToSource")
LB_METRICS = {"application": ("AWS/ApplicationELB", "RequestCount"), "network": ("AWS/NetworkELB", "ProcessedBytes")}
HOUR = 3600


def window(hours: int) -> tuple[_dt.datetime, _dt.datetime]:
    end = _dt.datetime.now(_dt.UTC).replace(second=0, microsecond=0)
    return end - _dt.timedelta(hours=hours), end


def query(key, namespace: str, name: str, dims: list[dict], period: int, stat: str) -> tuple:
    return key, {"MetricStat": {"Metric": {"Namespace": namespace, "MetricName": name, "Dimensions": dims},
                                "Period": period, "Stat": stat}, "ReturnData": True}


def cpu_query(iid: str) -> tuple:
    return query(("cpu", iid), "AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": iid}], HOUR, "Average")


def gpu_queries(series: dict[str, list[list[dict]]]) -> list[tuple]:
    return [query(("gpu", iid, n), GPU_NAMESPACE, GPU_METRIC, dims, HOUR, "Average")
            for iid, all_dims in series.items() for n, dims in enumerate(all_dims)]


def nat_queries(nat_id: str, hours: int) -> list[tuple]:
    return [query(("nat", nat_id, m), "AWS/NATGateway", m, [{"Name": "NatGatewayId", "Value": nat_id}],
                  hours * HOUR, "Sum") for m in NAT_METRICS]


def lb_dimension(arn: str) -> str:
    """The LoadBalancer dimension: the ARN's part after "loadbalancer/" (app/NAME/ID or net/NAME/ID)."""
    return arn.split(":loadbalancer/", 1)[-1]


def lb_query(arn: str, lb_type: str, hours: int) -> tuple | None:
    if lb_type not in LB_METRICS:
        return None
    ns, name = LB_METRICS[lb_type]
    return query(("lb", arn), ns, name, [{"Name": "LoadBalancer", "Value": lb_dimension(arn)}], hours * HOUR, "Sum")


def gpu_series(cw, instance_ids: set[str]) -> dict[str, list[list[dict]]]:
    """{instance id: [dimensions of each of its GPU series]} from one ListMetrics (paginated) in the region."""
    out: dict[str, list[list[dict]]] = {}
    for m in paginate(cw, "list_metrics", "Metrics", Namespace=GPU_NAMESPACE, MetricName=GPU_METRIC):
        iid = next((d["Value"] for d in m.get("Dimensions", []) if d["Name"] == "InstanceId"), None)
        if iid in instance_ids:
            out.setdefault(iid, []).append(m["Dimensions"])
    return out


def fetch(cw, queries: list[tuple], start: _dt.datetime, end: _dt.datetime) -> dict:
    """{key: [(timestamp, value), ...]} for (key, MetricDataQuery) pairs: 500 queries per call, paginated."""
    out: dict = {}
    for i in range(0, len(queries), BATCH):
        chunk = queries[i:i + BATCH]
        keys = {f"q{n}": key for n, (key, _) in enumerate(chunk)}
        mdq = [{"Id": f"q{n}", **q} for n, (_, q) in enumerate(chunk)]
        for page in cw.get_paginator("get_metric_data").paginate(MetricDataQueries=mdq, StartTime=start,
                                                                  EndTime=end):
            for r in page["MetricDataResults"]:
                out.setdefault(keys[r["Id"]], []).extend(zip(r.get("Timestamps", []), r.get("Values", []),
                                                             strict=False))
    return out


def _covers(points: list, start: _dt.datetime) -> bool:
    """The series reaches back to the start of the window (within two hours): idle for the whole window."""
    return bool(points) and min(t for t, _ in points) <= start + _dt.timedelta(hours=2)


def idle(cpu: list, gpus: list[list], start: _dt.datetime, hours: int) -> str | None:
    """Why the instance is idle over the window, or None when it is busy or the metrics do not show it."""
    if gpus:
        points = [p for g in gpus for p in g]
        if not _covers(points, start) or max(v for _, v in points) >= IDLE_PERCENT:
            return None
        peak = max(v for _, v in points)
        return f"GPU utilisation peaked at {peak:.1f}% (hourly average, {len(gpus)} GPU(s)) in the last {hours} h"
    if not _covers(cpu, start) or max(v for _, v in cpu) >= IDLE_PERCENT:
        return None
    return (f"CPU peaked at {max(v for _, v in cpu):.1f}% (hourly average) in the last {hours} h; "
            "no GPU metrics (the CloudWatch agent's nvidia_gpu section publishes them)")


def traffic(points: list) -> float:
    return sum(v for _, v in points or [])
