"""In the sandbox server: an SSH stand-in (ssh_standin.py) for each running instance tagged awswiz:managed=true
that has a key pair, named on the instance by the tag awswiz:sandbox-ssh = 127.0.0.1:PORT (which AWS never sets),
made or stopped as the region's DescribeInstances finds them; a reset stops them all. Each forwards a direct-tcpip
channel (ProxyJump through it) to the private IP:22 of a running box of its own VPC, as the VPC's local route would
carry it (Amazon VPC User Guide, "Route tables": every table has a local route for the VPC CIDR), to that box's
stand-in; each forward is seen in the sandbox's calls (service "ssh", action "direct-tcpip")."""

from __future__ import annotations

from ..handlers import HANDLERS, PASS, account, handles, note, seeder
from . import spot_requests  # noqa: F401 - registered first: this chains in front of its DescribeInstances
from .backend import backend
from .ssh_standin import StandIn

SANDBOX_TAG = "awswiz:sandbox-ssh"


RUNNING: dict[str, StandIn] = {}
GPUS = {"g5": ("NVIDIA A10G", {"xlarge": 1, "2xlarge": 1, "4xlarge": 1, "8xlarge": 1, "12xlarge": 4,
                                "24xlarge": 4, "48xlarge": 8}),
        "p4d": ("NVIDIA A100-SXM4-40GB", {"24xlarge": 8}), "p5": ("NVIDIA H100 80GB HBM3", {"48xlarge": 8})}


def _info(inst) -> dict:
    family, _, size = inst.instance_type.partition(".")
    model, sizes = GPUS.get(family, (None, {}))
    return {"hostname": inst.id, "gpus": sizes.get(size, 0), "gpu_model": model}


def _forwarder(region: str, head_id: str, of: str):
    """Forwards within the head's own account (the stand-in's thread answers no request: the account is given)."""
    def forward(host: str, port: int):
        ec2 = backend(region, of)
        head = next((i for i in ec2.all_instances() if i.id == head_id), None)
        to = next((i for i in ec2.all_instances() if head and i.private_ip == host and i.vpc_id == head.vpc_id
                   and i.state == "running"), None)
        target = RUNNING.get(to.id) if to and port == 22 else None
        note({"service": "ssh", "action": "direct-tcpip", "region": region, "method": None, "path": head_id,
              "query": f"{host}:{port}" + ("" if target else " refused")})
        return ("127.0.0.1", target.port) if target else None
    return forward


def reconcile(region: str) -> None:
    """A stand-in for every running managed instance with a key pair; none for the others."""
    ec2 = backend(region)
    for inst in ec2.all_instances():
        tagmap = {t["key"]: t["value"] for t in inst.get_tags()}
        running = inst.state == "running" and tagmap.get("awswiz:managed") == "true" and inst.key_name
        if running and inst.id not in RUNNING:
            pair = ec2.key_pairs.get(inst.key_name)
            if pair is None or not pair.material_public:
                continue
            standin = StandIn([pair.public_key], info=_info(inst), forward=_forwarder(region, inst.id, account()))
            RUNNING[inst.id] = standin
            ec2.create_tags([inst.id], {SANDBOX_TAG: f"127.0.0.1:{standin.port}"})
        elif not running and inst.id in RUNNING:
            RUNNING.pop(inst.id).stop()
            ec2.delete_tags([inst.id], {SANDBOX_TAG: None})


def _register() -> None:
    for key in ("ec2:DescribeInstances",):
        prev = HANDLERS.get(key)

        def run(params, region, state, prev=prev):
            reconcile(region)
            return prev(params, region, state) if prev else PASS

        handles(key, chained=True)(run)

    @seeder
    def _stop_all(state: dict) -> None:
        for s in RUNNING.values():
            s.stop()
        RUNNING.clear()


_register()
