"""terminate.py for the service types (ELB, RDS, Lambda, ECS, EKS, SageMaker, IAM): each made fresh here, found by
scan, planned, confirmed, gone from a fresh scan, its delete calls in the audit log; what AWS refuses is refused
(exit 4, nothing changed), by AwsWiz's plan and by the sandbox itself; bad ids are exit 2."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from guard_flow import Flow
from mutation_helpers import audit_lines, instance, mutating_calls, name

REGION = "eu-west-3"
ROLE_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                               "Principal": {"Service": "lambda.amazonaws.com"}}]})
POLICY_DOC = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                                                 "Resource": "*"}]})


def scanned(run_tool, rtype: str, *region: str) -> set[str]:
    r = run_tool("scan", "--service", rtype, *region)
    assert r.code == 0, r.stdout + r.stderr
    return {x["id"] for x in r.json["data"]["resources"] if x["type"] == rtype}


def remove(sandbox, run_tool, state_dir, rtype: str, rid: str, *extra: str, region=("--region", REGION),
           scan_as: str | None = None):
    """scan finds it; plan (exit 0, nothing changed); confirm (exit 0); a fresh scan no longer lists it.
    -> (plan, result data, the audited operations)."""
    assert (scan_as or rid) in scanned(run_tool, rtype, *region)
    flow = Flow(sandbox, run_tool, state_dir, "terminate", "--type", rtype, "--id", rid, *region, *extra)
    plan, done = flow.run()  # a plan changes nothing; every mutating call the server saw is audited, in order
    assert (scan_as or rid) not in scanned(run_tool, rtype, *region)
    return plan["plan"], done.json["data"], flow.ops


def refused(sandbox, run_tool, rtype: str, rid: str, *extra: str) -> str:
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", rtype, "--id", rid, "--region", REGION, *extra)
    assert r.code == 4, r.stdout + r.stderr
    assert mutating_calls(sandbox, mark) == []
    return r.json["errors"][0]["message"]


def aws_code(fn) -> str:
    with pytest.raises(Exception) as e:  # noqa: PT011 - the sandbox's answer is what is asserted
        fn()
    return e.value.response["Error"]["Code"]


# --- ELB --------------------------------------------------------------------------------------------

def lb_with_target_group(sandbox, region=REGION, lb_name=None):
    ec2, elb = sandbox.client("ec2", region), sandbox.client("elbv2", region)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    vpc = ec2.describe_subnets(SubnetIds=subnets[:1])["Subnets"][0]["VpcId"]
    lb = elb.create_load_balancer(Name=lb_name or name("lb"), Subnets=subnets)["LoadBalancers"][0]
    tg = elb.create_target_group(Name=name("tg"), Protocol="HTTP", Port=80, VpcId=vpc)["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    return elb, lb, tg


def test_load_balancer_goes_with_listeners_and_its_target_group_stays(sandbox, run_tool, state_dir):
    elb, lb, tg = lb_with_target_group(sandbox)
    arn = lb["LoadBalancerArn"]
    # "Deleting a load balancer also deletes its listeners" (Elastic Load Balancing API Reference,
    # DeleteLoadBalancer); target groups are not deleted with it (DeleteTargetGroup is a call of its own)
    plan, _, ops = remove(sandbox, run_tool, state_dir, "elb:load-balancer", arn)
    assert [(a["action"], a["type"]) for a in plan] == [("delete", "elb:load-balancer")]
    assert plan[0]["detail"]["listeners_deleted_with_it"] == 1
    assert plan[0]["detail"]["target_groups_stay"] == [tg["TargetGroupName"]]
    assert "--with-target-groups" in plan[0]["detail"]["target_groups_hint"]
    assert ops == ["DeleteLoadBalancer"]
    assert elb.describe_target_groups(TargetGroupArns=[tg["TargetGroupArn"]])["TargetGroups"]  # it stayed
    # once no listener forwards to it, the target group goes (by the id scan shows: its ARN)
    plan, _, ops = remove(sandbox, run_tool, state_dir, "elb:target-group", tg["TargetGroupArn"])
    assert ops == ["DeleteTargetGroup"]


def test_load_balancer_by_name_with_its_target_groups(sandbox, run_tool, state_dir):
    elb, lb, tg = lb_with_target_group(sandbox)
    plan, data, ops = remove(sandbox, run_tool, state_dir, "elb:load-balancer", lb["LoadBalancerName"],
                             "--with-target-groups", scan_as=lb["LoadBalancerArn"])
    assert [(a["type"], a.get("target")) for a in plan] == [("elb:load-balancer", None),
                                                            ("elb:target-group", lb["LoadBalancerArn"])]
    # AddTags: its target groups are marked awswiz:teardown-of=ARN first, so a run killed after DeleteLoadBalancer
    # is finished by a re-plan (tests/test_remover_resume.py)
    assert ops == ["AddTags", "DeleteLoadBalancer", "DeleteTargetGroup"] and data["summary"]["done"] == 2
    assert not elb.describe_target_groups()["TargetGroups"] or tg["TargetGroupArn"] not in {
        t["TargetGroupArn"] for t in elb.describe_target_groups()["TargetGroups"]}


def test_target_group_in_use_is_refused_naming_its_load_balancer(sandbox, run_tool):
    elb, lb, tg = lb_with_target_group(sandbox)
    message = refused(sandbox, run_tool, "elb:target-group", tg["TargetGroupArn"])
    assert lb["LoadBalancerName"] in message and "--type elb:load-balancer" in message
    # "You can delete a target group if it is not referenced by any actions" (Elastic Load Balancing API
    # Reference, DeleteTargetGroup: ResourceInUse)
    assert aws_code(lambda: elb.delete_target_group(TargetGroupArn=tg["TargetGroupArn"])) == "ResourceInUse"


def test_load_balancer_with_deletion_protection_is_refused(sandbox, run_tool):
    elb, lb, _ = lb_with_target_group(sandbox)
    arn = lb["LoadBalancerArn"]
    elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"}])
    message = refused(sandbox, run_tool, "elb:load-balancer", arn)
    assert "deletion_protection.enabled,Value=false" in message
    # "You can't delete a load balancer if deletion protection is enabled" (Elastic Load Balancing API
    # Reference, DeleteLoadBalancer): the sandbox refuses it too
    assert aws_code(lambda: elb.delete_load_balancer(LoadBalancerArn=arn)) == "OperationNotPermitted"
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"]


def test_protected_listener_refuses_its_load_balancer(sandbox, run_tool, state_dir):
    # issue 19: "Deleting a load balancer also deletes its listeners" (Elastic Load Balancing API Reference,
    # DeleteLoadBalancer), and a listener has tags of its own (AddTags/DescribeTags take listener ARNs): an
    # env=prod listener of an untagged load balancer refuses it; nothing is sent
    elb, lb, tg = lb_with_target_group(sandbox)
    listener = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]["ListenerArn"]
    elb.add_tags(ResourceArns=[listener], Tags=[{"Key": "env", "Value": "prod"}])
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "elb:load-balancer", "--id", lb["LoadBalancerArn"], "--region", REGION)
    assert r.code == 4 and f"listener {listener}" in r.json["errors"][0]["message"], r.stdout + r.stderr
    nothing_sent(sandbox, state_dir, mark)
    assert elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]["ListenerArn"] == listener


def test_load_balancer_without_listeners_or_target_groups(sandbox, run_tool, state_dir):
    ec2, elb = sandbox.client("ec2", REGION), sandbox.client("elbv2", REGION)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"]][:2]
    lb = elb.create_load_balancer(Name=name("lb"), Subnets=subnets)["LoadBalancers"][0]
    plan, _, ops = remove(sandbox, run_tool, state_dir, "elb:load-balancer", lb["LoadBalancerArn"])
    assert plan[0]["detail"]["listeners_deleted_with_it"] == 0 and "target_groups_stay" not in plan[0]["detail"]
    assert ops == ["DeleteLoadBalancer"]


def test_load_balancer_name_in_two_regions_is_ambiguous(sandbox, run_tool):
    shared = name("lb")
    lb_with_target_group(sandbox, REGION, shared)
    lb_with_target_group(sandbox, "ap-south-1", shared)
    r = run_tool("terminate", "--type", "elb:load-balancer", "--id", shared, "--region", f"{REGION},ap-south-1")
    assert r.code == 2 and "exists in 2 regions" in r.json["errors"][0]["message"], r.stdout


# --- RDS --------------------------------------------------------------------------------------------

def database(sandbox, **kw) -> str:
    db = name("db")
    sandbox.client("rds", REGION).create_db_instance(
        DBInstanceIdentifier=db, DBInstanceClass="db.t3.micro", Engine="postgres", MasterUsername="admin1",
        MasterUserPassword="not-a-secret-1", AllocatedStorage=20, **kw)
    return db


def test_db_instance_is_deleted_after_a_final_snapshot(sandbox, run_tool, state_dir):
    rds, db = sandbox.client("rds", REGION), database(sandbox)
    plan, data, ops = remove(sandbox, run_tool, state_dir, "rds:db-instance", db)
    snapshot = plan[0]["detail"]["final_snapshot"]
    assert snapshot.startswith(f"awswiz-final-{db}-") and snapshot in plan[0]["detail"]["note"]
    assert ops == ["DeleteDBInstance"] and audit_lines(state_dir)[-1]["params"]["FinalDBSnapshotIdentifier"] == snapshot
    assert rds.describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"]


def test_db_instance_with_deletion_protection_is_refused(sandbox, run_tool):
    rds, db = sandbox.client("rds", REGION), database(sandbox, DeletionProtection=True)
    assert "--no-deletion-protection" in refused(sandbox, run_tool, "rds:db-instance", db)
    # "You can't delete a DB instance when deletion protection is enabled" (RDS API Reference,
    # DeleteDBInstance / Deleting a DB instance); and SkipFinalSnapshot=false needs FinalDBSnapshotIdentifier
    assert aws_code(lambda: rds.delete_db_instance(DBInstanceIdentifier=db, SkipFinalSnapshot=True)) \
        == "InvalidParameterCombination"
    rds.modify_db_instance(DBInstanceIdentifier=db, DeletionProtection=False, ApplyImmediately=True)
    assert aws_code(lambda: rds.delete_db_instance(DBInstanceIdentifier=db)) == "InvalidParameterCombination"
    assert rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"]


def test_member_of_a_protected_db_cluster_is_refused(sandbox, run_tool, state_dir):
    # issue 19: a member of an Aurora DB cluster is part of it (RDS API Reference, DBInstance.DBClusterIdentifier);
    # deleting it shrinks the cluster, so an env=prod cluster refuses its untagged member; nothing is sent
    rds, cluster = sandbox.client("rds", REGION), name("aurora")
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql", MasterUsername="admin1",
                          MasterUserPassword="not-a-secret-1", Tags=[{"Key": "env", "Value": "prod"}])
    db = name("member")
    rds.create_db_instance(DBInstanceIdentifier=db, DBInstanceClass="db.r6g.large", Engine="aurora-postgresql",
                           DBClusterIdentifier=cluster)
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "rds:db-instance", "--id", db, "--region", REGION)
    assert r.code == 4 and f"DB cluster {cluster}" in r.json["errors"][0]["message"], r.stdout + r.stderr
    nothing_sent(sandbox, state_dir, mark)
    assert rds.describe_db_instances(DBInstanceIdentifier=db)["DBInstances"][0]["DBInstanceStatus"] == "available"


# --- Lambda ------------------------------------------------------------------------------------------

def function_with_mapping(sandbox, mapping_tags: dict | None = None) -> tuple[object, str, str]:
    """A function with an SQS event source mapping (tagged mapping_tags): (lambda client, function, mapping UUID)."""
    iam, lam = sandbox.client("iam"), sandbox.client("lambda", REGION)
    role = iam.create_role(RoleName=name("fn-role"), AssumeRolePolicyDocument=ROLE_DOC)["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as z:
        z.writestr("index.py", "def handler(event, context):\n    return 1\n")
    fn = name("fn")
    lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler="index.handler",
                        Code={"ZipFile": code.getvalue()})
    queue = sandbox.client("sqs", REGION).create_queue(QueueName=name("q"))["QueueUrl"]
    queue_arn = sandbox.client("sqs", REGION).get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    mapping = lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=fn,
                                              Tags=mapping_tags or {})["UUID"]
    return lam, fn, mapping


def test_function_goes_after_its_event_source_mappings(sandbox, run_tool, state_dir):
    _, fn, mapping = function_with_mapping(sandbox)
    # a mapping is deleted by DeleteEventSourceMapping, not with its function (AWS Lambda API Reference)
    plan, _, ops = remove(sandbox, run_tool, state_dir, "lambda:function", fn)
    assert [(a["action"], a["id"]) for a in plan] == [("delete-event-source-mapping", mapping), ("delete", fn)]
    assert ops == ["DeleteEventSourceMapping", "DeleteFunction"]


def test_protected_event_source_mapping_refuses_its_function(sandbox, run_tool, state_dir):
    # issue 19: a mapping has tags of its own (AWS Lambda API Reference, ListTags: "Returns a function, event source
    # mapping, or code signing configuration's tags"); an awswiz:protected one is not deleted with its function
    lam, fn, mapping = function_with_mapping(sandbox, {"awswiz:protected": "yes"})
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "lambda:function", "--id", fn, "--region", REGION)
    assert r.code == 4 and f"{mapping} (protected" in r.json["errors"][0]["message"], r.stdout
    nothing_sent(sandbox, state_dir, mark)
    assert lam.get_event_source_mapping(UUID=mapping)["UUID"] == mapping and lam.get_function(FunctionName=fn)


# --- ECS / EKS ---------------------------------------------------------------------------------------

def test_ecs_cluster_goes_after_its_services_and_container_instances(sandbox, run_tool, state_dir):
    ecs, ec2 = sandbox.client("ecs", REGION), sandbox.client("ec2", REGION)
    cluster = ecs.create_cluster(clusterName=name("ecs"))["cluster"]
    ecs.register_task_definition(family=name("td"), containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])
    family = ecs.list_task_definitions()["taskDefinitionArns"][-1]
    svc = ecs.create_service(cluster=cluster["clusterName"], serviceName="web", taskDefinition=family,
                             desiredCount=2)["service"]["serviceArn"]
    image = ec2.describe_images(Owners=["amazon"])["Images"] or []
    iid = ec2.run_instances(ImageId=image[0]["ImageId"] if image else "ami-12c6146b", MinCount=1, MaxCount=1,
                            InstanceType="t3.micro")["Instances"][0]["InstanceId"]
    doc = json.dumps({"instanceId": iid, "region": REGION})
    ecs.register_container_instance(cluster=cluster["clusterName"], instanceIdentityDocument=doc)
    # "You can't delete a cluster that contains services" / "that has registered container instances"
    # (Amazon ECS API Reference, DeleteCluster): the sandbox refuses as AWS does
    assert aws_code(lambda: ecs.delete_cluster(cluster=cluster["clusterArn"])) == "ClusterContainsServicesException"
    # --max counts what the user named (the cluster), not the steps that must go before it
    plan, data, ops = remove(sandbox, run_tool, state_dir, "ecs:cluster", cluster["clusterArn"], "--max", "1")
    assert [(a["action"], a["type"]) for a in plan] == [
        ("scale-to-zero", "ecs:service"), ("delete", "ecs:service"), ("deregister", "ecs:container-instance"),
        ("delete", "ecs:cluster")]
    assert plan[0]["id"] == svc and iid in plan[2]["detail"]["stays_behind"][0]
    assert "--type ec2:instance" in plan[2]["detail"]["stays_behind"][0]
    assert ops == ["UpdateService", "DeleteService", "DeregisterContainerInstance", "DeleteCluster"]
    assert ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    assert ecs.describe_clusters(clusters=[cluster["clusterArn"]])["clusters"][0]["status"] == "INACTIVE"
    r = run_tool("terminate", "--type", "ecs:cluster", "--id", cluster["clusterArn"], "--region", REGION)
    assert r.code == 2, r.stdout  # a deleted (INACTIVE) cluster is not found again


def test_protected_ecs_cluster_is_refused(sandbox, run_tool):
    ecs = sandbox.client("ecs", REGION)
    cluster = ecs.create_cluster(clusterName=name("ecs"), tags=[{"key": "env", "value": "prod"}])["cluster"]
    assert "protected" in refused(sandbox, run_tool, "ecs:cluster", cluster["clusterName"])
    assert ecs.describe_clusters(clusters=[cluster["clusterArn"]])["clusters"][0]["status"] == "ACTIVE"


def test_eks_cluster_goes_after_node_groups_and_fargate_profiles(sandbox, run_tool, state_dir):
    eks, ec2 = sandbox.client("eks", REGION), sandbox.client("ec2", REGION)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    role = "arn:aws:iam::123456789012:role/eks"
    cluster = name("eks")
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": subnets})
    eks.create_nodegroup(clusterName=cluster, nodegroupName="gpu", subnets=subnets, nodeRole=role)
    eks.create_fargate_profile(clusterName=cluster, fargateProfileName="fp", podExecutionRoleArn=role,
                               selectors=[{"namespace": "default"}])
    # "If you have managed node groups or Fargate profiles attached to the cluster, you must delete them
    # first" (Amazon EKS API Reference, DeleteCluster: ResourceInUseException)
    assert aws_code(lambda: eks.delete_cluster(name=cluster)) == "ResourceInUseException"
    eks.delete_nodegroup(clusterName=cluster, nodegroupName="gpu")
    assert aws_code(lambda: eks.delete_cluster(name=cluster)) == "ResourceInUseException"  # the profile
    eks.create_nodegroup(clusterName=cluster, nodegroupName="gpu", subnets=subnets, nodeRole=role)
    plan, _, ops = remove(sandbox, run_tool, state_dir, "eks:cluster", cluster)
    assert [(a["type"], a["id"]) for a in plan] == [("eks:nodegroup", "gpu"), ("eks:fargate-profile", "fp"),
                                                    ("eks:cluster", cluster)]
    assert ops == ["DeleteNodegroup", "DeleteFargateProfile", "DeleteCluster"]


def ecs_service(ecs, cluster: str, service: str, tags: dict | None = None) -> str:
    ecs.register_task_definition(family=name("td"), containerDefinitions=[
        {"name": "web", "image": "nginx", "memory": 128}])
    family = ecs.list_task_definitions()["taskDefinitionArns"][-1]
    return ecs.create_service(cluster=cluster, serviceName=service, taskDefinition=family, desiredCount=2,
                              tags=[{"key": k, "value": v} for k, v in (tags or {}).items()])["service"]["serviceArn"]


def nothing_sent(sandbox, state_dir, mark: int) -> None:
    """The server saw no changing call since mark, and the audit log holds none."""
    assert mutating_calls(sandbox, mark) == [] and audit_lines(state_dir) == []


def test_protected_service_in_an_untagged_ecs_cluster_blocks_the_cluster(sandbox, run_tool, state_dir):
    # issue 19 #7: a service has tags of its own (ECS API Reference, DescribeServices include=TAGS /
    # ListTagsForResource); the cluster's teardown scales it to 0 and deletes it, so an env=prod service refuses
    # the whole cluster (exit 4 when named), naming the service; nothing is sent
    ecs, cluster = sandbox.client("ecs", REGION), name("ecs")
    ecs.create_cluster(clusterName=cluster)
    svc = ecs_service(ecs, cluster, "api", {"env": "prod"})
    other = ecs_service(ecs, cluster, "worker")
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "ecs:cluster", "--id", cluster, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    message = r.json["errors"][0]["message"]
    assert f"{svc} (protected: tag env=prod)" in message and r.json["data"]["confirm"] is None
    assert "(None)" not in message  # only what is blocked is named, not the cluster's other steps
    nothing_sent(sandbox, state_dir, mark)
    live = {s["serviceArn"]: s for s in ecs.describe_services(cluster=cluster, services=[svc, other])["services"]}
    assert [(live[a]["status"], live[a]["desiredCount"]) for a in (svc, other)] == [("ACTIVE", 2), ("ACTIVE", 2)]
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "ACTIVE"


def test_managed_instances_capacity_provider_goes_before_the_cluster(sandbox, run_tool, state_dir):
    # issue 18 #14: a Managed Instances capacity provider belongs to its cluster (botocore ecs model,
    # CreateCapacityProviderRequest.cluster) and AWS refuses DeleteCluster while it is attached ("The Cluster cannot
    # be deleted while Cluster Scoped Capacity Providers are attached to the cluster"; ECS API Reference:
    # ClusterContainsCapacityProviderException, "You must first delete all capacity providers from the cluster");
    # FARGATE providers are disassociated by DeleteCluster itself (ECS API Reference, DeleteCapacityProvider)
    ecs, cluster = sandbox.client("ecs", REGION), name("ecs")
    ecs.create_cluster(clusterName=cluster, capacityProviders=["FARGATE"])
    svc = ecs_service(ecs, cluster, "web")
    provider = name("mi")
    ecs.create_capacity_provider(name=provider, cluster=cluster, managedInstancesProvider={
        "infrastructureRoleArn": "arn:aws:iam::123456789012:role/ecs-infra",
        "instanceLaunchTemplate": {"ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecs",
                                   "networkConfiguration": {"subnets": []}}})
    ecs.delete_service(cluster=cluster, service=svc, force=True)
    assert aws_code(lambda: ecs.delete_cluster(cluster=cluster)) == "ClientException"
    ecs_service(ecs, cluster, "web2")
    plan, data, ops = remove(sandbox, run_tool, state_dir, "ecs:cluster", cluster,
                             scan_as=ecs.describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"])
    assert [(a["action"], a["type"]) for a in plan] == [
        ("scale-to-zero", "ecs:service"), ("delete", "ecs:service"), ("delete", "ecs:capacity-provider"),
        ("delete", "ecs:cluster")]
    assert plan[2]["id"] == provider and plan[3]["detail"]["capacity_providers_disassociated"] == ["FARGATE"]
    assert ops == ["UpdateService", "DeleteService", "DeleteCapacityProvider", "DeleteCluster"]
    assert ecs.describe_clusters(clusters=[cluster])["clusters"][0]["status"] == "INACTIVE"


def test_auto_scaling_capacity_provider_is_disassociated_and_its_group_stays(sandbox, run_tool, state_dir):
    # issue 18 #14: an Auto Scaling group provider does not stop DeleteCluster ("To remove a capacity provider from a
    # cluster, you can either use PutClusterCapacityProviders or delete the cluster": ECS API Reference,
    # DeleteCapacityProvider); the group and its instances stay and bill: the plan says so, with the command
    asg_client, ecs, cluster = sandbox.client("autoscaling", REGION), sandbox.client("ecs", REGION), name("ecs")
    group, template = name("asg"), name("lt")
    ec2 = sandbox.client("ec2", REGION)
    ec2.create_launch_template(LaunchTemplateName=template, LaunchTemplateData={"ImageId": "ami-12c6146b",
                                                                                 "InstanceType": "t3.micro"})
    asg_client.create_auto_scaling_group(AutoScalingGroupName=group, MinSize=0, MaxSize=1, DesiredCapacity=0,
                                         LaunchTemplate={"LaunchTemplateName": template},
                                         AvailabilityZones=[f"{REGION}a"])
    group_arn = asg_client.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"][0][
        "AutoScalingGroupARN"]
    provider = ecs.create_capacity_provider(name=name("cp"), autoScalingGroupProvider={
        "autoScalingGroupArn": group_arn})["capacityProvider"]["name"]
    ecs.create_cluster(clusterName=cluster)
    ecs.put_cluster_capacity_providers(cluster=cluster, capacityProviders=[provider],
                                       defaultCapacityProviderStrategy=[])
    arn = ecs.describe_clusters(clusters=[cluster])["clusters"][0]["clusterArn"]
    plan, _, ops = remove(sandbox, run_tool, state_dir, "ecs:cluster", cluster, scan_as=arn)
    assert [(a["action"], a["type"]) for a in plan] == [("delete", "ecs:cluster")] and ops == ["DeleteCluster"]
    assert plan[0]["detail"]["capacity_providers_disassociated"] == [provider]
    assert f"--auto-scaling-group-name {group} --min-size 0" in plan[0]["detail"]["stays_behind"][0]
    assert asg_client.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]


def eks_cluster(sandbox, **kw) -> tuple[object, str, list[str], str]:
    eks, ec2 = sandbox.client("eks", REGION), sandbox.client("ec2", REGION)
    subnets = [s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]][:2]
    role, cluster = "arn:aws:iam::123456789012:role/eks", name("eks")
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": subnets}, **kw)
    return eks, cluster, subnets, role


@pytest.mark.parametrize("part", ["nodegroup", "fargate-profile"])
def test_protected_node_group_or_fargate_profile_blocks_the_eks_cluster(sandbox, run_tool, state_dir, part):
    # issue 19 #8: node groups and Fargate profiles have tags of their own (Amazon EKS API Reference,
    # DescribeNodegroup / DescribeFargateProfile: `tags`); an untagged cluster's teardown must not delete a
    # protected one: the whole cluster is refused, nothing is sent
    eks, cluster, subnets, role = eks_cluster(sandbox)
    eks.create_nodegroup(clusterName=cluster, nodegroupName="gpu", subnets=subnets, nodeRole=role,
                         tags={"awswiz:protected": "true"} if part == "nodegroup" else {})
    eks.create_fargate_profile(clusterName=cluster, fargateProfileName="fp", podExecutionRoleArn=role,
                               selectors=[{"namespace": "default"}],
                               tags={"env": "production"} if part == "fargate-profile" else {})
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "eks:cluster", "--id", cluster, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert ("gpu (protected" if part == "nodegroup" else "fp (protected") in r.json["errors"][0]["message"]
    nothing_sent(sandbox, state_dir, mark)
    assert eks.list_nodegroups(clusterName=cluster)["nodegroups"] == ["gpu"]
    assert eks.list_fargate_profiles(clusterName=cluster)["fargateProfileNames"] == ["fp"]


def test_eks_deletion_protection_blocks_before_anything_is_deleted(sandbox, run_tool, state_dir):
    # issue 18 #13: "If you try to delete an active cluster that has deletion protection turned on, you will receive
    # a InvalidRequestException" (Amazon EKS User Guide, Protect EKS clusters from accidental deletion; botocore eks
    # model Cluster.deletionProtection): the plan refuses it before its node groups go, and says how to lift it
    eks, cluster, subnets, role = eks_cluster(sandbox, deletionProtection=True)
    assert eks.describe_cluster(name=cluster)["cluster"]["deletionProtection"] is True
    eks.create_nodegroup(clusterName=cluster, nodegroupName="gpu", subnets=subnets, nodeRole=role)
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "eks:cluster", "--id", cluster, "--region", REGION)
    assert r.code == 4, r.stdout + r.stderr
    assert (f"aws eks update-cluster-config --name {cluster} --no-deletion-protection --region {REGION}"
            in r.json["errors"][0]["message"])
    nothing_sent(sandbox, state_dir, mark)
    assert eks.list_nodegroups(clusterName=cluster)["nodegroups"] == ["gpu"]
    eks.delete_nodegroup(clusterName=cluster, nodegroupName="gpu")
    assert aws_code(lambda: eks.delete_cluster(name=cluster)) == "InvalidRequestException"  # the sandbox, as AWS
    eks.update_cluster_config(name=cluster, deletionProtection=False)  # lifted: it goes
    _, _, ops = remove(sandbox, run_tool, state_dir, "eks:cluster", cluster)
    assert ops == ["DeleteCluster"]


# --- SageMaker ---------------------------------------------------------------------------------------

def test_notebook_in_service_is_stopped_then_deleted(sandbox, run_tool, state_dir):
    sm, nb = sandbox.client("sagemaker", REGION), name("nb")
    sm.create_notebook_instance(NotebookInstanceName=nb, InstanceType="ml.t3.medium",
                                RoleArn="arn:aws:iam::123456789012:role/sm")
    # "Before you can delete a notebook instance, you must call the StopNotebookInstance API" (SageMaker API
    # Reference, DeleteNotebookInstance)
    assert aws_code(lambda: sm.delete_notebook_instance(NotebookInstanceName=nb)) == "ValidationException"
    plan, _, ops = remove(sandbox, run_tool, state_dir, "sagemaker:notebook", nb)
    assert [a["action"] for a in plan] == ["stop", "delete"]
    assert ops == ["StopNotebookInstance", "DeleteNotebookInstance"]


def test_notebook_found_by_the_lower_cased_name_its_arn_carries(sandbox, run_tool, state_dir):
    # issue 18 #9: SageMaker lower-cases the name in a notebook instance's ARN (boto/boto3#4606), so a name read from
    # an ARN (the Resource Groups Tagging API, reap) is matched case-insensitively; the calls use the real name
    sm, nb = sandbox.client("sagemaker", REGION), name("MyNb")
    arn = sm.create_notebook_instance(NotebookInstanceName=nb, InstanceType="ml.t3.medium", Tags=[
        {"Key": "owner", "Value": "ada"}], RoleArn="arn:aws:iam::123456789012:role/sm")["NotebookInstanceArn"]
    assert arn.endswith(f"notebook-instance/{nb.lower()}")  # the sandbox spells it as AWS does
    plan, _, ops = remove(sandbox, run_tool, state_dir, "sagemaker:notebook", nb.lower(), scan_as=nb)
    assert [(a["action"], a["id"], a["tags"]) for a in plan] == [("stop", nb, {"owner": "ada"}),
                                                                ("delete", nb, {"owner": "ada"})]
    assert ops == ["StopNotebookInstance", "DeleteNotebookInstance"]


# --- IAM ---------------------------------------------------------------------------------------------

def user_with_everything(iam) -> dict:
    """A user with all that DeleteUser refuses to go around: an access key, a password, an inline and an
    attached policy, a group, an enabled virtual MFA device. {user, key, policy, group, mfa}."""
    user = name("user")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
    iam.create_login_profile(UserName=user, Password="Not-a-secret-123")
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=POLICY_DOC)
    policy = iam.create_policy(PolicyName=name("pol"), PolicyDocument=POLICY_DOC)["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=policy)
    group = iam.create_group(GroupName=name("grp"))["Group"]["GroupName"]
    iam.add_user_to_group(GroupName=group, UserName=user)
    mfa = iam.create_virtual_mfa_device(VirtualMFADeviceName=name("mfa"))["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName=user, SerialNumber=mfa, AuthenticationCode1="123456",
                          AuthenticationCode2="654321")
    return {"user": user, "key": key, "policy": policy, "group": group, "mfa": mfa}


def test_user_goes_after_everything_attached_in_aws_order(sandbox, run_tool, state_dir):
    iam = sandbox.client("iam")
    made = user_with_everything(iam)
    user, key, policy = made["user"], made["key"], made["policy"]
    # "you must delete the items attached to the user manually, or the deletion fails" (IAM API Reference,
    # DeleteUser: DeleteConflict), in its order: password, keys, certificates, SSH keys, credentials, MFA,
    # inline policies, attached policies, groups
    assert aws_code(lambda: iam.delete_user(UserName=user)) == "DeleteConflict"
    plan, _, ops = remove(sandbox, run_tool, state_dir, "iam:user", user, region=())
    assert [a["action"] for a in plan] == ["delete-login-profile", "delete-access-key", "deactivate-mfa-device",
                                           "delete-user-policy", "detach-user-policy", "remove-from-group", "delete"]
    assert plan[1]["id"] == key and all(a.get("target", user) == user for a in plan)
    # TagMFADevice: the virtual device is marked awswiz:teardown-of=user/NAME first, so a run killed after
    # DeactivateMFADevice is finished by a re-plan (tests/test_remover_resume.py)
    assert ops == ["DeleteLoginProfile", "DeleteAccessKey", "TagMFADevice", "DeactivateMFADevice",
                   "DeleteVirtualMFADevice",
                   "DeleteUserPolicy", "DetachUserPolicy", "RemoveUserFromGroup", "DeleteUser"]
    assert iam.get_policy(PolicyArn=policy)["Policy"]  # the managed policy itself stays


def test_protected_mfa_device_refuses_its_user(sandbox, run_tool, state_dir):
    # issue 19: a virtual MFA device has tags of its own (IAM API Reference, ListMFADeviceTags), and deleting its user
    # deactivates and deletes it: an awswiz:protected device refuses the user; nothing is sent
    iam = sandbox.client("iam")
    made = user_with_everything(iam)
    iam.tag_mfa_device(SerialNumber=made["mfa"], Tags=[{"Key": "awswiz:protected", "Value": "1"}])
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "iam:user", "--id", made["user"])
    assert r.code == 4 and f"{made['mfa']} (protected" in r.json["errors"][0]["message"], r.stdout + r.stderr
    nothing_sent(sandbox, state_dir, mark)
    assert [m["SerialNumber"] for m in iam.list_mfa_devices(UserName=made["user"])["MFADevices"]] == [made["mfa"]]
    assert iam.list_access_keys(UserName=made["user"])["AccessKeyMetadata"][0]["AccessKeyId"] == made["key"]


def test_role_goes_with_its_policies_and_same_named_instance_profile(sandbox, run_tool, state_dir):
    iam, role = sandbox.client("iam"), name("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ROLE_DOC)
    iam.put_role_policy(RoleName=role, PolicyName="inline", PolicyDocument=POLICY_DOC)
    iam.create_instance_profile(InstanceProfileName=role)
    iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    other = iam.create_instance_profile(InstanceProfileName=name("ip"))["InstanceProfile"]["InstanceProfileName"]
    iam.add_role_to_instance_profile(InstanceProfileName=other, RoleName=role)
    # DeleteRole: inline policies, attached policies and instance profiles first (IAM API Reference, DeleteRole)
    assert aws_code(lambda: iam.delete_role(RoleName=role)) == "DeleteConflict"
    plan, _, ops = remove(sandbox, run_tool, state_dir, "iam:role", role, region=())
    assert [a["action"] for a in plan] == ["delete-role-policy", "remove-from-instance-profile",
                                           "remove-from-instance-profile", "delete"]
    assert ops == ["DeleteRolePolicy", "RemoveRoleFromInstanceProfile", "DeleteInstanceProfile",
                   "RemoveRoleFromInstanceProfile", "DeleteRole"]
    assert iam.get_instance_profile(InstanceProfileName=other)["InstanceProfile"]["Roles"] == []


@pytest.mark.parametrize("protect", ["profile", "instance", None])
def test_role_whose_instance_profile_is_protected_or_in_use(sandbox, run_tool, state_dir, protect):
    # issue 19 #9: an instance profile has tags of its own (IAM API Reference, ListInstanceProfileTags), and the
    # instances using it (DescribeInstances filter iam-instance-profile.arn) lose the role's permissions when it is
    # removed ("Deleting a role or instance profile that is associated with a running instance will break any
    # applications running on the instance": IAM API Reference, DeleteInstanceProfile): a protected profile or
    # instance refuses the role; an unprotected instance using it is named in the plan
    # the instance runs in another region than --region names: a profile is global, so every region is searched
    where = "ca-central-1" if protect == "instance" else REGION
    iam, ec2, role = sandbox.client("iam"), sandbox.client("ec2", where), name("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=ROLE_DOC)
    iam.create_instance_profile(InstanceProfileName=role, Tags=[{"Key": "env", "Value": "prod"}]
                                if protect == "profile" else [])
    iam.add_role_to_instance_profile(InstanceProfileName=role, RoleName=role)
    iid = instance(ec2, tags={"Env": "Production"} if protect == "instance" else None,
                   IamInstanceProfile={"Name": role})
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "iam:role", "--id", role, "--region", REGION)
    if protect is None:
        assert r.code == 0, r.stdout + r.stderr
        step = r.json["data"]["plan"][0]
        assert step["action"] == "remove-from-instance-profile" and step["detail"]["used_by"] == [
            f"instance {iid} in {REGION}"] and "without the role's permissions" in step["detail"]["warning"]
    else:
        assert r.code == 4, r.stdout + r.stderr
        message = r.json["errors"][0]["message"]
        assert ("protected: tag env=prod" if protect == "profile" else f"instance {iid} in {where}") in message
    nothing_sent(sandbox, state_dir, mark)
    assert [x["RoleName"] for x in iam.get_instance_profile(InstanceProfileName=role)["InstanceProfile"]["Roles"]] \
        == [role]
    assert iam.get_role(RoleName=role)["Role"]
    assert [p["Arn"] for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]]


def test_service_linked_role_and_own_identity_are_refused(sandbox, run_tool):
    iam = sandbox.client("iam")
    slr = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com",
                                         CustomSuffix=name("s"))["Role"]["RoleName"]
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "iam:role", "--id", slr)
    assert r.code == 4 and "delete-service-linked-role" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []
    # "Only the service that depends on the service-linked role can modify or delete the role" (IAM API
    # Reference, UnmodifiableEntityException)
    assert aws_code(lambda: iam.delete_role(RoleName=slr)) == "UnmodifiableEntity"
    me = sandbox.client("sts").get_caller_identity()["Arn"].rsplit("/", 1)[-1]
    if me not in {u["UserName"] for u in iam.list_users()["Users"]}:
        iam.create_user(UserName=me)
    mark = sandbox.mark()
    r = run_tool("terminate", "--type", "iam:user", "--id", me)
    assert r.code == 4 and "runs as" in r.json["errors"][0]["message"]
    assert mutating_calls(sandbox, mark) == []


# --- bad ids -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("args", [  # ids of a bad form: test_bad_input.py (refused before anything is sent)
    ("--type", "elb:target-group", "--id", "no-such-tg"), ("--type", "rds:db-instance", "--id", "no-such-db"),
    ("--type", "lambda:function", "--id", "no-such-fn"), ("--type", "ecs:cluster", "--id", "no-such-cluster"),
    ("--type", "eks:cluster", "--id", "no-such-cluster"), ("--type", "iam:user", "--id", "no-such-user-x"),
])
def test_bad_ids_are_exit_2_and_change_nothing(sandbox, run_tool, state_dir, args):
    mark = sandbox.mark()
    r = run_tool("terminate", *args, "--region", REGION)
    assert r.code == 2, r.stdout + r.stderr
    assert r.json["errors"][0]["code"] == "BadInput"
    assert mutating_calls(sandbox, mark) == [] and not (state_dir / "audit.jsonl").exists()
