"""rds:db-instance: delete, keeping a final snapshot by default.

AWS makes the choice explicit (RDS API Reference, DeleteDBInstance: without SkipFinalSnapshot you must name
FinalDBSnapshotIdentifier). AwsWiz keeps the data: the final snapshot is named awswiz-final-<id>-<yyyymmdd>
(the next free -2, -3, ... if that exists) and the plan says so, with what it costs. No snapshot where AWS allows
none: a read replica (its source keeps the data), a member of an Aurora cluster (the cluster keeps it), an
instance in a failed state. Deletion protection blocks it, as AWS refuses then; automated backups go with it
(AWS's default). A member of a DB cluster carries the cluster (with the cluster's own tags) in `touches`: deleting a
member shrinks its cluster, so a protected cluster refuses it.
"""

from __future__ import annotations

import datetime as _dt
import re

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.inventory.table import tag_map
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.removers.lookup import code, match
from _awswiz.shell import hints

DB_ID = re.compile(r"^[A-Za-z](?:-?[A-Za-z0-9]){0,62}$")
FAILED = {"failed", "incompatible-restore", "incompatible-network"}


def _dbs(rds) -> list[dict]:
    return paginate(rds, "describe_db_instances", "DBInstances")


def find(ctx, region: str, ids: list[str]) -> set[str]:
    return set(match(_dbs(ctx.aws.client("rds", region)), ids, "DBInstanceIdentifier", fold=True))


def final_snapshot_name(rds, db_id: str) -> str:
    """awswiz-final-<id>-<yyyymmdd>, or the first of -2, -3, ... that no snapshot has yet."""
    base = f"awswiz-final-{db_id.lower()}-{_dt.datetime.now(_dt.UTC):%Y%m%d}"
    for n in range(1, 100):
        name = base if n == 1 else f"{base}-{n}"
        try:
            rds.describe_db_snapshots(DBSnapshotIdentifier=name)
        except Exception as exc:
            if code(exc) == "DBSnapshotNotFound":
                return name
            raise
    return f"{base}-{_dt.datetime.now(_dt.UTC):%H%M}"


def no_snapshot_reason(db: dict) -> str | None:
    if db.get("ReadReplicaSourceDBInstanceIdentifier"):
        return (f"a read replica of {db['ReadReplicaSourceDBInstanceIdentifier']}: AWS takes no final snapshot of "
                "a replica; its source keeps the data")
    if db.get("DBClusterIdentifier"):
        return f"a member of cluster {db['DBClusterIdentifier']}: the cluster keeps the data (and stays)"
    if db.get("DBInstanceStatus") in FAILED:
        return f"status {db['DBInstanceStatus']}: AWS deletes it only without a final snapshot"
    return None


def _clusters(rds, dbs: list[dict]) -> dict[str, dict]:
    """{DB cluster id: {label: its tags}} of the clusters these instances belong to (one DescribeDBClusters each)."""
    out = {}
    for cid in sorted({d["DBClusterIdentifier"] for d in dbs if d.get("DBClusterIdentifier")}):
        found = rds.describe_db_clusters(DBClusterIdentifier=cid)["DBClusters"]
        out[cid] = {f"DB cluster {cid} (it holds this)": tag_map(found[0].get("TagList")) if found else {}}
    return out


def plan(ctx, region: str, ids: list[str], opts: dict) -> guard.Plan:
    rds = ctx.aws.client("rds", region)
    dbs = list({d["DBInstanceIdentifier"]: d for d in match(_dbs(rds), ids, "DBInstanceIdentifier",
                                                             fold=True).values()}.values())
    clusters = _clusters(rds, dbs)
    out = guard.Plan(actions=[])
    for db in dbs:
        db_id, status = db["DBInstanceIdentifier"], db.get("DBInstanceStatus")
        if status == "deleting":
            out.skipped.append({"id": db_id, "region": region, "type": "rds:db-instance", "name": db_id,
                                "reason": "already being deleted"})
            continue
        why_none = no_snapshot_reason(db)
        snapshot = None if why_none else final_snapshot_name(rds, db_id)
        detail = {"engine": db.get("Engine"), "class": db.get("DBInstanceClass"),
                  "storage_gib": db.get("AllocatedStorage"),
                  "final_snapshot": snapshot or f"none ({why_none})",
                  "automated_backups": "deleted with it (AWS's default); manual snapshots stay"}
        if snapshot:
            detail["note"] = (f"the final snapshot {snapshot} keeps the data and is billed per GiB-month until you "
                              "delete it: " + hints.aws_cli(ctx, "rds", "delete-db-snapshot",
                                                            "--db-snapshot-identifier", snapshot, region=region))
        blocked = ("deletion protection is on, so AWS refuses DeleteDBInstance; lift it deliberately with: "
                   + hints.aws_cli(ctx, "rds", "modify-db-instance", "--db-instance-identifier", db_id,
                                   "--no-deletion-protection", "--apply-immediately", region=region)
                   ) if db.get("DeletionProtection") else None
        out.actions.append(guard.Action(
            op="delete", type="rds:db-instance", id=db_id, region=region, name=db_id,
            tags=tag_map(db.get("TagList")), touches=clusters.get(db.get("DBClusterIdentifier") or "", {}),
            state={"status": status, "final_snapshot": snapshot,
                                                    "deletion_protection": bool(db.get("DeletionProtection"))},
            detail=detail, blocked=blocked))
    return out


def do(ctx, action: guard.Action) -> dict:
    rds = ctx.aws.client("rds", action.region)
    snapshot = action.state.get("final_snapshot")
    args = {"FinalDBSnapshotIdentifier": snapshot} if snapshot else {"SkipFinalSnapshot": True}
    out = rds.delete_db_instance(DBInstanceIdentifier=action.id, **args)["DBInstance"]
    return {"status": out.get("DBInstanceStatus"), **({"final_snapshot": snapshot} if snapshot else {})}


register(Remover(type="rds:db-instance", id_pattern=DB_ID, id_example="my-db-1 (the DB identifier scan shows)",
                 find=find, plan=plan, do=do))
