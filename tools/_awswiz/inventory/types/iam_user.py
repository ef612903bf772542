"""iam:user: how scan lists and reads it, what goes before it, what it costs. Its remover: removal/removers/iam.py."""

from __future__ import annotations

from _awswiz.inventory.collect import iam_tags
from _awswiz.inventory.table import Row

ROW = Row(
    type="iam:user", order=160, service="iam", call="list_users",
    items="Users[]", id="UserName",
    name="UserName", scope="global", follow=iam_tags("list_user_tags", "UserName"),
    # created: User.CreateDate (botocore iam model)
    fields={"arn": "Arn", "created": "CreateDate", "password_last_used": "PasswordLastUsed"},
    removal=(
        "terminate removes its password, access keys, certificates, SSH keys, service credentials, MFA devices, "
        "policies and group memberships, then the user; never the identity AwsWiz runs as"
    ),
    cost="free",
)
