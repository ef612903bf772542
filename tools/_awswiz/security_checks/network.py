"""The tests of the security-group checks, on the port ranges a rule opens to the world as
snapshot.open_ports gives them ("all", "22", "8000-8100"): security.py reads them from each rule,
scan from each group's record, so both find the same groups."""

from __future__ import annotations

from ..snapshot import covers

DB_PORTS = (3306, 5432, 1433, 1521, 27017, 6379, 9200, 11211, 5439)
PORTS = {"sg-open-ssh": (22,), "sg-open-rdp": (3389,), "sg-open-db": DB_PORTS}
SG_CHECKS = ("sg-open-all", *PORTS)


def is_all(port: str) -> bool:
    return port in ("all", "0-65535")


def sg_open(ports: list[str]) -> dict[str, list[str]]:
    """{check id: the open port ranges that make it fire}. A rule open on every port fires sg-open-all
    only (it is the worse finding, and its fix covers the others)."""
    out: dict[str, list[str]] = {}
    for p in ports:
        if is_all(p):
            out.setdefault("sg-open-all", []).append(p)
            continue
        for check, wanted in PORTS.items():
            if any(covers([p], port) for port in wanted):
                out.setdefault(check, []).append(p)
    return out


def exposed(public_ip: str | None, state: str | None, groups: list[str], open_by_group: dict[str, list[str]]):
    """Evidence for ec2-public-open-sg: an instance (not terminated) with a public IP whose groups open an
    admin or database port, or every port, to the world; None otherwise."""
    if not public_ip or state in ("terminated", "shutting-down"):
        return None
    bad = {g: open_by_group[g] for g in groups if sg_open(open_by_group.get(g, []))}
    return {"public_ip": public_ip, "open_groups": bad} if bad else None
