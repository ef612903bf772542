"""ami.py: DLAMIs through SSM (else by name), newest first, right architecture, DryRun launch outcomes."""

from __future__ import annotations

import sys

from conftest import ROOT


def live_ids(ec2) -> set[str]:
    return {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}


def test_pytorch_x86_newest_first_and_both_dryrun_outcomes(run_tool, sandbox):
    ec2 = sandbox.client("ec2", "us-east-1")
    before = live_ids(ec2)  # other tests of the worker may have launched these images: only new ones count
    mark = sandbox.mark()
    r = run_tool("ami", "--framework", "pytorch", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    d = r.json["data"]
    imgs = d["images"]
    assert d["sources"]["us-east-1"]["source"] == "ssm"
    assert all(i["arch"] == "x86_64" and "PyTorch" in i["name"] for i in imgs)
    assert [i["created"] for i in imgs] == sorted((i["created"] for i in imgs), reverse=True)
    newest = imgs[0]
    assert newest["name"].endswith("PyTorch 2.8 (Ubuntu 24.04) 20261110")
    assert newest["param"].startswith("/aws/service/deeplearning/ami/x86_64/oss-nvidia-driver-gpu-pytorch-2.8")
    assert newest["launch"] == {"status": "subscribed"}
    market = next(i for i in imgs if "2.7" in i["name"])
    assert market["launch"]["status"] == "needs-subscription"
    assert market["launch"]["link"].startswith("https://aws.amazon.com/marketplace/pp?sku=")
    assert d["best"] == {"us-east-1": newest["id"]}
    calls = sandbox.calls(mark)
    runs = [c for c in calls if c["action"] == "RunInstances"]
    assert len(runs) == len(imgs)  # one DryRun per image shown
    assert live_ids(ec2) == before  # nothing was launched


def test_arm64_picks_arm_images(run_tool):
    r = run_tool("ami", "--framework", "pytorch", "--arch", "arm64", "--region", "us-west-2")
    assert r.code == 0, r.stderr
    imgs = r.json["data"]["images"]
    assert imgs and all(i["arch"] == "arm64" for i in imgs)
    assert imgs[0]["name"].startswith("Deep Learning ARM64 AMI OSS Nvidia Driver GPU PyTorch 2.8")
    assert r.json["data"]["check_type"] == "g5g.xlarge"


def test_base(run_tool):
    r = run_tool("ami", "--framework", "base", "--region", "eu-west-1")
    assert r.code == 0, r.stderr
    imgs = r.json["data"]["images"]
    assert [i["name"] for i in imgs] == ["Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20261101"]


def test_tensorflow_falls_back_to_describe_images(run_tool):
    r = run_tool("ami", "--framework", "tensorflow", "--region", "us-east-1", "--pretty")
    assert r.code == 0 and "TensorFlow" in r.stdout
    r = run_tool("ami", "--framework", "tensorflow", "--region", "us-east-1", "--limit", "1")
    d = r.json["data"]
    assert d["sources"]["us-east-1"]["source"] == "describe_images"
    assert [i["name"][-8:] for i in d["images"]] == ["20250912"]  # the newest of the two
    # the name pattern also matches the (newer) Neuron TensorFlow DLAMI, which has no NVIDIA driver ("Neuron
    # DLAMI User Guide"): never offered for a GPU type
    full = run_tool("ami", "--framework", "tensorflow", "--region", "us-east-1").json["data"]["images"]
    assert len(full) == 2 and not any("Neuron" in i["name"] for i in full)


def test_neuron_images_only_for_trainium_and_inferentia(run_tool):
    r = run_tool("ami", "--framework", "pytorch", "--type", "trn1.2xlarge", "--region", "us-east-1")
    assert r.code == 0, r.stderr
    names = [i["name"] for i in r.json["data"]["images"]]
    assert names == ["Deep Learning AMI Neuron PyTorch 2.8 (Ubuntu 22.04) 20261115"]


def test_pick_default_for_launch(sandbox, monkeypatch):
    """The core launch.py will call: the newest launchable image (in-process against the sandbox)."""
    sys.path.insert(0, str(ROOT / "tools"))
    for k, v in {"AWS_ENDPOINT_URL": sandbox.url, "AWS_ACCESS_KEY_ID": "testing",
                 "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(k, v)
    from _awswiz.aws.client import Aws
    from _awswiz.compute import amis

    img = amis.pick_default(Aws(), "us-east-1", "pytorch", "x86_64")
    assert img["name"].endswith("20261110") and img["launch"]["status"] == "subscribed"
