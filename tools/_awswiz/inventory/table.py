"""The resource table: one row per resource type, read by scan, costs --now, waste, terminate and reap.

Each type is one file of inventory/types/, named after the type (ec2:key-pair -> types/ec2_key_pair.py), holding
`ROW = Row(...)`: where the type is listed (service, call, JMESPath to the items), how an item is read (id, name,
state, tags, a few fields of its own, `shape` for what a path cannot say, `follow` for the calls an answer needs
next), what must go before it, what it costs and how it is removed. rows() finds them by walking the package (no
hand-kept list; a duplicate type or a file without a ROW is an error) and orders them by `order`. The remover of
each type lives one floor up, in removal/removers/ (it needs the guard and the teardown orders);
tests/test_types.py pairs them.

Adding a type is adding one file here, its remover and its test.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Row:
    type: str  # "<group>:<kind>"; the group is what --service filters on
    order: int  # where the type stands in the table (--service's list, reap's tie-break): unique, gaps of 10
    service: str  # boto3 service name
    call: str  # list/describe call (paginated when botocore can)
    items: str  # JMESPath from a response page to the items
    id: str  # JMESPath of the id within an item ("@" when the item is the id itself)
    name: str | None = None  # JMESPath of the name; default: the Name tag
    state: str | None = None  # JMESPath of the state
    tags: str | None = "Tags"  # key of the tag list [{Key, Value}] or map
    fields: dict[str, str] = field(default_factory=dict)  # output field -> JMESPath
    # fields costs --now and waste also read (costed()); scan leaves them out, so its JSON stays as small as it is
    cost_fields: dict[str, str] = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)  # fixed call arguments
    scope: str = "regional"  # or "global" (listed once, from the home region)
    shape: Callable[[dict, dict], None] | None = None  # (record, item): what a path cannot say, set on the record
    shape_reads: tuple[str, ...] = ()  # the item's keys `shape` reads (lean parsing keeps them)
    follow: Callable | None = None  # (collect.Job, records): calls an answer needs next, on the scan's pool
    # How it is removed (terminate.py --type <type>; removal/removers/), or why AwsWiz does not remove it
    removal: str | None = None
    first: tuple[str, ...] = ()  # types that must go before it (what the remover plans first)
    cost: str | None = None  # what it costs while it stays (in words: prices are list_prices'), or "free"

    @property
    def group(self) -> str:
        return self.type.split(":", 1)[0]


def file_name(type_name: str) -> str:
    """The module of inventory/types/ (and of its remover, when it has one of its own) for a type."""
    return re.sub(r"[^a-z0-9]+", "_", type_name.lower())


def build(modules: list[tuple[str, object]]) -> list[Row]:
    """The rows of (module name, module) pairs, in `order`; a module without a ROW, a type declared twice, an
    order taken twice or a file not named after its type is an error naming the files."""
    seen: dict[str, str] = {}
    orders: dict[int, str] = {}
    rows = []
    for name, module in modules:
        row = getattr(module, "ROW", None)
        if not isinstance(row, Row):
            raise RuntimeError(f"inventory/types/{name}.py holds no ROW = Row(...): every module there is a type")
        if row.type in seen:
            raise RuntimeError(f"two type files declare {row.type}: inventory/types/{seen[row.type]}.py and "
                               f"inventory/types/{name}.py")
        if row.order in orders:
            raise RuntimeError(f"inventory/types/{orders[row.order]}.py and inventory/types/{name}.py both take "
                               f"order {row.order}")
        if name != file_name(row.type):
            raise RuntimeError(f"inventory/types/{name}.py declares {row.type}: name it {file_name(row.type)}.py")
        seen[row.type], orders[row.order] = name, name
        rows.append(row)
    return sorted(rows, key=lambda r: r.order)


@functools.cache
def rows() -> tuple[Row, ...]:
    """Every row: each module of inventory/types/ is imported (found by walking the package)."""
    from _awswiz.inventory import types

    return tuple(build([(m.name, importlib.import_module(f"{types.__name__}.{m.name}"))
                        for m in pkgutil.iter_modules(types.__path__)]))


def __getattr__(name: str):
    """ROWS, BY_TYPE and GROUPS, built on first use (a tool that imports only tag_map walks nothing)."""
    built = {"ROWS": lambda: list(rows()), "BY_TYPE": lambda: {r.type: r for r in rows()},
             "GROUPS": lambda: sorted({r.group for r in rows()})}
    if name not in built:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = built[name]()  # once: later reads find it as a plain global
    return globals()[name]


def select(services: list[str]) -> list[Row]:
    """Rows for --service values: a group (ec2, vpc, s3, ...) or an exact type (ec2:volume)."""
    if not services:
        return list(rows())
    return [r for r in rows() if r.group in services or r.type in services]


def costed(row: Row) -> Row:
    """The row with its cost_fields too: what costs --now and waste read of an item beyond what scan prints."""
    return replace(row, fields={**row.fields, **row.cost_fields}) if row.cost_fields else row


# the tag launch.py puts on everything one launch makes (box, key, group, volumes): what terminate and reap
# recognise as the launch's own parts
LAUNCH_TAG = "awswiz:launch-id"


def tag_map(raw) -> dict[str, str]:
    if not raw:
        return {}
    if isinstance(raw, dict):
        return {str(k): str(v) for k, v in raw.items()}
    return {t.get("Key", t.get("key", "")): t.get("Value", t.get("value", "")) for t in raw}


def reads(row: Row) -> list[str]:
    """The paths to_record reads within an item (what a list call's answer must hold: lean.py)."""
    return [p for p in (row.id, row.name, row.state, row.tags) if p] + list(row.fields.values()) + \
        list(row.shape_reads)


_CHAIN = re.compile(r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*")


@functools.cache
def reader(path: str):
    """A function reading the JMESPath `path` from an item, with JMESPath's answers. The table's forms "@",
    "A.B" and "A[].B.C" are read directly (a fifth of a 10,000-resource scan's CPU went to building JMESPath's
    interpreter per item and field); anything else goes to jmespath. tests/test_lean.py compares the two."""
    def fields(names):
        def read(value):
            for n in names:
                value = value.get(n) if isinstance(value, dict) else None
            return value
        return read

    if path == "@":
        return lambda item: item
    base, projected, rest = path.partition("[].")
    if not (_CHAIN.fullmatch(base) and (not projected or _CHAIN.fullmatch(rest))):
        import jmespath

        return jmespath.compile(path).search
    head = fields(base.split("."))
    if not projected:
        return head
    tail = fields(rest.split("."))

    def project(item):
        value = head(item)
        if not isinstance(value, list):
            return None
        flat = [x for v in value for x in (v if isinstance(v, list) else [v])]  # "[]" flattens one level
        return [r for r in map(tail, flat) if r is not None]  # a projection drops what reads as null
    return project


def to_record(row: Row, item, region: str) -> dict:
    """One small uniform record: type, id, region, name, state, tags, then the row's own fields (and what its
    `shape` sets)."""
    tags = tag_map(item.get(row.tags) if row.tags and isinstance(item, dict) else None)
    ident = reader(row.id)(item)
    if row.name:
        name = reader(row.name)(item)
    elif row.id == "@":
        name = str(item).rsplit("/", 1)[-1]
    else:
        name = tags.get("Name")
    rec = {"type": row.type, "id": ident, "region": region, "name": name,
           "state": reader(row.state)(item) if row.state else None, "tags": tags}
    for out, path in row.fields.items():
        value = reader(path)(item)
        if value not in (None, [], ""):
            rec[out] = value
    if row.shape:
        row.shape(rec, item)
    return rec
