"""The tests of the security-group checks, on the stretches a group opens to the internet as
open_rules.open_ports gives them ("all", "22", "8000-8100", "udp 53", "icmp all"): security.py reads them from
each group's rules, scan from each group's record, so both find the same groups."""

from __future__ import annotations

from _awswiz.inventory.open_rules import covers

DB_PORTS = (3306, 5432, 1433, 1521, 27017, 6379, 9200, 11211, 5439)
PORTS = {"sg-open-ssh": (22,), "sg-open-rdp": (3389,), "sg-open-db": DB_PORTS}
SG_CHECKS = ("sg-open-all", *PORTS)
# Prowler names one check per port (or family of ports); a finding carries the one of its first open port
_SG = "ec2_securitygroup_allow_ingress_from_internet_to_"
PROWLER_PORT = {22: _SG + "tcp_port_22", 3389: _SG + "tcp_port_3389", 3306: _SG + "tcp_port_mysql_3306",
                5432: _SG + "tcp_port_postgres_5432", 1433: _SG + "tcp_port_sql_server_1433_1434",
                1521: _SG + "tcp_port_oracle_1521_2483", 27017: _SG + "tcp_port_mongodb_27017_27018",
                6379: _SG + "tcp_port_redis_6379", 9200: _SG + "tcp_port_elasticsearch_kibana_9200_9300_5601",
                11211: _SG + "tcp_port_memcached_11211"}


# and one per port for an instance behind such a group: ec2_instance_port_<name>_exposed_to_internet
INSTANCE_PORT = {22: "ssh", 3389: "rdp", 3306: "mysql", 5432: "postgresql", 1433: "sqlserver", 1521: "oracle",
                 27017: "mongodb", 6379: "redis", 9200: "elasticsearch_kibana", 11211: "memcached"}


def prowler_id(check: str, ports: list[str]) -> str | None:
    """The Prowler check id of a finding on these open ports: per port for the database check and for an
    exposed instance, else the row's own."""
    from _awswiz.security.table import BY_ID

    if check == "ec2-public-open-sg":
        for port, name in INSTANCE_PORT.items():
            if any(covers([p], port) and not is_all(p) for p in ports):
                return f"ec2_instance_port_{name}_exposed_to_internet"
        return BY_ID[check].prowler
    if check == "sg-open-db":
        for p in ports:
            for port in DB_PORTS:
                if covers([p], port) and port in PROWLER_PORT:
                    return PROWLER_PORT[port]
    return BY_ID[check].prowler


def is_all(port: str) -> bool:
    """Every port open: protocol -1, or a whole TCP or UDP range (as Prowler's all-ports check counts 65536
    ports of any protocol)."""
    return port in ("all", "0-65535", "udp 0-65535")


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
