"""Parse only what is read: a list call's answer parsed against its output shape cut down to the members
the reader names.

botocore parses every member of every item of an XML answer (an EC2 instance has ~60, with its network
interfaces, block devices and more nested in each), although the scan reads a dozen. In a scan of 10,000
resources that parsing was half the client's CPU (bench/profile_scan.py). Here botocore's own parser runs,
unchanged, against a copy of the output shape in which the items keep only the members on the reader's
JMESPath paths; every other top-level member (the page token) is kept whole. The values it returns are the
same objects botocore would return for those members; the rest are absent.

Opt-in per call and per thread:

    with lean.only(client, "describe_instances", "Reservations[].Instances[]", ["InstanceId", "State.Name"]):
        items = paginate(client, "describe_instances", "Reservations[].Instances[]")

Any path it cannot follow (a filter, a function, a multi-select) keeps that member whole, never less.
tests/test_lean.py compares the scan's records parsed both ways, for every row of the resource table.
"""

from __future__ import annotations

import contextlib
import threading

from botocore.model import ShapeResolver
from botocore.parsers import ResponseParserFactory

_local = threading.local()
_cache: dict[tuple, object] = {}
_lock = threading.Lock()
WHOLE = True  # a subtree marker: keep this member and everything under it


def install(core_session, **parser_defaults) -> None:
    """Make the session's clients (those made from now on) consult the active lean shapes when they parse."""
    factory = _Factory()
    factory.set_parser_defaults(**parser_defaults)
    core_session.register_component("response_parser_factory", factory)


class _Factory(ResponseParserFactory):
    def create_parser(self, protocol_name):
        parser = super().create_parser(protocol_name)
        shapes = getattr(_local, "shapes", None)
        if not shapes:
            return parser
        if hasattr(parser, "_node_tag"):  # the XML protocols
            parser._node_tag = _local_name
        return _Parser(parser, shapes)


def _local_name(node) -> str:
    """An element's name without its namespace, as botocore's _node_tag gives it (a regular expression
    removing "{...}") but without one: ElementTree writes a tag as "{uri}name" or "name", and an XML name
    holds no brace. It ran once per element of every answer: a tenth of the parsing left."""
    return node.tag.rpartition("}")[2]


class _Parser:
    """botocore's parser, given the lean output shape in place of the full one."""

    def __init__(self, inner, shapes: dict):
        self._inner = inner
        self._shapes = shapes

    def parse(self, response, shape):
        if shape is not None and response.get("status_code", 200) < 300:
            shape = self._shapes.get(shape.name, shape)
        return self._inner.parse(response, shape)

    def __getattr__(self, name):  # _add_modeled_error_fields and the like reach the real parser
        return getattr(self._inner, name)


@contextlib.contextmanager
def only(client, call: str, items: str, reads: list[str]):
    """Within the block, this thread's answers to `call` keep, in each item at `items`, only what the
    paths `reads` (within an item) read."""
    model = client.meta.service_model
    op = model.operation_model(client.meta.method_to_api_mapping[call])  # describe_instances -> DescribeInstances
    full = op.output_shape
    key = (model.service_name, model.api_version, op.name, items, tuple(sorted(reads)))
    lean = _cache.get(key)
    if lean is None:
        with _lock:
            lean = _cache.get(key) or _cut(full, tree(items, reads))
            _cache[key] = lean
    before = getattr(_local, "shapes", None)
    _local.shapes = {full.name: lean}  # the one call made in the block
    try:
        yield
    finally:
        _local.shapes = before


# --- which members a JMESPath reads ---

def chain(expression: str) -> list[str] | None:
    """The member names a JMESPath expression descends through ("A[].B.C" -> [A, B, C]; "@" -> []),
    or None for an expression that is not a plain chain of fields, projections and flattens."""
    import jmespath

    def walk(node) -> list[str]:
        kind, kids = node["type"], node.get("children", [])
        if kind == "field":
            return [node["value"]]
        if kind in ("identity", "current"):
            return []
        if kind in ("subexpression", "projection", "index_expression"):
            return walk(kids[0]) + walk(kids[1])
        if kind in ("flatten", "index"):
            return walk(kids[0]) if kids else []
        raise ValueError(kind)

    try:
        return walk(jmespath.compile(expression).parsed)
    except (ValueError, KeyError, IndexError):
        return None


def tree(items: str, reads: list[str]) -> dict:
    """{member: subtree or WHOLE}: what reading `reads` (paths within each item) of the items at `items`
    descends through. A path that ends at a member keeps that member whole; a path that is not a plain
    chain of fields keeps everything ({})."""
    base = chain(items)
    if base is None:
        return {}
    out: dict = {}
    for path in reads:
        names = chain(path)
        if names is None:
            return {}
        node = out
        for i, name in enumerate(base + names):
            if node.get(name) is WHOLE:
                break
            if i == len(base) + len(names) - 1:
                node[name] = WHOLE
            else:
                node = node.setdefault(name, {})
    return out


# --- the cut-down shape ---

def _cut(full, keep: dict):
    """A copy of the output shape `full` in which structures under `keep` have only the kept members.
    Top-level members not named are kept whole (page tokens, markers)."""
    if not keep:
        return full
    defs: dict[str, dict] = {}
    resolver = full._shape_resolver  # noqa: SLF001 - botocore's resolver of this service's shapes
    counter = [0]

    def definition(shape) -> dict:
        return shape._shape_model  # noqa: SLF001 - the shape's own JSON definition

    def store(shape, new: dict) -> str:
        counter[0] += 1
        name = f"{shape.name}~lean{counter[0]}"
        defs[name] = new
        return name

    def visit(shape, sub) -> str:
        """The name of `shape` cut to `sub` (the shape's own name when nothing is cut)."""
        if sub is WHOLE or not sub:
            return shape.name
        d = definition(shape)
        if shape.type_name == "list":
            inner = visit(shape.member, sub)
            return shape.name if inner == shape.member.name else store(shape, {**d, "member": {**d["member"],
                                                                                              "shape": inner}})
        if shape.type_name != "structure":
            return shape.name
        members = {}
        for name, ref in d["members"].items():
            if name in sub:
                members[name] = {**ref, "shape": visit(shape.members[name], sub[name])}
        return store(shape, {**d, "members": members})

    top = definition(full)
    members = {}
    for name, ref in top["members"].items():
        members[name] = {**ref, "shape": visit(full.members[name], keep[name])} if name in keep else ref
    root = store(full, {**top, "members": members})
    cut = ShapeResolver(_Overlay(resolver, defs)).get_shape_by_name(root)
    cut.name = full.name  # the parser and its callers see the operation's own output shape name
    return cut


class _Overlay(dict):
    """The new definitions, falling back to the service's own for every shape not cut."""

    def __init__(self, resolver, defs: dict):
        super().__init__(defs)
        self._resolver = resolver

    def __missing__(self, name):
        return self._resolver._shape_map[name]  # noqa: SLF001 - the service's shape definitions
