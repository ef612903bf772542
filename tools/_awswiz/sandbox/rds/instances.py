"""DeleteDBInstance as AWS answers it: without FinalDBSnapshotIdentifier it needs SkipFinalSnapshot=true (RDS API
Reference, DeleteDBInstance: "If you don't enable this parameter, you must specify the FinalDBSnapshotIdentifier
parameter"); moto (5.2) deletes without a snapshot. Taught to moto's backend in place (inside the sandbox server)."""

from __future__ import annotations


def _teach_moto() -> None:
    from moto.rds.exceptions import InvalidParameterCombination
    from moto.rds.models import RDSBackend

    delete_db = RDSBackend.delete_db_instance

    def delete_db_instance(self, db_instance_identifier, **kw):
        if not kw.get("final_db_snapshot_identifier") and str(kw.get("skip_final_snapshot")).lower() != "true":
            raise InvalidParameterCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot "
                                              "is specified.")
        return delete_db(self, db_instance_identifier, **kw)

    RDSBackend.delete_db_instance = delete_db_instance


_teach_moto()
