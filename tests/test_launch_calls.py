"""launch.py asks each question once per phase (issue 25 item 9): the calls of a plan and of its confirm, counted
by the sandbox. Before: GetCallerIdentity, DescribeImages and DescribeInstanceTypes twice per phase (19 and 24
calls); then once per phase (18 and 18); now the confirm launches the image its plan chose (no second DLAMI
search nor DryRun: 15). The time these calls take is measured by bench/bench_launch.py, never here."""

from __future__ import annotations

from collections import Counter

REGION = "us-east-1"
CIDR = "198.51.100.25/32"  # a group of this test's own (awswiz-ssh-CIDR): no other test's group is reused

# every phase: who calls (once, also the guard's account), whether the region is enabled, and per region the
# offerings, the default VPC, its subnets and our SSH group, the vCPU quota and what counts against it (instances,
# reservations, open spot requests) and the key pairs
EACH_PHASE = {"GetCallerIdentity": 1, "DescribeRegions": 1, "DescribeInstanceTypeOfferings": 1, "DescribeVpcs": 1,
              "DescribeSubnets": 1, "DescribeSecurityGroups": 1, "GetServiceQuota": 1, "DescribeInstances": 1,
              "DescribeCapacityReservations": 1, "DescribeSpotInstanceRequests": 1, "DescribeKeyPairs": 1}
# the plan alone: the newest DLAMI (SSM parameters, asked while the type's spec is on its way; their DescribeImages;
# the DryRun RunInstances that says this account can launch it)
IMAGE = {"GetParametersByPath": 1, "DescribeImages": 1, "RunInstances": 1}


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
    assert dict(calls) == {**EACH_PHASE, **IMAGE}

    mark = sandbox.mark()
    done = run_tool(*args, "--confirm", plan.json["data"]["confirm"])
    assert done.code == 0, done.stdout
    calls = Counter(c["action"] for c in sandbox.calls(mark))
    # the re-plan asks what may have changed, once; specs and prices come from the plan's cache, the image from the
    # plan (the one it showed and DryRun-checked); then the key pair, the group and its rule, and the instance
    assert dict(calls) == {**EACH_PHASE, "RunInstances": 1, "ImportKeyPair": 1, "CreateSecurityGroup": 1,
                           "AuthorizeSecurityGroupIngress": 1}
    (result,) = done.json["data"]["results"]
    (box,) = [i for r in sandbox.client("ec2", REGION).describe_instances(InstanceIds=result["instances"])[
        "Reservations"] for i in r["Instances"]]
    assert box["ImageId"] == plan.json["data"]["plan"][0]["detail"]["ami"]["id"]
    sandbox.client("ec2", REGION).terminate_instances(InstanceIds=result["instances"])


def test_an_arm_type_asks_for_its_dlamis_once(sandbox, run_tool):
    # g5g is AWS Graviton (arm64: EC2 User Guide, "Accelerated computing instances", G5g): the DLAMI question
    # started before the spec answers is the arm64 one, so it is not asked again for the right architecture
    mark = sandbox.mark()
    plan = run_tool("launch", "--type", "g5g.xlarge", "--region", "us-west-2", "--name", "calls-arm", "--ssh-cidr",
                    CIDR, "--no-wait")
    assert plan.code == 0, plan.stdout
    asked = [c for c in sandbox.calls(mark) if c["action"] == "GetParametersByPath"]
    assert len(asked) == 1
    assert plan.json["data"]["plan"][0]["detail"]["ami"]["id"].startswith("ami-")


def test_likely_arch_guesses_graviton_names():
    from _awswiz.compute.amis import likely_arch

    arm = ["g5g.xlarge", "c7g.large", "m6gd.metal", "x2gd.medium", "im4gn.large", "is4gen.xlarge", "c7gn.16xlarge",
           "r8g.large", "t4g.nano", "hpc7g.16xlarge"]
    x86 = ["g5.xlarge", "g4dn.xlarge", "p5.48xlarge", "g6e.2xlarge", "trn1.2xlarge", "inf2.xlarge", "m7i-flex.large",
           "c7i.large", "u-6tb1.metal", "dl1.24xlarge"]
    assert {t: likely_arch(t) for t in arm} == dict.fromkeys(arm, "arm64")
    assert {t: likely_arch(t) for t in x86} == dict.fromkeys(x86, "x86_64")


def test_once_asks_once_for_concurrent_askers():
    import threading
    import time

    from _awswiz.aws.client import Aws

    aws = Aws()
    asked = []

    def slow():
        asked.append(1)
        time.sleep(0.05)
        return {"answer": len(asked)}

    def failing():
        asked.append(1)
        raise RuntimeError("refused")

    got, errors = [], []

    def ask():
        got.append(aws.once("k", slow))
        try:
            aws.once("bad", failing)
        except RuntimeError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(asked) == 2  # one ask per key, however many askers
    assert got == [{"answer": 1}] * 8 and got[0] is got[7]
    assert errors == ["refused"] * 8
