"""What terminate.py removes after a box that launch.py gave a role or an idle alarm (issue 24), beside
launch_cleanup.py's group, key and volumes: its own IAM role and instance profile (awswiz-box-LAUNCH_ID, tagged
managed with the box's launch id, used by no other live instance) and its idle-stop alarm (awswiz-idle-stop-ID,
tagged managed). CloudWatch keeps an alarm after its instance is gone, and IAM keeps a role: without these steps
both would be left behind. Each is an Action of the same plan with the resource's OWN tags and the instance as its
target, so the guard refuses the whole box when one is protected. The role goes once the box is terminated (an
instance profile in use is still associated with it); the alarm at once."""

from __future__ import annotations

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.compute import idle_alarm, roles
from _awswiz.inventory.table import LAUNCH_TAG, tag_map
from _awswiz.removal.waits import after_terminated

OPS = ("delete-launch-role", "delete-launch-alarm")
ALIVE = ["pending", "running", "stopping", "stopped", "shutting-down"]


def _mine(tags: dict, lid: str) -> bool:
    return tags.get("awswiz:managed") == "true" and tags.get(LAUNCH_TAG) == lid


def actions(ctx, found: list[dict], region: str) -> list[guard.Action]:
    launched = [i for i in found if tag_map(i.get("Tags")).get("awswiz:managed") == "true"
                and tag_map(i.get("Tags")).get(LAUNCH_TAG)]
    if not launched:
        return []
    going = {i["InstanceId"] for i in found}
    out: list[guard.Action] = []
    boxed = [i for i in launched
             if (i.get("IamInstanceProfile") or {}).get("Arn", "").rpartition("/")[2].startswith(roles.ROLE_PREFIX)]
    iam = ctx.aws.client("iam") if boxed else None
    for inst in boxed:
        arn, lid = inst["IamInstanceProfile"]["Arn"], tag_map(inst.get("Tags"))[LAUNCH_TAG]
        name = arn.rpartition("/")[2]
        ptags = tag_map(paginate(iam, "list_instance_profile_tags", "Tags", InstanceProfileName=name))
        if not _mine(ptags, lid):
            continue
        others = [i["InstanceId"] for r in paginate(ctx.aws.client("ec2", region), "describe_instances",
                                                     "Reservations", Filters=[
                                                         {"Name": "iam-instance-profile.arn", "Values": [arn]},
                                                         {"Name": "instance-state-name", "Values": ALIVE}])
                  for i in r["Instances"] if i["InstanceId"] not in going]
        if others:
            continue
        rtags = tag_map(paginate(iam, "list_role_tags", "Tags", RoleName=name))
        out.append(guard.Action(op="delete-launch-role", type="iam:role", id=name, region=region, name=name,
                                tags=rtags, target=inst["InstanceId"], touches={f"instance profile {name}": ptags},
                                state={"users": [inst["InstanceId"]]},
                                detail={"why": "the box's own role and instance profile (launch.py --role/--secret)"}))
    cw = ctx.aws.client("cloudwatch", region)
    for a in idle_alarm.of_instances(cw, [i["InstanceId"] for i in launched]):
        iid = a["AlarmName"][len(idle_alarm.PREFIX):]
        lid = tag_map(next(i for i in launched if i["InstanceId"] == iid).get("Tags"))[LAUNCH_TAG]
        atags = tag_map(cw.list_tags_for_resource(ResourceARN=a["AlarmArn"]).get("Tags"))
        if _mine(atags, lid):
            out.append(guard.Action(op="delete-launch-alarm", type="cloudwatch:alarm", id=a["AlarmName"],
                                    region=region, tags=atags, target=iid, state={"arn": a["AlarmArn"]},
                                    detail={"why": "the box's idle-stop alarm (CloudWatch keeps it otherwise)"}))
    return out


def do(ctx, action: guard.Action, wait_s: float = 300) -> dict:
    if action.op == "delete-launch-alarm":
        ctx.aws.client("cloudwatch", action.region).delete_alarms(AlarmNames=[action.id])
        return {"deleted": action.id}

    def call() -> dict:
        roles.remove(ctx.aws.client("iam"), action.id)
        return {"deleted": action.id}

    return after_terminated(ctx.aws.client("ec2", action.region), list(action.state.get("users") or []), call,
                            wait_s, ("DeleteConflict",))
