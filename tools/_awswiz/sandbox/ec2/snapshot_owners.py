"""DescribeSnapshots scoped by its owners, as AWS answers it; moto 5 ignores OwnerIds and lists every snapshot,
so the snapshots moto makes behind each public AMI (the lab's Deep Learning AMIs are Amazon's) showed up as the
account's own, dozens per region.

"OwnerIds: Scopes the results to snapshots with the specified owners. You can specify a combination of Amazon Web
Services account IDs, self, and amazon." (EC2 API Reference, DescribeSnapshots; botocore ec2 model
DescribeSnapshotsRequest.OwnerIds, query name Owner.N). Without OwnerIds every snapshot the caller may read is
listed, as moto does. The snapshots behind the images of other accounts that the caller may launch (Amazon's public
DLAMIs live in Amazon's account: ec2/amis.py) are listed by their owner (OwnerIds amazon, or the owner's id).
"""

from __future__ import annotations

from .amis import shared


def _owned(snapshot, owners: set[str], account: str) -> bool:
    if snapshot.owner_id in owners or ("self" in owners and snapshot.owner_id == account):
        return True
    if "amazon" in owners and snapshot.from_ami:  # a snapshot behind an AMI Amazon owns (its owner alias)
        ami = snapshot.ec2_backend.amis.get(snapshot.from_ami)
        return getattr(ami, "owner_alias", None) == "amazon"
    return False


def _teach_moto() -> None:
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    original = ElasticBlockStore.describe_snapshots
    if getattr(original, "awswiz", False):
        return

    def describe_snapshots(self):
        owners = set(self._get_param("OwnerIds", []) or [])
        if not owners:
            return original(self)
        from moto.core.responses import ActionResult

        ids, filters = self._get_param("SnapshotIds", []) or [], self._filters_from_querystring()
        theirs = {a.ebs_snapshot.id: a for a in shared(self.ec2_backend).values() if getattr(a, "ebs_snapshot", None)}
        theirs = {i: a for i, a in theirs.items() if not ids or i in ids}
        mine = [i for i in ids if i not in theirs]
        snapshots = [] if ids and not mine else self.ec2_backend.describe_snapshots(snapshot_ids=mine, filters=filters)
        for sid, ami in theirs.items():  # read in their owner's backend, where they are
            snapshots += ami.ec2_backend.describe_snapshots(snapshot_ids=[sid], filters=filters)
        account = self.ec2_backend.account_id
        return ActionResult({"Snapshots": [s for s in snapshots if _owned(s, owners, account)]})

    describe_snapshots.awswiz = True
    ElasticBlockStore.describe_snapshots = describe_snapshots


_teach_moto()
