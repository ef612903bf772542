"""ec2:key-pair: how scan lists and reads it, what goes before it, what it costs.
Its remover: removal/removers/ec2_key_pair.py."""

from __future__ import annotations

from _awswiz.inventory.table import Row

ROW = Row(
    type="ec2:key-pair", order=60, service="ec2", call="describe_key_pairs",
    items="KeyPairs[]", id="KeyPairId",
    name="KeyName",
    # created: KeyPairInfo.CreateTime (botocore ec2 model)
    fields={"key_type": "KeyType", "created": "CreateTime"},
    removal="terminate.py (id or name); the local .state/keys/NAME.pem is kept",
    cost="free",
)
