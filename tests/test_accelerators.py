"""Issue 20 item 3: one reader of instance types for every accelerator an ML lab pays for. A running Trainium box
(trn1) is an accelerator box in scan (count, model, the running finding), in waste (its idle check) and in
list_instances alike; before, scan counted GpuInfo only and gave it `gpus: 0`.

EC2 API Reference, DescribeInstanceTypes: InstanceTypeInfo has GpuInfo (GPUs), NeuronInfo (AWS Trainium and
Inferentia: NeuronDevices with Name and Count) and InferenceAcceleratorInfo, each its own member.
"""

from __future__ import annotations

from test_waste import put_hourly, register

REGION = "us-east-1"  # trn1.2xlarge is offered here (AWS: Trainium regions include us-east-1)


def trn1_box(ec2) -> str:
    return ec2.run_instances(ImageId=register(ec2), MinCount=1, MaxCount=1, InstanceType="trn1.2xlarge",
                             TagSpecifications=[{"ResourceType": "instance", "Tags": [
                                 {"Key": "Name", "Value": "neuron-train"}]}])["Instances"][0]["InstanceId"]


def test_a_trainium_box_is_an_accelerator_box_in_scan_waste_and_list_instances(sandbox, run_tool, state_dir):
    ec2, cw = sandbox.client("ec2", REGION), sandbox.client("cloudwatch", REGION)
    iid = trn1_box(ec2)
    scan = run_tool("scan", "--region", REGION, "--service", "ec2")
    assert scan.code == 0, scan.stderr
    (rec,) = [r for r in scan.json["data"]["resources"] if r["id"] == iid]
    assert rec["gpus"] == 1 and "Trainium" in rec["gpu_model"]
    assert iid in {f["id"] for f in scan.json["data"]["findings"] if f["kind"] == "gpu-running"}

    put_hourly(cw, "AWS/EC2", "CPUUtilization", [{"Name": "InstanceId", "Value": iid}], 1)
    waste = run_tool("waste", "--region", REGION, "--idle-hours", "24")
    assert waste.code == 0, waste.stderr
    items = {i["id"]: i for i in waste.json["data"]["items"]}
    assert items[iid]["kind"] == "idle-gpu" and "Trainium" in items[iid]["why"]

    listed = run_tool("list_instances", "--filter", "trn1.2xlarge", "--region", REGION)
    assert listed.code == 0, listed.stderr
    (t,) = [t for t in listed.json["data"]["types"] if t["type"] == "trn1.2xlarge"]
    assert t["gpu"]["count"] == rec["gpus"] and t["gpu"]["model"] in rec["gpu_model"]
