"""iam:role: how scan lists and reads it, what goes before it, what it costs. Its remover: removal/removers/iam.py."""

from __future__ import annotations

from _awswiz.inventory.collect import iam_tags
from _awswiz.inventory.table import Row

ROW = Row(
    type="iam:role", order=170, service="iam", call="list_roles",
    items="Roles[]", id="RoleName",
    name="RoleName", scope="global", follow=iam_tags("list_role_tags", "RoleName"),
    # created: Role.CreateDate (botocore iam model)
    fields={"arn": "Arn", "path": "Path", "created": "CreateDate"},
    removal=(
        "terminate deletes its policies and takes it out of its instance profiles, then the role; service-linked and "
        "AWS-reserved roles are refused"
    ),
    cost="free",
)
