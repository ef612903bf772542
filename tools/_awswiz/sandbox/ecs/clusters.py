"""ECS cluster rules that moto (5.2) lacks, taught to its backend in place (this runs inside the sandbox server):

- DeleteCluster fails while the cluster holds services (ClusterContainsServicesException), registered container
  instances (ClusterContainsContainerInstancesException) or running tasks (ClusterContainsTasksException) (Amazon
  ECS API Reference, DeleteCluster); moto marks it INACTIVE anyway.
- ECS Managed Instances capacity providers: CreateCapacityProvider with `cluster` and `managedInstancesProvider`
  makes a provider of that cluster only (botocore ecs model, CreateCapacityProviderRequest.cluster: "When you
  create a capacity provider with Amazon ECS Managed Instances, it becomes available only within the specified
  cluster"; CapacityProvider.type MANAGED_INSTANCES; moto requires an Auto Scaling group), listed in the cluster's
  capacityProviders; DeleteCapacityProvider with the cluster removes it. DeleteCluster fails while one is
  attached, as AWS answers ("ClientException: The Cluster cannot be deleted while Cluster Scoped Capacity
  Providers are attached to the cluster", seen from AWS in hashicorp/terraform-provider-aws#45794 and
  ekristen/aws-nuke#990; the ECS API Reference documents it as ClusterContainsCapacityProviderException: "You must
  first delete all capacity providers from the cluster before you can delete the cluster itself"). Auto Scaling
  group and Fargate providers do not stop it (ECS API Reference, DeleteCapacityProvider: "To remove a capacity
  provider from a cluster, you can either use PutClusterCapacityProviders or delete the cluster").
"""

from __future__ import annotations

LIVE_SERVICE = ("ACTIVE", "DRAINING")
SCOPED = "MANAGED_INSTANCES"


def _teach_moto() -> None:
    from moto.core.responses import ActionResult
    from moto.ecs.exceptions import EcsClientException, ECSException
    from moto.ecs.models import CapacityProvider, EC2ContainerServiceBackend
    from moto.ecs.responses import EC2ContainerServiceResponse

    CapacityProvider.cluster, CapacityProvider.type, CapacityProvider.managed_instances_provider = (
        None, "EC2_AUTOSCALING", None)
    create, delete_provider = EC2ContainerServiceResponse.create_capacity_provider, \
        EC2ContainerServiceBackend.delete_capacity_provider
    delete_cluster = EC2ContainerServiceBackend.delete_cluster

    def create_capacity_provider(self):
        cluster_name = self._get_param("cluster")
        managed = self._get_param("managedInstancesProvider")
        if managed is None or cluster_name is None:
            return create(self)
        cluster = self.ecs_backend._get_cluster(cluster_name)
        provider = self.ecs_backend.create_capacity_provider(self._get_param("name"), {}, self._get_param("tags"))
        provider.auto_scaling_group_provider, provider.type = None, SCOPED
        provider.cluster, provider.managed_instances_provider = cluster.name, managed
        cluster.capacity_providers = [*(cluster.capacity_providers or []), provider.name]
        return ActionResult({"capacityProvider": provider})

    def delete_capacity_provider(self, name_or_arn: str):
        provider = self._get_provider(name_or_arn)
        out = delete_provider(self, name_or_arn)
        cluster = self.clusters.get(provider.cluster) if provider is not None and provider.cluster else None
        if cluster is not None:
            cluster.capacity_providers = [p for p in cluster.capacity_providers or [] if p != provider.name]
        return out

    def delete_ecs_cluster(self, cluster_str: str):
        cluster = self._get_cluster(cluster_str)
        if any(p.cluster == cluster.name and p.name in (cluster.capacity_providers or [])
               for p in self.capacity_providers.values()):
            raise EcsClientException("The Cluster cannot be deleted while Cluster Scoped Capacity Providers are "
                                     "attached to the cluster.")
        if any(s.cluster_name == cluster.name and s.status in LIVE_SERVICE for s in self.services.values()):
            raise ECSException("ClusterContainsServicesException", "The Cluster cannot be deleted while Services "
                               "are active.")
        if any(ci.status != "INACTIVE" for ci in self.container_instances.get(cluster.name, {}).values()):
            raise ECSException("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while "
                               "Container Instances are active or draining.")
        if any(t.desired_status == "RUNNING" for t in self.tasks.get(cluster.name, {}).values()):
            raise ECSException("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        return delete_cluster(self, cluster_str)

    EC2ContainerServiceResponse.create_capacity_provider = create_capacity_provider
    EC2ContainerServiceBackend.delete_capacity_provider = delete_capacity_provider
    EC2ContainerServiceBackend.delete_cluster = delete_ecs_cluster


_teach_moto()
