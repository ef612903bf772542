"""RunInstances of an image that needs a Marketplace subscription answers OptInRequired (moto answers
DryRunOperation, or launches, for every image). lab/gpu.py names the images (a Deep Learning AMI behind a
subscription)."""

from __future__ import annotations

from ..handlers import PASS, ApiError, handles, seeder


@seeder
def _seed(state: dict) -> None:
    state["marketplace"] = {}  # {ami id: product code (sku)}


@handles("ec2:RunInstances")
def run_instances(params, region, state):
    sku = state["marketplace"].get(params.get("ImageId", ""))
    if sku is None:
        return PASS
    raise ApiError("OptInRequired", "In order to use this AWS Marketplace product you need to accept terms and "
                   f"subscribe. To do so please visit https://aws.amazon.com/marketplace/pp?sku={sku}", 401)
