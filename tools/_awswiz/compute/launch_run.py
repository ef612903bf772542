"""launch.py's apply: key, security group and instance, trying AZ after AZ and region after region, every
attempt recorded; what this launch created is removed again when no attempt succeeds.

Errors are classified by what they mean for the next attempt (shared/PATTERNS.md; EC2 API Reference, "Error
codes for the Amazon EC2 API"): InsufficientInstanceCapacity / Unsupported / UnfulfillableCapacity /
InsufficientHostCapacity / SpotMaxPriceTooLow (a spot price is per AZ; AZs are tried cheapest first) -> the next
AZ; VcpuLimitExceeded / InstanceLimitExceeded / MaxSpotInstanceCountExceeded -> the next region (quotas are per
region); throttling and transient server errors (RETRY) -> the same request again after a backoff; anything else
stops the launch. RunInstances is sent with botocore's retries off (a capacity error answered 5xx would be sent
again in the same AZ) and retried here, always with the same ClientToken: EC2 Developer Guide, "Ensuring
idempotency in Amazon EC2 API requests": a retry of a request that completed, with the same client token and
parameters, completes without launching anything more, so a lost answer (a timeout, a 500 after the launch)
cannot start two boxes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from concurrent.futures import ThreadPoolExecutor

from _awswiz.compute import cluster, keys
from _awswiz.compute.launch_plan import LIVE, Request, price_of, sg_name
from _awswiz.inventory.table import LAUNCH_TAG, tag_map
from _awswiz.shell import hints
from _awswiz.shell.errors import THROTTLE_CODES, AwsWizError, classify

NEXT_AZ = {"InsufficientInstanceCapacity", "Unsupported", "UnfulfillableCapacity", "InsufficientHostCapacity",
           "InsufficientCapacity", "SpotMaxPriceTooLow"}
RETRY = THROTTLE_CODES | {"InternalError", "InternalFailure", "ServiceUnavailable", "Unavailable"}
RETRIES = 4  # after the first try; backoff with full jitter, at most BACKOFF_CAP seconds each
BACKOFF_CAP = 20.0
NEXT_REGION = {"VcpuLimitExceeded", "InstanceLimitExceeded", "MaxSpotInstanceCountExceeded"}
# the launch asked for (caller, name, type, count, market), the same for every plan and confirm of the same command:
# a re-plan after a killed confirm finds the box (or the key pair) it left by this tag instead of making another
LAUNCH_OF = "awswiz:launch-of"


class LaunchFailed(AwsWizError):
    code = "LaunchFailed"


def launch_id(token: str) -> str:
    """The launch's id, from its confirmation token: the same plan applied twice finds its own instances."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


def launch_of(owner: str, req: Request) -> str:
    """What is launched, independent of the token: a fresh plan of the same command finds what an earlier
    confirm of it made (tag LAUNCH_OF)."""
    doc = [owner, req.name, req.instance_type, req.count, req.market, req.spot_type]
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()[:16]


def now_iso() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def no_retry_client(ctx, region: str):
    from botocore.config import Config

    c = ctx.aws.session.client("ec2", region_name=region, config=ctx.aws.config.merge(
        # total_max_attempts: botocore's max_attempts counts retries after the first try (1 meant one retry)
        Config(retries={"mode": "standard", "total_max_attempts": 1})))
    if ctx.aws.audit is not None:
        ctx.aws.audit.install(c)
    return c


def find_launched(ctx, regions: list[str], lid: str, tag: str = LAUNCH_TAG) -> list[dict]:
    """Live instances tagged tag=lid in these regions (asked at once)."""
    def one(r: str) -> list[dict]:
        pages = ctx.aws.client("ec2", r).get_paginator("describe_instances").paginate(
            Filters=[{"Name": f"tag:{tag}", "Values": [lid]}, {"Name": "instance-state-name", "Values": LIVE}])
        return [dict(i, Region=r) for page in pages for res in page["Reservations"] for i in res["Instances"]]

    if not regions:
        return []
    with ThreadPoolExecutor(max_workers=min(8, len(regions))) as pool:
        return [i for part in pool.map(one, regions) for i in part]


def leftover_keys(seen: dict, regions: list[str], of: str) -> list[dict]:
    """Key pairs an earlier confirm of this launch imported (tag LAUNCH_OF) that no live instance uses: what a
    confirm killed before its instance leaves. Each with Region; from what the plan's survey listed (seen)."""
    out = []
    for r in regions:
        used = {i.get("KeyName") for i in seen[r]["instances"]}
        out += [dict(p, Region=r) for p in seen[r]["keys"]
                if tag_map(p.get("Tags")).get(LAUNCH_OF) == of and p["KeyName"] not in used]
    return out


RESUME_WINDOW = 1800  # seconds: how recent a killed confirm's key pair must be for its launch id to be used again


def resumable_id(ctx, pair: dict) -> str | None:
    """The launch id of the killed confirm that imported this key pair, when its RunInstances client tokens are
    unspent: no instance in any state carries the id, and the pair is recent enough that a terminated one would
    still be listed. A client token stays bound to its instance for at least 24 hours after termination, and the
    same token with other parameters is IdempotentParameterMismatch (EC2 API Reference, "Ensuring idempotency"):
    a spent id is never used again (the key pair still is)."""
    tags = {t["Key"]: t["Value"] for t in pair.get("Tags", [])}
    lid = tags.get(LAUNCH_TAG)
    try:
        age = (_dt.datetime.now(_dt.UTC) - _dt.datetime.fromisoformat(tags.get("awswiz:created-at", ""))
               ).total_seconds()
    except (TypeError, ValueError):
        return None
    if not lid or not 0 <= age <= RESUME_WINDOW:
        return None
    seen = ctx.aws.client("ec2", pair["Region"]).describe_instances(
        Filters=[{"Name": f"tag:{LAUNCH_TAG}", "Values": [lid]}])["Reservations"]
    return None if seen else lid


def tag_spec(kind: str, tags: dict) -> list[dict]:
    return [{"ResourceType": kind, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def young_profile(exc) -> bool:
    """RunInstances refusing an instance profile made a moment ago: IAM is eventually consistent (IAM User Guide,
    "Troubleshoot IAM roles": "Invalid IAM Instance Profile name" right after creating it; wait and retry)."""
    err = exc.response["Error"]
    return err.get("Code") == "InvalidParameterValue" and "iaminstanceprofile" in (err.get("Message") or "").lower()


class Launcher:
    spec = staticmethod(tag_spec)  # for compute/cluster.py's hooks
    profile_arn: str | None = None  # launch.py --role/--instance-profile (box_access.prepare)

    def __init__(self, ctx, req: Request, views: list[dict], key_name: str, new_key: bool, tags: dict,
                 user_data: str, left: list[dict] | None = None):
        self.ctx, self.req, self.views, self.left = ctx, req, views, left or []
        self.key_name, self.new_key, self.tags, self.user_data = key_name, new_key, tags, user_data
        self.made: list[dict] = []      # what this launch created, in order: {type, id, region}
        self.attempts: list[dict] = []
        self.rolled_back: list[dict] = []

    # --- pieces ---
    def key_in(self, region: str) -> None:
        if not self.new_key or any(m["type"] == "ec2:key-pair" and m["region"] == region for m in self.made):
            return
        if not keys.key_file(self.key_name).exists():
            keys.generate(self.key_name)
            self.made.append({"type": "file", "id": str(keys.key_file(self.key_name)), "region": None})
        ec2 = self.ctx.aws.client("ec2", region)
        if left := [p for p in self.left if p["Region"] == region and p["KeyName"] == self.key_name]:
            # imported by an earlier confirm of this launch that was killed before its instance: used now, and
            # removed with the rest if this launch fails
            self.made.append({"type": "ec2:key-pair", "id": left[0]["KeyPairId"], "name": self.key_name,
                              "region": region, "reused": True})
            return
        out = ec2.import_key_pair(KeyName=self.key_name, PublicKeyMaterial=keys.public_of(self.key_name).encode(),
                                  TagSpecifications=tag_spec("key-pair", {**self.tags, "Name": self.key_name}))
        self.made.append({"type": "ec2:key-pair", "id": out["KeyPairId"], "name": self.key_name, "region": region})

    def group_in(self, view: dict) -> str:
        if self.req.cluster:
            return cluster.group_in(self, view)
        region = view["region"]
        ec2 = self.ctx.aws.client("ec2", region)
        if view.get("security_group") and not view.get("group_without_rule"):
            return view["security_group"]
        if view.get("security_group"):  # made by a killed launch before its rule: the rule is added now
            gid = view["security_group"]
        else:
            name = sg_name(self.req.ssh_cidr)
            gid = ec2.create_security_group(
                GroupName=name, VpcId=view["vpc"], Description=f"AwsWiz: SSH (22/tcp) from {self.req.ssh_cidr} only",
                TagSpecifications=tag_spec("security-group", {**self.tags, "Name": name}))["GroupId"]
            self.made.append({"type": "vpc:security-group", "id": gid, "region": region})
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": self.req.ssh_cidr, "Description": "AwsWiz launch: SSH from the caller"}]}])
        # a new group allows all egress (EC2 User Guide, "Security group rules"): kept, the box needs it
        view["security_group"] = gid
        return gid

    def run_args(self, view: dict, az: str, group: str, token: str, attempt: int) -> dict:
        req = self.req
        root = {"Encrypted": True, "DeleteOnTermination": True, "VolumeType": "gp3"}
        # the image's own root size when --disk is not given (what AWS uses when VolumeSize is left out;
        # moto insists on a size)
        size = req.disk or view["ami"].get("root_gb")
        if size:
            root["VolumeSize"] = size
        args = {
            "ImageId": view["ami"]["id"], "InstanceType": req.instance_type, "MinCount": req.count,
            "MaxCount": req.count, "KeyName": self.key_name, "UserData": self.user_data,
            "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": view["subnets"][az], "Groups": [group],
                                   "AssociatePublicIpAddress": True, "DeleteOnTermination": True}],
            "BlockDeviceMappings": [{"DeviceName": view["ami"]["root_device"], "Ebs": root}],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2},
            "InstanceInitiatedShutdownBehavior": req.shutdown,
            "TagSpecifications": tag_spec("instance", {**self.tags, "Name": req.name})
            + tag_spec("volume", {**self.tags, "Name": req.name}),
            "ClientToken": hashlib.sha256(f"{token}:{view['region']}:{az}:{attempt}".encode()).hexdigest()[:64],
        }
        if req.market == "spot":
            spot = {"SpotInstanceType": req.spot_type,
                    "InstanceInterruptionBehavior": "stop" if req.spot_type == "persistent" else "terminate"}
            if req.max_price is not None:
                spot["MaxPrice"] = f"{req.max_price:.4f}"
            args["InstanceMarketOptions"] = {"MarketType": "spot", "SpotOptions": spot}
        if req.cluster:
            cluster.run_args(self, view, args)
        if self.profile_arn:
            args["IamInstanceProfile"] = {"Arn": self.profile_arn}
        if req.jump:  # a private subnet: unreachable there, and billed (compute/jump.py)
            args["NetworkInterfaces"][0]["AssociatePublicIpAddress"] = False
        return args

    # --- the run ---
    def apply(self, token: str) -> dict:
        try:
            return self._try_all(token)
        except BaseException:
            self.rollback()
            raise

    def _try_all(self, token: str) -> dict:
        from botocore.exceptions import ClientError

        attempt = 0
        for view in [v for v in self.views if v.get("usable")]:
            region = view["region"]
            with ThreadPoolExecutor(max_workers=2) as pool:  # the key pair and the group do not wait for each other
                key, made_group = pool.submit(self.key_in, region), pool.submit(self.group_in, view)
                key.result()
                group = made_group.result()
            ec2 = no_retry_client(self.ctx, region)
            for az in view["azs"]:
                attempt += 1
                retried: list[str] = []
                try:
                    out = self.send(ec2, self.run_args(view, az, group, token, attempt), retried)
                except ClientError as exc:
                    err = exc.response["Error"]
                    entry = {"region": region, "az": az, "code": err.get("Code"), "message": err.get("Message")}
                    entry.update({"retried": retried} if retried else {})
                    self.attempts.append(entry)
                    if err.get("Code") in NEXT_AZ:
                        entry["then"] = "next AZ"
                        continue
                    if err.get("Code") in NEXT_REGION:
                        entry["then"] = "next region"
                        if quota := view.get("quota"):
                            entry["quota"] = quota
                            entry["request"] = hints.command(self.ctx, "quota_request", "--code", quota["code"],
                                                             "--value", str(int(quota["used"] + quota["needs"])),
                                                             region=region)
                        break
                    entry["then"] = "stop"
                    raise
                ids = [i["InstanceId"] for i in out["Instances"]]
                self.attempts.append({"region": region, "az": az, "code": "ok", "instances": ids,
                                      **({"retried": retried} if retried else {})})
                self.made += [{"type": "ec2:instance", "id": i, "region": region} for i in ids]
                nodes = cluster.after_launch(self, region, out["Instances"]) if self.req.cluster else {}
                return {**nodes, "instances": ids, "region": region, "az": az,
                        "price_per_hour": price_of(view, self.req, az),
                        "security_group": group, "key": self.key_name,
                        "key_file": str(keys.key_file(self.key_name))}
            else:
                continue
        tried = "; ".join(f"{a['region']}/{a['az']}: {a['code']}" for a in self.attempts) or "no usable region"
        asks = [a["request"] for a in self.attempts if a.get("request")]
        raise LaunchFailed(f"no attempt succeeded ({tried})", f"raise the vCPU quota: {asks[0]}" if asks
                           else "try --region auto, another type, or later")

    @staticmethod
    def send(ec2, args: dict, retried: list[str]) -> dict:
        """RunInstances, sent again with the same arguments (and so the same ClientToken) after throttling, a
        transient server error or a lost connection; each retry's code is appended to `retried`."""
        import random
        import time

        from botocore.exceptions import ClientError, HTTPClientError

        for n in range(RETRIES + 1):
            try:
                return ec2.run_instances(**args)
            except ClientError as exc:
                code = exc.response["Error"].get("Code")
                if n < RETRIES and young_profile(exc):
                    code = "InvalidParameterValue (instance profile not yet visible to EC2)"
                elif code not in RETRY or n == RETRIES:
                    raise
            except HTTPClientError as exc:  # a timeout or a closed connection: AWS may have launched; the token knows
                if n == RETRIES:
                    raise
                code = type(exc).__name__
            retried.append(code)
            time.sleep(random.random() * min(BACKOFF_CAP, 0.5 * 2 ** n))
        raise AssertionError("unreachable")

    def rollback(self) -> None:
        """Remove what this launch created (not reused groups or keys), newest first; each step audited."""
        for m in reversed(self.made):
            try:
                if m["type"] == "ec2:instance":
                    ec2 = self.ctx.aws.client("ec2", m["region"])
                    ec2.terminate_instances(InstanceIds=[m["id"]])
                    ec2.get_waiter("instance_terminated").wait(InstanceIds=[m["id"]],
                                                               WaiterConfig={"Delay": 5, "MaxAttempts": 60})
                elif m["type"] == "vpc:security-group":
                    self.ctx.aws.client("ec2", m["region"]).delete_security_group(GroupId=m["id"])
                elif m["type"] == "ec2:placement-group":
                    cluster.rollback(self.ctx, m)
                elif m["type"] == "ec2:key-pair":
                    # by name: AWS takes either, moto ignores KeyPairId
                    self.ctx.aws.client("ec2", m["region"]).delete_key_pair(KeyName=m["name"])
                else:  # the private key file: useless without its key pair
                    import os

                    os.remove(m["id"])
                self.rolled_back.append({**m, "ok": True})
            except Exception as exc:  # noqa: BLE001 - go on removing the rest; say what is left
                self.rolled_back.append({**m, "ok": False, "error": classify(exc, m["region"])["message"]})
