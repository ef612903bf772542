"""Deletion rules of ELB, ECS, EKS, IAM and RDS as AWS enforces them, where moto (5.2) is too kind; taught to
moto's backends in place (this runs inside the sandbox server process), as ec2_rules.py does for EC2:

- DeleteLoadBalancer with deletion_protection.enabled=true fails with OperationNotPermitted ("You can't delete
  a load balancer if deletion protection is enabled": Elastic Load Balancing API Reference, DeleteLoadBalancer);
  moto deletes it. Once deleted, its target groups no longer name it in LoadBalancerArns (moto kept it there).
- DeleteCluster (ECS) fails while the cluster holds services (ClusterContainsServicesException), registered
  container instances (ClusterContainsContainerInstancesException) or running tasks
  (ClusterContainsTasksException) (Amazon ECS API Reference, DeleteCluster); moto marks it INACTIVE anyway.
- DeleteCluster (EKS) fails while Fargate profiles are attached, as it does for node groups ("If you have managed
  node groups or Fargate profiles attached to the cluster, you must delete them first": Amazon EKS API
  Reference, DeleteCluster); moto checks node groups only.
- DeleteUser fails with DeleteConflict while the user has a password, access keys, signing certificates, SSH
  keys, MFA devices or group memberships (IAM API Reference, DeleteUser: "you must delete the items attached
  to the user manually, or the deletion fails"); moto checks policies only.
- DeleteRole on a service-linked role fails with UnmodifiableEntity (IAM API Reference,
  UnmodifiableEntityException: "Only the service that depends on the service-linked role can modify or delete
  the role"); moto deletes it.
- DeleteDBInstance without FinalDBSnapshotIdentifier needs SkipFinalSnapshot=true (RDS API Reference,
  DeleteDBInstance: "If you don't enable this parameter, you must specify the FinalDBSnapshotIdentifier
  parameter"); moto deletes without a snapshot.
- ListServiceSpecificCredentials: moto lacks it (and CreateServiceSpecificCredential), so a user never has
  any here: answered with an empty list.
- ListInstanceProfileTags: moto keeps an instance profile's tags (CreateInstanceProfile Tags, TagInstanceProfile)
  but lacks the call (IAM API Reference, ListInstanceProfileTags: "Lists the tags that are attached to the
  specified IAM instance profile. The returned list of tags is sorted by tag key"); NoSuchEntity for an unknown one.
- A SageMaker notebook instance's ARN carries its name lower-cased (arn:...:notebook-instance/mynb for MyNb;
  SageMaker lower-cases the names in its ARNs: boto/boto3#4606, aws/sagemaker-experiments#172); moto keeps the
  case. ListTags and the other calls by ARN find it by that lower-cased ARN.
- DescribeInstances' filter iam-instance-profile.arn ("The instance profile associated with the instance. Specified
  as an ARN": Amazon EC2 API Reference, DescribeInstances): moto answers NotImplementedError (HTTP 500).
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .handlers import ApiError, handles

LIVE_SERVICE = ("ACTIVE", "DRAINING")


def _teach_moto() -> None:
    from moto.ec2.models.instances import Instance
    from moto.ec2.utils import filter_dict_attribute_mapping
    from moto.ecs.exceptions import ECSException
    from moto.ecs.models import EC2ContainerServiceBackend
    from moto.eks.exceptions import ResourceInUseException
    from moto.eks.models import EKSBackend
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend
    from moto.iam.exceptions import DeleteConflictException, IAMException
    from moto.iam.models import IAMBackend
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend
    from moto.sagemaker.models import FakeSagemakerNotebookInstance, SageMakerModelBackend

    delete_lb, delete_ecs, delete_eks = (ELBv2Backend.delete_load_balancer, EC2ContainerServiceBackend.delete_cluster,
                                         EKSBackend.delete_cluster)
    delete_user, delete_role, delete_db = IAMBackend.delete_user, IAMBackend.delete_role, RDSBackend.delete_db_instance

    def delete_load_balancer(self, arn):
        lb = self.load_balancers.get(arn)
        if lb is not None and str(lb.attrs.get("deletion_protection.enabled")).lower() == "true":
            raise ELBClientError("OperationNotPermitted", f"Load balancer '{arn}' cannot be deleted because "
                                 "deletion protection is enabled")
        for tg in self.target_groups.values():  # AWS's TargetGroup.LoadBalancerArns drops it; moto keeps it
            if arn in tg.load_balancer_arns:
                tg.load_balancer_arns.remove(arn)
        return delete_lb(self, arn)

    def delete_ecs_cluster(self, cluster_str):
        cluster = self._get_cluster(cluster_str)
        if any(s.cluster_name == cluster.name and s.status in LIVE_SERVICE for s in self.services.values()):
            raise ECSException("ClusterContainsServicesException", "The Cluster cannot be deleted while Services "
                               "are active.")
        if any(ci.status != "INACTIVE" for ci in self.container_instances.get(cluster.name, {}).values()):
            raise ECSException("ClusterContainsContainerInstancesException", "The Cluster cannot be deleted while "
                               "Container Instances are active or draining.")
        if any(t.desired_status == "RUNNING" for t in self.tasks.get(cluster.name, {}).values()):
            raise ECSException("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")
        return delete_ecs(self, cluster_str)

    def delete_eks_cluster(self, name):
        cluster = self.clusters.get(name)
        if cluster is not None and cluster.fargate_profiles:
            raise ResourceInUseException(clusterName=name, nodegroupName=None, addonName=None,
                                         fargateProfileName=",".join(cluster.fargate_profiles),
                                         message="Cluster has fargate profiles attached")
        return delete_eks(self, name)

    def delete_iam_user(self, user_name):
        user = self.get_user(user_name)
        attached = [what for what, there in (
            ("login profile", user.password is not None), ("access keys", user.access_keys),
            ("signing certificates", user.signing_certificates), ("SSH public keys", user.ssh_public_keys),
            ("MFA devices", user.mfa_devices), ("group memberships", self.get_groups_for_user(user_name))) if there]
        if attached:
            raise DeleteConflictException(f"Cannot delete entity, must remove {attached[0]} first.")
        return delete_user(self, user_name)

    def delete_iam_role(self, role_name):
        role = self.get_role(role_name)
        if role.path.startswith("/aws-service-role/"):
            raise IAMException("UnmodifiableEntity", f"Cannot perform the operation on the protected role "
                               f"'{role_name}' - this role is only modifiable by AWS")
        return delete_role(self, role_name)

    def delete_db_instance(self, db_instance_identifier, **kw):
        if not kw.get("final_db_snapshot_identifier") and str(kw.get("skip_final_snapshot")).lower() != "true":
            raise InvalidParameterCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot "
                                              "is specified.")
        return delete_db(self, db_instance_identifier, **kw)

    nb_init, by_arn = FakeSagemakerNotebookInstance.__init__, SageMakerModelBackend._get_resource_from_arn

    def notebook_init(self, *a, **kw):
        nb_init(self, *a, **kw)
        self.arn = self.arn.lower()

    def get_resource_from_arn(self, arn: str):
        head, _, name = arn.rpartition("/")
        if head.endswith(":notebook-instance"):
            name = next((n for n in self.notebook_instances if n.lower() == name.lower()), name)
        return by_arn(self, f"{head}/{name}")

    FakeSagemakerNotebookInstance.__init__ = notebook_init
    SageMakerModelBackend._get_resource_from_arn = get_resource_from_arn

    def profile_arn(self):  # the instance's profile association, as AWS's iam-instance-profile.arn filter reads it
        assoc = self.ec2_backend.iam_instance_profile_associations.get(self.id)
        return assoc.iam_instance_profile.arn if assoc is not None else None

    Instance.awswiz_profile_arn = property(profile_arn)
    filter_dict_attribute_mapping.setdefault("iam-instance-profile.arn", "awswiz_profile_arn")
    ELBv2Backend.delete_load_balancer = delete_load_balancer
    EC2ContainerServiceBackend.delete_cluster = delete_ecs_cluster
    EKSBackend.delete_cluster = delete_eks_cluster
    IAMBackend.delete_user = delete_iam_user
    IAMBackend.delete_role = delete_iam_role
    RDSBackend.delete_db_instance = delete_db_instance


@handles("iam:ListServiceSpecificCredentials")
def list_service_specific_credentials(params: dict, region: str, state: dict) -> str:
    return ('<ListServiceSpecificCredentialsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            "<ListServiceSpecificCredentialsResult><ServiceSpecificCredentials/>"
            "</ListServiceSpecificCredentialsResult><ResponseMetadata><RequestId>sandbox</RequestId>"
            "</ResponseMetadata></ListServiceSpecificCredentialsResponse>")


@handles("iam:ListInstanceProfileTags")
def list_instance_profile_tags(params: dict, region: str, state: dict) -> str:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    name = params.get("InstanceProfileName", "")
    profile = next((p for p in iam_backends[DEFAULT_ACCOUNT_ID]["aws"].instance_profiles.values() if p.name == name),
                   None)
    if profile is None:
        raise ApiError("NoSuchEntity", f"Instance Profile {name} cannot be found.", 404)
    members = "".join(f"<member><Key>{escape(t['Key'])}</Key><Value>{escape(t.get('Value', ''))}</Value></member>"
                      for t in sorted(profile.tags or [], key=lambda t: t["Key"]))
    return ('<ListInstanceProfileTagsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
            f"<ListInstanceProfileTagsResult><Tags>{members}</Tags><IsTruncated>false</IsTruncated>"
            "</ListInstanceProfileTagsResult><ResponseMetadata><RequestId>sandbox</RequestId>"
            "</ResponseMetadata></ListInstanceProfileTagsResponse>")


_teach_moto()
