"""lambda:function: delete the function (every version and alias, its URL and concurrency settings go with it).

Its event source mappings do not (AWS Lambda API Reference, DeleteEventSourceMapping is a call of its own;
a mapping left behind keeps polling its queue or stream for a function that is gone), so they are deleted
first. Its CloudWatch log group stays, billed per GiB-month stored: the plan names it. A mapping carries its OWN
tags (AWS Lambda API Reference, ListTags: "Returns a function, event source mapping, or code signing
configuration's tags") and its function in `touches`: a protected mapping refuses its function, and the reverse.
"""

from __future__ import annotations

import re

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.removal.removers import Remover, register

FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def _functions(lam) -> list[dict]:
    return paginate(lam, "list_functions", "Functions")


def find(ctx, region: str, ids: list[str]) -> set[str]:
    names = {f["FunctionName"] for f in _functions(ctx.aws.client("lambda", region))}
    return {i for i in ids if i in names}


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    lam = ctx.aws.client("lambda", region)
    fns = {f["FunctionName"]: f for f in _functions(lam) if f["FunctionName"] in ids}
    out = guard.Plan(actions=[])
    for name in dict.fromkeys(ids):
        fn = fns.get(name)
        if fn is None:
            continue
        tags = lam.list_tags(Resource=fn["FunctionArn"]).get("Tags", {})
        for m in paginate(lam, "list_event_source_mappings", "EventSourceMappings", FunctionName=name):
            own = lam.list_tags(Resource=m["EventSourceMappingArn"]).get("Tags", {}) \
                if m.get("EventSourceMappingArn") else {}
            out.actions.append(guard.Action(
                op="delete-event-source-mapping", type="lambda:event-source-mapping", id=m["UUID"],
                region=region, target=name, tags=own, touches={f"function {name} (it is mapped to it)": tags},
                state={"state": m.get("State")},
                detail={"source": m.get("EventSourceArn"), "why": "a mapping outlives its function"}))
        out.actions.append(guard.Action(
            op="delete", type="lambda:function", id=name, region=region, name=name, tags=tags,
            state={"state": fn.get("State"), "sha": fn.get("CodeSha256")},
            detail={"runtime": fn.get("Runtime"), "memory_mb": fn.get("MemorySize"),
                    "stays_behind": [f"log group /aws/lambda/{name} (billed per GiB-month stored)"]}))
    return out


def do(ctx, action: guard.Action) -> dict:
    lam = ctx.aws.client("lambda", action.region)
    if action.op == "delete-event-source-mapping":
        return {"state": lam.delete_event_source_mapping(UUID=action.id).get("State")}
    lam.delete_function(FunctionName=action.id)
    return {"deleted": action.id}


register(Remover(type="lambda:function", id_pattern=FUNCTION_NAME, id_example="my-function (the name scan shows)",
                 find=find, plan=plan, do=do))
