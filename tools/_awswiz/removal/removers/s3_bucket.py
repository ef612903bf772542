"""s3:bucket: empty every version and delete marker, then delete the bucket (s3_empty.py)."""

from __future__ import annotations

from _awswiz.guard.targets import BUCKET_NAME
from _awswiz.removal.removers import Remover, register
from _awswiz.removal.s3_empty import bucket_action, empty_and_delete


def plan(ctx, region: str | None, ids: list[str], opts: dict):
    from _awswiz import guard

    return guard.Plan(actions=[bucket_action(ctx, b, region) for b in ids],
                      scope={"type": "s3:bucket", "ids": ids, "region": region})


register(Remover(
    type="s3:bucket", id_pattern=BUCKET_NAME, id_example="my-bucket-name (3-63 of a-z 0-9 . -)", scope="global",
    plan=plan, do=lambda ctx, a: empty_and_delete(ctx.aws.client("s3", a.region), a.id)))
