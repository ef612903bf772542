"""The GPU part of the demo lab: Deep Learning AMIs owned by Amazon (older and newer, x86_64 and arm64) with
their public SSM parameters, one of them behind a Marketplace subscription; and what counts against the GPU
quotas besides running instances: in us-east-1 an unused Capacity Reservation for one p4d.24xlarge (kept for
the stopped train-big: 96 P on-demand vCPUs) and an open spot request for a g5.2xlarge (8 G spot vCPUs); and in
eu-west-1 a running box of a persistent spot request (notebook-spot, m5.xlarge: no GPU quota).

moto's API cannot register an image as Amazon's, nor date it, so the images go straight into moto's
backend (this runs inside the sandbox server process) of Amazon's account (AMAZON), public: every account sees them
(ec2/amis.py); the tools then see them through the real API. The reservation and the spot requests are the lab's.
"""

from __future__ import annotations

import datetime as _dt

from moto.ec2.models.spot_requests import SpotInstanceRequest

from .. import handlers as H
from .tags import REGIONS, spec

AMAZON = "898082745236"  # the account that publishes the DLAMIs
P = "/aws/service/deeplearning/ami"
SKU = "7k2q1mwd3dlami0x9pyt27"
# (architecture, name, creation date, SSM ami_type that points at it or None, needs subscription)
IMAGES = [
    ("x86_64", "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.7 (Ubuntu 22.04) 20250805", "2025-08-05", None,
     False),
    ("x86_64", "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.7 (Ubuntu 22.04) 20251015", "2025-10-15",
     "oss-nvidia-driver-gpu-pytorch-2.7-ubuntu-22.04", True),
    ("x86_64", "Deep Learning OSS Nvidia Driver AMI GPU PyTorch 2.8 (Ubuntu 24.04) 20261110", "2026-11-10",
     "oss-nvidia-driver-gpu-pytorch-2.8-ubuntu-24.04", False),
    ("x86_64", "Deep Learning Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20261101", "2026-11-01",
     "base-oss-nvidia-driver-gpu-ubuntu-22.04", False),
    ("x86_64", "Deep Learning OSS Nvidia Driver AMI GPU TensorFlow 2.18 (Ubuntu 22.04) 20250601", "2025-06-01",
     None, False),
    ("x86_64", "Deep Learning OSS Nvidia Driver AMI GPU TensorFlow 2.18 (Ubuntu 22.04) 20250912", "2025-09-12",
     None, False),
    ("arm64", "Deep Learning ARM64 AMI OSS Nvidia Driver GPU PyTorch 2.7 (Ubuntu 22.04) 20251020", "2025-10-20",
     "oss-nvidia-driver-gpu-pytorch-2.7-arm64-ubuntu-22.04", False),
    ("arm64", "Deep Learning ARM64 AMI OSS Nvidia Driver GPU PyTorch 2.8 (Ubuntu 24.04) 20261105", "2026-11-05",
     "oss-nvidia-driver-gpu-pytorch-2.8-arm64-ubuntu-24.04", False),
    ("arm64", "Deep Learning ARM64 Base OSS Nvidia Driver GPU AMI (Ubuntu 22.04) 20261001", "2026-10-01",
     "base-oss-nvidia-driver-gpu-arm64-ubuntu-22.04", False),
    # Neuron DLAMIs (Trainium/Inferentia, no NVIDIA driver), named as AWS names them ("Neuron DLAMI User
    # Guide"), newer than the GPU ones: the name patterns match them too
    ("x86_64", "Deep Learning AMI Neuron PyTorch 2.8 (Ubuntu 22.04) 20261115", "2026-11-15", None, False),
    ("x86_64", "Deep Learning AMI Neuron TensorFlow 2.10 (Ubuntu 22.04) 20261115", "2026-11-15", None, False),
]
NEURON_NOTE = "Supported EC2 instances: Inf2, Trn1, Trn1n, Trn2"
GPU_NOTE = "Supported EC2 instances: G4dn, G5, G6, Gr6, G6e, P4, P4de, P5, P5e, P5en"


def seed(lab) -> None:
    """Called at the end of Lab.seed(): DLAMIs and their SSM parameters in every lab region, the reservation and
    the open spot request."""
    dlamis(lab)
    lab.c("ec2", "us-east-1").create_capacity_reservation(
        InstanceType="p4d.24xlarge", InstancePlatform="Linux/UNIX", AvailabilityZone="us-east-1b", InstanceCount=1,
        TagSpecifications=[{"ResourceType": "capacity-reservation", "Tags": [
            {"Key": "Name", "Value": "train-big-slot"}, {"Key": "awswiz:lab", "Value": "demo"}]}])
    lab.count("ec2:capacity-reservation")
    open_spot_request("us-east-1", "g5.2xlarge", lab.images["us-east-1"])
    lab.count("ec2:spot-request")
    persistent_spot_box(lab)


def persistent_spot_box(lab) -> str:
    """A running box of a persistent spot request (RunInstances SpotInstanceType persistent, interruption and
    shutdown: stop, as RunInstances requires for persistent: EC2 API Reference, SpotMarketOptions), so stop, terminate
    and an instance-initiated shutdown (ec2/spot_requests.py) can be tried on one."""
    iid = lab.c("ec2", "eu-west-1").run_instances(
        ImageId=lab.images["eu-west-1"], InstanceType="m5.xlarge", MinCount=1, MaxCount=1, KeyName="lab-key",
        InstanceInitiatedShutdownBehavior="stop", MetadataOptions={"HttpTokens": "required"},
        TagSpecifications=spec("instance", "notebook-spot", project="vision"),
        InstanceMarketOptions={"MarketType": "spot", "SpotOptions": {
            "SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "stop"}})["Instances"][0]["InstanceId"]
    lab.count("ec2:instance")
    lab.count("ec2:spot-request")
    return iid


class Waiting(SpotInstanceRequest):
    """A spot request that waits for capacity: it launches nothing."""

    def launch_instance(self):
        return None

    @property
    def instance_id(self):
        return None


def open_spot_request(region: str, itype: str, image: str) -> str:
    """A one-time spot request that stays open (waiting for capacity). moto fulfils every request at once, so
    the request goes straight into moto's backend without an instance."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.utils import random_spot_request_id

    with H.LOCK:
        backend = H.backend(ec2_backends, region, H.LAB)
        req = Waiting(backend, random_spot_request_id(), "", image, "one-time", None, None, None, None, "lab-key",
                      [], None, itype, f"{region}a", None, None, False, None,
                      {"spot-instances-request": {"Name": "sweep-2-waiting", "awswiz:lab": "demo"}}, None, None)
        req.state, req._status_code = "open", "capacity-not-available"
        req.status_message = "There is not enough capacity to fulfill your Spot request."
        backend.spot_instance_requests[req.id] = req
        return req.id


def dlamis(lab) -> None:
    """DLAMIs (Amazon's, public) and their SSM parameters (public parameters: every account reads them) in every
    lab region."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.amis import Ami
    from moto.ec2.utils import random_ami_id

    with H.LOCK:
        for region in REGIONS:
            backend = H.backend(ec2_backends, region, AMAZON)
            params = H.STATE["ssm_public"].setdefault(region, {})
            for arch, name, date, ami_type, optin in IMAGES:
                ami_id = random_ami_id()
                created = _dt.datetime.fromisoformat(date).replace(hour=9, tzinfo=_dt.UTC)
                backend.amis[ami_id] = Ami(
                    backend, ami_id=ami_id, name=name,
                    description=f"{name}. {NEURON_NOTE if 'Neuron' in name else GPU_NOTE}",
                    owner_id=AMAZON, owner_alias="amazon", public=True,
                    architecture=arch, virtualization_type="hvm", creation_date=created, root_device_type="ebs",
                    hypervisor="xen", region_name=f"{region}a",
                    product_codes={SKU} if optin else None)
                if ami_type:
                    params[f"{P}/{arch}/{ami_type}/latest/ami-id"] = ami_id
                if optin:
                    H.STATE["marketplace"][ami_id] = SKU
                lab.count("ec2:dlami")
