"""The EC2 query protocol's lists as botocore serialises them (botocore/serialize.py EC2Serializer), and an answer's
tag set, for the sandbox's own EC2 handlers: a list member is NAME.1, NAME.2, ... (numbered from 1, in the
request's order); filters are Filter.N.Name and Filter.N.Value.M; tags at creation are
TagSpecification.N.Tag.M.Key/Value."""

from __future__ import annotations

from xml.sax.saxutils import escape


def indexed(params: dict, prefix: str) -> list[str]:
    """The values of the list PREFIX.1, PREFIX.2, ... in their numbered order (PREFIX.10 after PREFIX.9)."""
    keys = [k for k in params if k.startswith(prefix + ".") and k[len(prefix) + 1:].isdigit()]
    return [params[k] for k in sorted(keys, key=lambda k: int(k[len(prefix) + 1:]))]


def filters(params: dict) -> dict[str, list[str]]:
    """{filter name: its values} of Filter.N."""
    out, n = {}, 1
    while f"Filter.{n}.Name" in params:
        out[params[f"Filter.{n}.Name"]] = indexed(params, f"Filter.{n}.Value")
        n += 1
    return out


def tags(params: dict) -> dict[str, str]:
    """The tags the request gives its new resource. botocore's ec2 model gives CreateCapacityReservation's
    TagSpecifications no locationName, so they arrive as TagSpecifications.N.Tag.M.Key (RunInstances' and
    CreatePlacementGroup's as TagSpecification.N...): both are read."""
    out = {}
    for head in ("TagSpecification", "TagSpecifications"):
        n = 1
        while f"{head}.{n}.ResourceType" in params:
            m = 1
            while f"{head}.{n}.Tag.{m}.Key" in params:
                out[params[f"{head}.{n}.Tag.{m}.Key"]] = params.get(f"{head}.{n}.Tag.{m}.Value", "")
                m += 1
            n += 1
    return out


def tag_set(tags: dict[str, str]) -> str:
    """An answer's <tagSet> items (botocore's ec2 model: TagList, items of Key and Value)."""
    return "".join(f"<item><key>{escape(k)}</key><value>{escape(v)}</value></item>" for k, v in tags.items())
