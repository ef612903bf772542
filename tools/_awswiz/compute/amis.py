"""Deep Learning AMIs: discovery through the public SSM parameters, falling back to Amazon-owned images by
name, newest first; and whether this account can launch one (a DryRun RunInstances).

launch.py picks its default image with pick_default(); ami.py shows the list.
"""

from __future__ import annotations

import re

FRAMEWORKS = ("pytorch", "tensorflow", "base")
ARCHES = ("x86_64", "arm64")
SSM_ROOT = "/aws/service/deeplearning/ami"
NAME_PATTERNS = {"pytorch": "Deep Learning*PyTorch*", "tensorflow": "Deep Learning*TensorFlow*",
                 "base": "Deep Learning*Base*"}
CHECK_TYPE = {"x86_64": "g5.xlarge", "arm64": "g5g.xlarge"}  # a GPU type each DLAMI supports
# Neuron DLAMIs ("Deep Learning AMI Neuron ...", "Deep Learning Base Neuron AMI ...") carry the Neuron SDK for
# Trainium and Inferentia, not the NVIDIA driver (Neuron documentation, "Neuron DLAMI User Guide"); the name
# patterns above match them too, so they are kept only for those types.
NEURON_FAMILIES = ("trn", "inf")


def neuron_type(instance_type: str | None) -> bool:
    return bool(instance_type) and instance_type.split(".")[0].lower().startswith(NEURON_FAMILIES)


def _fits(name: str | None, neuron: bool) -> bool:
    return ("neuron" in (name or "").lower()) == neuron
LINK_RE = re.compile(r"https://aws\.amazon\.com/marketplace/\S+?(?=[\s.,;)\]]*(?:\s|$))")


def _wanted(ami_type: str, framework: str) -> bool:
    t = ami_type.lower()
    if framework == "base":
        return t.startswith("base")
    return framework in t


def ssm_parameters(ssm, arch: str) -> list[dict]:
    """The public DLAMI parameters of one architecture (one paginated GetParametersByPath)."""
    pages = ssm.get_paginator("get_parameters_by_path").paginate(Path=f"{SSM_ROOT}/{arch}", Recursive=True)
    return [p for page in pages for p in page["Parameters"]]


def dlami_parameters(aws, region: str, arch: str) -> list[dict]:
    """ssm_parameters asked once per run (Aws.once): launch starts the question before the type's spec says its
    architecture (likely_arch), and the image search then finds the answer on its way."""
    return aws.once(("dlami-ssm", region, arch), lambda: ssm_parameters(aws.client("ssm", region), arch))


GRAVITON_RE = re.compile(r"^[a-z]+\d+[a-z]*g[a-z]*$")  # c7g, m6gd, g5g, x2gd, im4gn, is4gen: AWS Graviton (arm64)


def likely_arch(instance_type: str) -> str:
    """A guess from the name only, to start the DLAMI question early; the type's spec decides (a wrong guess
    costs one more call, not a wrong image)."""
    return "arm64" if GRAVITON_RE.match(instance_type.split(".")[0].lower()) else "x86_64"


def ssm_candidates(ssm, arch: str, framework: str, listed: list[dict] | None = None) -> dict[str, str]:
    """{ami id: parameter name} for the framework's .../latest/ami-id parameters (one paginated call, or the
    parameters already listed)."""
    out: dict[str, str] = {}
    for p in ssm_parameters(ssm, arch) if listed is None else listed:
        parts = p["Name"][len(SSM_ROOT) + 1:].split("/")  # arch, ami_type, latest, ami-id
        if len(parts) == 4 and parts[2:] == ["latest", "ami-id"] and _wanted(parts[1], framework):
            out.setdefault(p["Value"], p["Name"])
    return out


def entry(img: dict, param: str | None = None) -> dict:
    return {"id": img["ImageId"], "name": img.get("Name"), "created": img.get("CreationDate"),
            "arch": img.get("Architecture"), "owner": img.get("ImageOwnerAlias") or img.get("OwnerId"),
            "param": param}


def find(ec2, ssm, arch: str, framework: str, neuron: bool = False) -> tuple[list[dict], str, str | None]:
    """(images newest first, source "ssm" or "describe_images", why SSM was not used or None). Neuron images
    only when neuron is true (a Trainium or Inferentia type), never for a GPU type."""
    found, source, why = _find(ec2, ssm, arch, framework, neuron)
    return [e for e, _ in found], source, why


def _find(ec2, ssm, arch: str, framework: str, neuron: bool,
          listed=None) -> tuple[list[tuple[dict, dict]], str, str | None]:
    """find(), each image with DescribeImages' own record (its block devices: launch needs no second ask);
    listed: a function giving the SSM parameters (asked once per run), else they are asked of ssm."""
    why = None
    try:
        params = ssm_candidates(ssm, arch, framework, listed() if listed else None)
    except Exception as exc:  # noqa: BLE001 - SSM refused or failed: the name search still answers
        params, why = {}, f"SSM parameters unavailable ({type(exc).__name__}: {exc})"
    images: list[tuple[dict, dict]] = []
    if params:
        resp = ec2.describe_images(ImageIds=sorted(params))
        images = [(entry(i, params.get(i["ImageId"])), i) for i in resp["Images"]
                  if i.get("Architecture") == arch and _fits(i.get("Name"), neuron)]
    if not images:
        why = why or f"no SSM parameter under {SSM_ROOT}/{arch} for {framework}"
        pages = ec2.get_paginator("describe_images").paginate(Owners=["amazon"], Filters=[
            {"Name": "name", "Values": [NAME_PATTERNS[framework]]},
            {"Name": "architecture", "Values": [arch]}, {"Name": "state", "Values": ["available"]}])
        images = [(entry(i), i) for page in pages for i in page["Images"] if _fits(i.get("Name"), neuron)]
    source = "ssm" if params and images and images[0][0]["param"] else "describe_images"
    return (sorted(images, key=lambda e: e[0]["created"] or "", reverse=True), source,
            why if source != "ssm" else None)


def root_of(img: dict) -> dict:
    """The root device of a DescribeImages record and the size of its snapshot (GB), as launch sizes the volume."""
    root = img.get("RootDeviceName") or "/dev/sda1"
    size = next((m["Ebs"].get("VolumeSize") for m in img.get("BlockDeviceMappings", [])
                 if m.get("DeviceName") == root and "Ebs" in m), None)
    return {"root_device": root, "root_gb": size}


def launch_check(ec2, image_id: str, instance_type: str) -> dict:
    """Can this account launch the image? A DryRun RunInstances: subscribed, needs-subscription, or unknown."""
    from botocore.exceptions import ClientError

    try:
        ec2.run_instances(DryRun=True, ImageId=image_id, InstanceType=instance_type, MinCount=1, MaxCount=1)
    except ClientError as exc:
        code = exc.response["Error"].get("Code", "")
        msg = exc.response["Error"].get("Message", "")
        if code == "DryRunOperation":
            return {"status": "subscribed"}
        if code == "OptInRequired" or "subscribe" in msg.lower():
            m = LINK_RE.search(msg)
            link = m.group(0) if m else f"https://console.aws.amazon.com/ec2/home#ImageDetails:imageId={image_id}"
            return {"status": "needs-subscription", "link": link, "reason": msg}
        return {"status": "unknown", "reason": f"{code}: {msg}"}
    return {"status": "subscribed"}


def pick_default(aws, region: str, framework: str = "pytorch", arch: str = "x86_64",
                 instance_type: str | None = None, tries: int = 3) -> dict | None:
    """The newest DLAMI of the framework this account can launch in the region (None if none of the
    newest `tries` is launchable), with its root device and size. For launch.py's default image."""
    ec2 = aws.client("ec2", region)
    check_type = instance_type or CHECK_TYPE[arch]
    images, _, _ = _find(ec2, aws.client("ssm", region), arch, framework, neuron_type(check_type),
                         lambda: dlami_parameters(aws, region, arch))
    for img, raw in images[:tries]:
        check = launch_check(ec2, img["id"], check_type)
        if check["status"] == "subscribed":
            return {**img, "launch": check, **root_of(raw)}
    return None
