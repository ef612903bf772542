"""rds:db-instance: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/rds_db_instance.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="rds:db-instance", order=200, service="rds", call="describe_db_instances",
    items="DBInstances[]", id="DBInstanceIdentifier",
    name="DBInstanceIdentifier", state="DBInstanceStatus", tags="TagList",
    # created: DBInstance.InstanceCreateTime (botocore rds model)
    fields={"db_class": "DBInstanceClass", "engine": "Engine", "storage_gib": "AllocatedStorage",
            "created": "InstanceCreateTime"},
    removal=(
        "terminate deletes it after a final snapshot awswiz-final-<id>-<date> (none for replicas and Aurora members); "
        "deletion protection blocks it"
    ),
    cost="per instance-hour by class and engine, plus per GiB-month of storage and backups",
)
