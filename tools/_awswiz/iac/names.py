"""Readable names for exported resources: from the Name tag (or the resource's own name), made into a valid
identifier (Terraform's [A-Za-z_][A-Za-z0-9_-]*, CloudFormation's alphanumeric logical ids), unique per type.
A name read from AWS never becomes a path: the export's files have fixed names (files.py)."""

from __future__ import annotations

import re


def identifier(name: str) -> str:
    """'../private b' -> 'private_b'; '1st' -> 'r_1st'; '' -> 'unnamed'."""
    s = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").lower()
    if not s:
        return "unnamed"
    return s if s[0].isalpha() else f"r_{s}"


def assign(resources: list[dict], kind_of) -> dict[str, str]:
    """id -> identifier, unique within each kind_of(resource) (a Terraform type): lab, lab_2, lab_3."""
    taken: dict[str, set[str]] = {}
    out = {}
    for r in resources:
        used = taken.setdefault(kind_of(r), set())
        base = identifier(r["name"])
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[r["id"]] = name
    return out


def logical_id(name: str, kind: str) -> str:
    """A CloudFormation logical id: alphanumeric, from the kind and the name (PublicA + Subnet)."""
    words = re.split(r"[^A-Za-z0-9]+", f"{name} {kind}")
    return "".join(w[:1].upper() + w[1:] for w in words if w) or "Resource"
