"""sagemaker:notebook: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/sagemaker_notebook.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="sagemaker:notebook", order=240, service="sagemaker", call="list_notebook_instances",
    items="NotebookInstances[]", id="NotebookInstanceName",
    name="NotebookInstanceName", state="NotebookInstanceStatus", tags=None,
    # created: NotebookInstanceSummary.CreationTime (botocore sagemaker model)
    fields={"instance_type": "InstanceType", "created": "CreationTime"},
    removal="terminate stops it if InService, waits until Stopped, then deletes it with its storage volume",
    cost="per ML instance-hour while InService, plus per GiB-month of its storage volume, even stopped",
)
