"""lambda:function: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/lambda_function.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="lambda:function", order=210, service="lambda", call="list_functions",
    items="Functions[]", id="FunctionName",
    name="FunctionName", state="State", tags=None,
    # no created: ListFunctions' FunctionConfiguration has only LastModified, "last updated" (botocore lambda
    # model); GetFunction says no more
    fields={"runtime": "Runtime", "memory_mb": "MemorySize"},
    removal="terminate deletes its event source mappings, then the function (versions and aliases with it)",
    cost="per request and GB-second run; nothing while idle (provisioned concurrency: per hour)",
)
