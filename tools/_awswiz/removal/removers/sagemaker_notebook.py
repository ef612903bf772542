"""sagemaker:notebook: stop (if InService), wait for Stopped, delete.

AWS refuses to delete a notebook instance that is not Stopped or Failed (SageMaker API Reference,
DeleteNotebookInstance: "Before you can delete a notebook instance, you must call the StopNotebookInstance
API"). Deleting it deletes its ML storage volume: the data on it is lost, as the plan says. One that is
Pending or Updating cannot be stopped yet: blocked, plan again once it is InService.

A notebook instance's ARN carries its name lower-cased (arn:aws:sagemaker:REGION:ACCOUNT:notebook-instance/mynb for
MyNb), so a name read from an ARN (the Resource Groups Tagging API, reap) is matched case-insensitively; the calls
use the name as ListNotebookInstances spells it.
"""

from __future__ import annotations

import re

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.lookup import match, unique

NOTEBOOK_NAME = re.compile(r"^[A-Za-z0-9](?:-*[A-Za-z0-9]){0,62}$")
DELETABLE = {"Stopped", "Failed"}
WAIT = {"Delay": 15, "MaxAttempts": 60}


def _notebooks(sm) -> list[dict]:
    return paginate(sm, "list_notebook_instances", "NotebookInstances")


def _match(sm, ids: list[str]) -> dict[str, dict]:
    return match(_notebooks(sm), ids, "NotebookInstanceName", fold=True)


def find(ctx, region: str, ids: list[str]) -> set[str]:
    return set(_match(ctx.aws.client("sagemaker", region), ids))


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    sm = ctx.aws.client("sagemaker", region)
    out = guard.Plan(actions=[])
    for nb in unique(_match(sm, ids), "NotebookInstanceArn"):
        name, arn = nb["NotebookInstanceName"], nb["NotebookInstanceArn"]
        status = nb.get("NotebookInstanceStatus")
        if status == "Deleting":
            out.skipped.append({"id": name, "region": region, "type": "sagemaker:notebook", "name": name,
                                "reason": "already being deleted"})
            continue
        tags = tag_map(paginate(sm, "list_tags", "Tags", ResourceArn=arn))
        blocked = (f"it is {status}: AWS can stop it only once it is InService; plan again in a few minutes"
                   if status in ("Pending", "Updating") else None)
        if status == "InService":
            out.actions.append(guard.Action(
                op="stop", type="sagemaker:notebook", id=name, region=region, name=name, tags=tags, target=name,
                state={"status": status}, detail={"why": "AWS deletes only a Stopped notebook instance"}))
        out.actions.append(guard.Action(
            op="delete", type="sagemaker:notebook", id=name, region=region, name=name, tags=tags,
            state={"status": status}, blocked=blocked,
            detail={"instance_type": nb.get("InstanceType"),
                    "data": "its ML storage volume is deleted with it: copy what you need first",
                    **({"waits": "until it is Stopped"} if status not in DELETABLE else {})}))
    return out


def do(ctx, action: guard.Action) -> dict:
    sm = ctx.aws.client("sagemaker", action.region)
    if action.op == "stop":
        sm.stop_notebook_instance(NotebookInstanceName=action.id)
        return {"status": "Stopping"}
    if action.state.get("status") not in DELETABLE:
        sm.get_waiter("notebook_instance_stopped").wait(NotebookInstanceName=action.id, WaiterConfig=WAIT)
    sm.delete_notebook_instance(NotebookInstanceName=action.id)
    return {"status": "Deleting"}


register(Remover(type="sagemaker:notebook", id_pattern=NOTEBOOK_NAME, find=find, plan=plan, do=do,
                 id_example="my-notebook (the name scan shows)"))
