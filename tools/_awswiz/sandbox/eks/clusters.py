"""EKS cluster rules that moto (5.2) lacks, taught to its backend in place (this runs inside the sandbox server):

- Deletion protection: CreateCluster and UpdateClusterConfig take `deletionProtection`, DescribeCluster answers it
  (botocore eks model: Cluster.deletionProtection; moto drops the field), and DeleteCluster of a protected cluster
  fails with InvalidRequestException unless it is CREATING, FAILED or DELETING (Amazon EKS User Guide, "Protect EKS
  clusters from accidental deletion": "If you try to delete an active cluster that has deletion protection turned
  on, you will receive a InvalidRequestException"; "If the cluster state is creating, failed, or deleting, you can
  delete the cluster even if deletion protection is turned on").
- DeleteCluster fails while Fargate profiles are attached, as it does for node groups ("If you have managed node
  groups or Fargate profiles attached to the cluster, you must delete them first": Amazon EKS API Reference,
  DeleteCluster); moto checks node groups only.
"""

from __future__ import annotations

KEEPS_PROTECTED = ("CREATING", "FAILED", "DELETING")


def _teach_moto() -> None:
    from moto.eks.exceptions import InvalidRequestException, ResourceInUseException
    from moto.eks.models import Cluster, EKSBackend
    from moto.eks.responses import EKSResponse

    Cluster.deletion_protection = False
    create, update, delete = EKSResponse.create_cluster, EKSResponse.update_cluster_config, EKSBackend.delete_cluster

    def _flag(resp) -> None:
        value = resp._get_param("deletionProtection")
        cluster = resp.eks_backend.clusters.get(resp._get_param("name"))
        if value is not None and cluster is not None:
            cluster.deletion_protection = bool(value)

    def create_cluster(self):
        out = create(self)
        _flag(self)
        return out

    def update_cluster_config(self):
        out = update(self)
        _flag(self)
        return out

    def delete_cluster(self, name: str):
        cluster = self.clusters.get(name)
        if cluster is not None and cluster.deletion_protection and cluster.status not in KEEPS_PROTECTED:
            raise InvalidRequestException(clusterName=name, nodegroupName=None, addonName=None,
                                          message=f"Cluster {name} has deletion protection enabled. Disable "
                                          "deletion protection before deleting the cluster.")
        if cluster is not None and cluster.fargate_profiles:
            raise ResourceInUseException(clusterName=name, nodegroupName=None, addonName=None,
                                         fargateProfileName=",".join(cluster.fargate_profiles),
                                         message="Cluster has fargate profiles attached")
        return delete(self, name)

    EKSResponse.create_cluster, EKSResponse.update_cluster_config = create_cluster, update_cluster_config
    EKSBackend.delete_cluster = delete_cluster


_teach_moto()
