"""ec2:key-pair: delete the public key from EC2 (EC2 API Reference: DeleteKeyPair). Instances launched with it
keep the key they were given; the local private key (.state/keys/NAME.pem, when launch.py made it) is kept,
and the plan says where it is. --id takes the key pair id (key-...) or its name."""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.compute import keys
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.ec2_common import settle

DEAD = ("shutting-down", "terminated")


def _pairs(ctx, region: str, ids: list[str]) -> list[dict]:
    """The key pairs named by id or by name: one call per region (EC2 filters would AND id and name)."""
    pairs = paginate(ctx.aws.client("ec2", region), "describe_key_pairs", "KeyPairs")
    return [k for k in pairs if k.get("KeyPairId") in ids or k.get("KeyName") in ids]


def find(ctx, region: str, ids: list[str]) -> set[str]:
    return {x for k in _pairs(ctx, region, ids) for x in (k.get("KeyPairId"), k.get("KeyName")) if x in ids}


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    ec2 = ctx.aws.client("ec2", region)
    pairs = _pairs(ctx, region, ids)
    names = [k["KeyName"] for k in pairs]
    users: dict[str, list[str]] = {}
    if names:
        for i in paginate(ec2, "describe_instances", "Reservations[].Instances[]",
                          Filters=[{"Name": "key-name", "Values": names}]):
            if i["State"]["Name"] not in DEAD:
                users.setdefault(i.get("KeyName"), []).append(i["InstanceId"])
    actions = []
    for k in pairs:
        name, tags = k["KeyName"], tag_map(k.get("Tags"))
        local = keys.key_file(name) if keys.NAME_RE.match(name) else None
        detail = {"key_type": k.get("KeyType"),
                  "local_key": f"{local} is kept" if local and local.exists() else "no local copy in .state/keys"}
        if users.get(name):
            detail["used_by"] = sorted(users[name])
            detail["note"] = "these instances keep the key; new launches cannot name it"
        actions.append(guard.Action(op="delete", type="ec2:key-pair", id=k["KeyPairId"], region=region, name=name,
                                    tags=tags, state={"fingerprint": k.get("KeyFingerprint")}, detail=detail))
    return settle(actions)


def do(ctx, action: guard.Action) -> dict:
    ctx.aws.client("ec2", action.region).delete_key_pair(KeyName=action.name)  # by name: moto ignores KeyPairId
    return {"deleted": action.name}


register(Remover(type="ec2:key-pair", id_example="key-0123456789abcdef0 or the key's name", find=find, plan=plan,
                 do=do))
