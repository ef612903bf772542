"""ecs:cluster and eks:cluster: what runs in a cluster goes first, as AWS requires.

ECS (Amazon ECS API Reference, DeleteCluster: ClusterContainsServicesException,
ClusterContainsContainerInstancesException, ClusterContainsTasksException): each service is scaled to 0 and
deleted (a DAEMON service is deleted at once), standalone tasks are stopped, container instances are
deregistered; then, once the services are INACTIVE and no task runs, the cluster is deleted. The EC2 instances
behind container instances are not terminated (they may belong to an Auto Scaling group, or serve something
else): the plan names each, with the command that terminates it.

EKS (Amazon EKS API Reference, DeleteCluster: "If you have managed node groups or Fargate profiles attached
to the cluster, you must delete them first"; DeleteFargateProfile: only one profile of a cluster may be
DELETING at a time): node groups are deleted, Fargate profiles one after the other (each waited for), then the
cluster once its node groups are gone. Load balancers and volumes that Kubernetes made stay (the plan says so).
"""

from __future__ import annotations

import re
import time

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.lookup import either, match, unique
from _awswiz.shell import hints

ECS_ID = either(r"arn:aws[\w-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255}", r"[A-Za-z0-9_-]{1,255}")
EKS_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
WAIT = {"Delay": 15, "MaxAttempts": 80}  # up to 20 minutes, as draining and node group deletion take
TASKS_STOP_S = 600


def _batches(items: list, n: int):
    for i in range(0, len(items), n):
        yield items[i:i + n]


# --- ECS -------------------------------------------------------------------------------------------

def _ecs_clusters(ecs) -> list[dict]:
    """The region's live clusters: ListClusters may still name deleted (INACTIVE) ones for a while (Amazon ECS
    API Reference, DeleteCluster), so their status is read in batches of 100 (DescribeClusters' limit)."""
    arns = paginate(ecs, "list_clusters", "clusterArns")
    live = {c["clusterArn"] for batch in _batches(arns, 100)
            for c in ecs.describe_clusters(clusters=batch)["clusters"] if c.get("status") != "INACTIVE"}
    return [{"arn": a, "name": a.rsplit("/", 1)[-1]} for a in arns if a in live]


def find_ecs(ctx, region: str, ids: list[str]) -> set[str]:
    return set(match(_ecs_clusters(ctx.aws.client("ecs", region)), ids, "arn", "name"))


def _label(kind: str, name: str) -> str:
    return f"{kind} {name} (it holds this)"


def _providers(ecs, cluster: dict) -> tuple[list[dict], list[dict]]:
    """(cluster-scoped providers, the others) of a cluster, with their tags. A Managed Instances provider belongs
    to its cluster, and AWS refuses DeleteCluster while one is attached ("The Cluster cannot be deleted while
    Cluster Scoped Capacity Providers are attached to the cluster", ClientException; the ECS API Reference names
    it ClusterContainsCapacityProviderException: "You must first delete all capacity providers from the cluster
    before you can delete the cluster itself"): DeleteCapacityProvider with the cluster goes first. FARGATE,
    FARGATE_SPOT and Auto Scaling group providers are disassociated by DeleteCluster itself (ECS API Reference,
    DeleteCapacityProvider: "To remove a capacity provider from a cluster, you can either use
    PutClusterCapacityProviders or delete the cluster"); an Auto Scaling group's instances keep running."""
    names = cluster.get("capacityProviders") or []
    if not names:
        return [], []
    # with the cluster, as a Managed Instances provider is described only then (botocore ecs model,
    # DescribeCapacityProvidersRequest.cluster: "including Amazon ECS Managed Instances capacity providers")
    found = [p for batch in _batches(names, 100) for p in ecs.describe_capacity_providers(
        capacityProviders=batch, cluster=cluster["clusterArn"], include=["TAGS"]).get("capacityProviders", [])]
    scoped = [p for p in found if p.get("cluster") or p.get("type") == "MANAGED_INSTANCES"]
    described = {p["name"]: p for p in found if p not in scoped}  # FARGATE, FARGATE_SPOT may be named only
    return scoped, [described.get(n, {"name": n}) for n in names if n not in {p["name"] for p in scoped}]


def _ecs_parts(ctx, ecs, cluster: dict, region: str, touches: dict,
               scoped: list[dict]) -> tuple[list[guard.Action], list[str]]:
    """What must go before the cluster: services (scaled to 0, deleted), standalone tasks, container instances,
    its cluster-scoped capacity providers; and the services to wait for (those deleted here, and those already
    draining). Each with ITS OWN tags (DescribeServices/DescribeTasks/DescribeContainerInstances/
    DescribeCapacityProviders include=TAGS), and the cluster in `touches`: the guard refuses the whole cluster when
    one of them, or the cluster, is protected."""
    arn = cluster["clusterArn"]
    acts: list[guard.Action] = []
    base = {"region": region, "target": arn, "touches": touches}
    described = [s for batch in _batches(paginate(ecs, "list_services", "serviceArns", cluster=arn), 10)
                 for s in ecs.describe_services(cluster=arn, services=batch, include=["TAGS"])["services"]]
    services = [s for s in described if s["status"] == "ACTIVE"]
    waits = [s["serviceArn"] for s in described if s["status"] in ("ACTIVE", "DRAINING")]
    for s in services:
        daemon, desired, own = s.get("schedulingStrategy") == "DAEMON", s.get("desiredCount", 0), tag_map(s.get("tags"))
        if not daemon and desired:
            acts.append(guard.Action(op="scale-to-zero", type="ecs:service", id=s["serviceArn"],
                                     name=s["serviceName"], tags=own, state={"desired": desired},
                                     detail={"desired_count": f"{desired} -> 0"}, **base))
        acts.append(guard.Action(op="delete", type="ecs:service", id=s["serviceArn"], name=s["serviceName"], tags=own,
                                 state={"daemon": daemon}, detail={"running": s.get("runningCount", 0)}, **base))
    running = paginate(ecs, "list_tasks", "taskArns", cluster=arn, desiredStatus="RUNNING")
    for batch in _batches(running, 100):
        for t in ecs.describe_tasks(cluster=arn, tasks=batch, include=["TAGS"])["tasks"]:
            if not str(t.get("group", "")).startswith("service:"):  # a service's tasks stop with the service
                acts.append(guard.Action(op="stop-task", type="ecs:task", id=t["taskArn"], tags=tag_map(t.get("tags")),
                                         state={"status": t.get("lastStatus")},
                                         detail={"task_definition": t.get("taskDefinitionArn")}, **base))
    instances = paginate(ecs, "list_container_instances", "containerInstanceArns", cluster=arn)
    for batch in _batches(instances, 100):
        for ci in ecs.describe_container_instances(cluster=arn, containerInstances=batch,
                                                   include=["TAGS"])["containerInstances"]:
            iid = ci.get("ec2InstanceId")
            stays = (f"EC2 instance {iid} keeps running and is billed (an Auto Scaling group may own it); to "
                     "end it: " + hints.command(ctx, "terminate", "--type", "ec2:instance", "--id", iid,
                                                region=region)) if iid else None
            acts.append(guard.Action(op="deregister", type="ecs:container-instance", id=ci["containerInstanceArn"],
                                     tags=tag_map(ci.get("tags")), state={"status": ci.get("status"),
                                                                          "ec2_instance": iid},
                                     detail={"stays_behind": [stays] if stays else []}, **base))
    for p in scoped:
        acts.append(guard.Action(
            op="delete", type="ecs:capacity-provider", id=p["name"], name=p["name"], tags=tag_map(p.get("tags")),
            state={"status": p.get("status"), "type": p.get("type"), "services": waits},
            detail={"why": "a cluster-scoped (Managed Instances) capacity provider: AWS refuses DeleteCluster while "
                    "it is attached", "note": "ECS terminates the instances it manages"}, **base))
    return acts, waits


def plan_ecs(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ecs = ctx.aws.client("ecs", region)
    chosen = unique(match(_ecs_clusters(ecs), ids, "arn", "name"), "arn")
    info = {c["clusterArn"]: c for batch in _batches([c["arn"] for c in chosen], 100)
            for c in ecs.describe_clusters(clusters=batch, include=["TAGS"])["clusters"]}
    out = guard.Plan(actions=[])
    for c in chosen:
        arn, cluster = c["arn"], info.get(c["arn"], {"clusterArn": c["arn"]})
        tags = tag_map(cluster.get("tags"))
        scoped, others = _providers(ecs, cluster)
        parts, services = _ecs_parts(ctx, ecs, cluster, region, {_label("ECS cluster", c["name"]): tags}, scoped)
        detail = {"first": f"{len(parts)} step(s) above; waits for services to drain and tasks to stop"
                  if parts else "nothing runs in it"}
        if others:
            detail["capacity_providers_disassociated"] = [p["name"] for p in others]
        if asgs := [p["autoScalingGroupProvider"]["autoScalingGroupArn"].rsplit("/", 1)[-1] for p in others
                    if p.get("autoScalingGroupProvider", {}).get("autoScalingGroupArn")]:
            detail["stays_behind"] = [f"Auto Scaling group {g} and its capacity provider stay: its instances keep "
                                      "running and are billed; to end them: " + hints.aws_cli(
                                          ctx, "autoscaling", "update-auto-scaling-group", "--auto-scaling-group-name",
                                          g, "--min-size", "0", "--desired-capacity", "0", region=region)
                                      for g in asgs]
        out.actions += parts
        out.actions.append(guard.Action(
            op="delete", type="ecs:cluster", id=arn, region=region, name=c["name"], tags=tags,
            state={"status": cluster.get("status"), "services": services,
                   "capacity_providers": sorted(cluster.get("capacityProviders") or [])}, detail=detail))
    return out


def _pauses(cap: float = 10.0):
    """1 s, 2 s, 4 s, ... then every cap seconds: a wait that is over at once costs a second, not the cap."""
    pause = 1.0
    while True:
        yield pause
        pause = min(pause * 2, cap)


def _wait_tasks(ecs, arn: str) -> None:
    deadline, pauses = time.monotonic() + TASKS_STOP_S, _pauses()
    while ecs.list_tasks(cluster=arn, desiredStatus="RUNNING").get("taskArns") and time.monotonic() < deadline:
        time.sleep(next(pauses))


def _wait_drained(ecs, cluster: str, services: list[str]) -> None:
    for batch in _batches(services, 10):
        ecs.get_waiter("services_inactive").wait(cluster=cluster, services=batch, WaiterConfig=WAIT)
    _wait_tasks(ecs, cluster)


def _delete_provider(ecs, cluster: str, name: str) -> str:
    """DeleteCapacityProvider answers at once (updateStatus DELETE_IN_PROGRESS); DeleteCluster waits for it to be
    gone (INACTIVE, or no longer described)."""
    status = ecs.delete_capacity_provider(capacityProvider=name, cluster=cluster)["capacityProvider"].get("status")
    deadline, pauses = time.monotonic() + TASKS_STOP_S, _pauses()
    while status == "ACTIVE" and time.monotonic() < deadline:
        time.sleep(next(pauses))
        found = ecs.describe_capacity_providers(capacityProviders=[name], cluster=cluster).get("capacityProviders")
        status = found[0].get("status") if found else "INACTIVE"
    return status or "INACTIVE"


def do_ecs(ctx, action: guard.Action) -> dict:
    ecs = ctx.aws.client("ecs", action.region)
    cluster = action.target or action.id
    if action.op == "scale-to-zero":
        ecs.update_service(cluster=cluster, service=action.id, desiredCount=0)
        return {"desired_count": 0}
    if action.type == "ecs:service":
        return {"status": ecs.delete_service(cluster=cluster, service=action.id,
                                             force=bool(action.state.get("daemon")))["service"]["status"]}
    if action.op == "stop-task":
        ecs.stop_task(cluster=cluster, task=action.id, reason="awswiz terminate: deleting the cluster")
        return {"stopped": action.id}
    if action.op == "deregister":
        ecs.deregister_container_instance(cluster=cluster, containerInstance=action.id, force=True)
        return {"deregistered": action.id}
    _wait_drained(ecs, cluster, action.state.get("services", []))
    if action.type == "ecs:capacity-provider":  # no service may still use it (ECS API Reference)
        return {"status": _delete_provider(ecs, cluster, action.id)}
    return {"status": ecs.delete_cluster(cluster=cluster)["cluster"]["status"]}


# --- EKS -------------------------------------------------------------------------------------------

def find_eks(ctx, region: str, ids: list[str]) -> set[str]:
    names = set(paginate(ctx.aws.client("eks", region), "list_clusters", "clusters"))
    return {i for i in ids if i in names}


def _deletion_protection(ctx, cluster: dict, region: str) -> str | None:
    """Why AWS would refuse DeleteCluster: deletionProtection on an ACTIVE (or updating) cluster (Amazon EKS User
    Guide, "Protect EKS clusters from accidental deletion": "If you try to delete an active cluster that has
    deletion protection turned on, you will receive a InvalidRequestException"; "If the cluster state is
    creating, failed, or deleting, you can delete the cluster even if deletion protection is turned on")."""
    if not cluster.get("deletionProtection") or cluster.get("status") in ("CREATING", "FAILED", "DELETING"):
        return None
    lift = hints.aws_cli(ctx, "eks", "update-cluster-config", "--name", cluster["name"], "--no-deletion-protection",
                         region=region)
    return (f"deletion protection is on (deletionProtection=true), so AWS refuses DeleteCluster "
            f"(InvalidRequestException); nothing of it is deleted; lift it deliberately with: {lift}")


def plan_eks(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    eks = ctx.aws.client("eks", region)
    names = set(paginate(eks, "list_clusters", "clusters"))
    out = guard.Plan(actions=[])
    for name in [i for i in dict.fromkeys(ids) if i in names]:
        cluster = eks.describe_cluster(name=name)["cluster"]
        tags, status = tag_map(cluster.get("tags")), cluster.get("status")
        if status == "DELETING":
            out.skipped.append({"id": name, "region": region, "type": "eks:cluster", "name": name,
                                "reason": "already being deleted"})
            continue
        groups = paginate(eks, "list_nodegroups", "nodegroups", clusterName=name)
        profiles = paginate(eks, "list_fargate_profiles", "fargateProfileNames", clusterName=name)
        # each part with ITS OWN tags (DescribeNodegroup / DescribeFargateProfile `tags`), the cluster in touches
        base = {"region": region, "target": name, "touches": {_label("EKS cluster", name): tags}}
        out.actions += [guard.Action(op="delete", type="eks:nodegroup", id=g, tags=tag_map(eks.describe_nodegroup(
            clusterName=name, nodegroupName=g)["nodegroup"].get("tags")), detail={
            "note": "its EC2 nodes are terminated with it"}, **base) for g in groups]
        out.actions += [guard.Action(op="delete", type="eks:fargate-profile", id=p, tags=tag_map(
            eks.describe_fargate_profile(clusterName=name, fargateProfileName=p)["fargateProfile"].get("tags")),
            detail={"note": "its pods are deleted; waited for (one profile deletes at a time)"}, **base)
            for p in profiles]
        out.actions.append(guard.Action(
            op="delete", type="eks:cluster", id=name, region=region, name=name, tags=tags,
            blocked=_deletion_protection(ctx, cluster, region),  # blocks its node groups and profiles too (one target)
            state={"status": status, "nodegroups": groups, "fargate_profiles": profiles,
                   "deletion_protection": bool(cluster.get("deletionProtection"))},
            detail={"version": cluster.get("version"),
                    **({"waits": "for its node groups to be deleted"} if groups else {}),
                    "stays_behind": ["load balancers and EBS volumes Kubernetes made for its Services and "
                                     "volumes (delete those Services in the cluster first to remove them)"]}))
    return out


def do_eks(ctx, action: guard.Action) -> dict:
    eks = ctx.aws.client("eks", action.region)
    if action.type == "eks:nodegroup":
        out = eks.delete_nodegroup(clusterName=action.target, nodegroupName=action.id)
        return {"status": out["nodegroup"]["status"]}
    if action.type == "eks:fargate-profile":
        eks.delete_fargate_profile(clusterName=action.target, fargateProfileName=action.id)
        eks.get_waiter("fargate_profile_deleted").wait(clusterName=action.target, fargateProfileName=action.id,
                                                      WaiterConfig=WAIT)
        return {"deleted": action.id}
    for g in action.state.get("nodegroups", []):
        eks.get_waiter("nodegroup_deleted").wait(clusterName=action.id, nodegroupName=g, WaiterConfig=WAIT)
    return {"status": eks.delete_cluster(name=action.id)["cluster"]["status"]}


register(
    Remover(type="ecs:cluster", id_pattern=ECS_ID, find=find_ecs, plan=plan_ecs, do=do_ecs,
            id_example="arn:aws:ecs:REGION:ACCOUNT:cluster/NAME, or the name"),
    Remover(type="eks:cluster", id_pattern=EKS_NAME, find=find_eks, plan=plan_eks, do=do_eks,
            id_example="my-cluster (the name scan shows)"),
)
