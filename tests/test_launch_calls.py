"""launch.py asks each question once per phase (issue 25 item 9): the calls of a plan and of its confirm, counted
by the sandbox. Before: GetCallerIdentity, DescribeImages and DescribeInstanceTypes twice per phase (19 and 24
calls); the time these calls take is measured by bench/bench_launch.py, never here."""

from __future__ import annotations

from collections import Counter

REGION = "us-east-1"
CIDR = "198.51.100.25/32"  # a group of this test's own (awswiz-ssh-CIDR): no other test's group is reused

# every phase: who calls (once, also the guard's account), whether the region is enabled, and per region the
# offerings, the default VPC, its subnets and our SSH group, the vCPU quota and what counts against it (instances,
# reservations, open spot requests), the key pairs, and the newest DLAMI (SSM, its DescribeImages, the DryRun)
EACH_PHASE = {"GetCallerIdentity": 1, "DescribeRegions": 1, "DescribeInstanceTypeOfferings": 1, "DescribeVpcs": 1,
              "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "GetServiceQuota": 1, "DescribeInstances": 1,
              "DescribeCapacityReservations": 1, "DescribeSpotInstanceRequests": 1, "DescribeKeyPairs": 1,
              "GetParametersByPath": 1, "DescribeImages": 1, "RunInstances": 1}


def test_plan_and_confirm_ask_each_question_once(sandbox, run_tool, tmp_path):
    args = ("launch", "--type", "g5.xlarge", "--region", REGION, "--name", "calls-once", "--ssh-cidr", CIDR,
            "--no-wait")
    # a warm-up plan of its own state directory: a fresh sandbox answers its first SSM, Pricing and Service Quotas
    # calls only once moto has built those services (seconds; on a loaded machine past the client's read timeout,
    # and a retried call would be counted twice)
    warm = tmp_path / "warm"
    warm.mkdir(mode=0o700)
    assert run_tool(*args, env={"AWSWIZ_STATE_DIR": str(warm)}).code == 0
    mark = sandbox.mark()
    plan = run_tool(*args)
    assert plan.code == 0, plan.stderr
    calls = Counter(c["action"] for c in sandbox.calls(mark))
    # a first plan (nothing cached in its state directory): the on-demand and public IPv4 prices (GetProducts),
    # and the specs of g5.xlarge and of the types running, reserved or requested in the region
    # (DescribeInstanceTypes: g5.xlarge once, the others in one call)
    assert calls.pop("GetProducts") == 2
    assert calls.pop("DescribeInstanceTypes") <= 2
    assert dict(calls) == EACH_PHASE

    mark = sandbox.mark()
    done = run_tool(*args, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout
    calls = Counter(c["action"] for c in sandbox.calls(mark))
    # the re-plan asks what may have changed, once; specs and prices come from the plan's cache; then the key pair,
    # the group and its rule, and the instance (RunInstances: the DryRun and the launch)
    assert dict(calls) == {**EACH_PHASE, "RunInstances": 2, "ImportKeyPair": 1, "CreateSecurityGroup": 1,
                           "AuthorizeSecurityGroupIngress": 1}
    (result,) = done.json["data"]["results"]
    sandbox.client("ec2", REGION).terminate_instances(InstanceIds=result["instances"])
