"""What a security group opens to the whole internet, read from its ingress rules (IpPermissions).

The internet is 0.0.0.0/0 or ::/0, or any set of ranges that together cover one of them (0.0.0.0/1 plus
128.0.0.0/1 opens exactly what 0.0.0.0/0 does): the ranges are merged with the stdlib ipaddress module, across
every rule that reaches the same port, because AWS allows a packet when any rule allows it ("Security group
rules are always permissive ... if there is more than one rule for a specific port, Amazon EC2 applies the most
permissive rule", Amazon EC2 User Guide, Security group rules).

Each open stretch is a label: "all" (IpProtocol -1: every protocol and port), "22" or "8000-8100" (TCP, as scan
has always shown them), "udp 53", "icmp all" / "icmp 8" / "icmp 3/4" (ICMP type and code), "icmpv6 all",
"proto 47" (any other protocol number: AWS applies it to all ports). For ICMP, FromPort is the type and ToPort the
code, and -1 means every type (botocore ec2 IpPermission.FromPort: "If the protocol is ICMP or ICMPv6, this is
the ICMP type or -1 (all ICMP types)"), so an ICMP rule never covers a TCP port. A rule with odd or missing ports
never fails a run: it is labelled, never parsed as a number.
"""

from __future__ import annotations

import ipaddress
import re

WORLD = ("0.0.0.0/0", "::/0")
_ALL = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}
# IpProtocol as a name or as its number (IANA): AWS accepts both (botocore ec2 IpPermission.IpProtocol)
_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}
_RANGE = re.compile(r"^(?:(tcp|udp) )?(\d+)(?:-(\d+))?$")


def proto(perm: dict) -> str:
    value = str(perm.get("IpProtocol", "")).strip().lower()
    return _NAMES.get(value, value)


def _net(cidr):
    try:
        return ipaddress.ip_network(str(cidr).strip(), strict=False)
    except ValueError:
        return None


def cidrs(perm: dict) -> list[str]:
    return [r["CidrIp"] for r in perm.get("IpRanges") or [] if r.get("CidrIp")] + \
        [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or [] if r.get("CidrIpv6")]


def internet_families(ranges) -> set[int]:
    """The IP versions (4, 6) whose whole address space these CIDRs cover together."""
    nets = [n for n in map(_net, ranges) if n is not None]
    return {v for v in (4, 6)
            if list(ipaddress.collapse_addresses([n for n in nets if n.version == v])) == [_ALL[v]]}


def covers_internet(ranges) -> bool:
    """True when these CIDRs together cover all of IPv4 or all of IPv6."""
    return bool(internet_families(ranges))


def _ports(perm: dict) -> tuple[int, int]:
    """A TCP/UDP rule's port range; a missing or negative bound reads as the end of the range (AWS requires
    both for tcp/udp, so only a malformed answer lacks them: it is taken as open rather than hidden)."""
    def num(v, default):
        try:
            v = int(v)
        except (TypeError, ValueError):
            return default
        return v if 0 <= v <= 65535 else default
    lo, hi = num(perm.get("FromPort"), 0), num(perm.get("ToPort"), 65535)
    return (lo, hi) if lo <= hi else (hi, lo)


def _span(p: str, lo: int, hi: int) -> str:
    text = str(lo) if lo == hi else f"{lo}-{hi}"
    return text if p == "tcp" else f"{p} {text}"


def label(perm: dict) -> str:
    """The rule's own protocol and ports as a label (see the module doc)."""
    p = proto(perm)
    if p == "-1":
        return "all"
    if p in ("tcp", "udp"):
        return _span(p, *_ports(perm))
    if p in ("icmp", "icmpv6"):
        kind, code = perm.get("FromPort"), perm.get("ToPort")
        if kind in (None, -1, "-1"):
            return f"{p} all"
        return f"{p} {kind}" + (f"/{code}" if code not in (None, -1, "-1") else "")
    return f"proto {p}" if p else "proto ?"


def _contributes(perm: dict, lab: str) -> bool:
    """Does this rule let traffic of the open stretch `lab` in (from its own ranges)?"""
    p = proto(perm)
    if p == "-1":
        return True
    if lab == "all":
        return False
    m = _RANGE.match(lab)
    if m:
        want, lo, hi = m.group(1) or "tcp", int(m.group(2)), int(m.group(3) or m.group(2))
        if p != want:
            return False
        plo, phi = _ports(perm)
        return plo <= hi and lo <= phi
    own = label(perm)
    return own == lab or (own == f"{p} all" and lab.startswith(f"{p} "))


def open_ports(perms: list[dict]) -> list[str]:
    """The stretches a group's ingress rules open to the whole internet, as labels ("all", "22", ...)."""
    perms = [p for p in perms or [] if cidrs(p)]
    everything = [c for p in perms if proto(p) == "-1" for c in cidrs(p)]
    out = []
    all_open = covers_internet(everything)
    if all_open:
        out.append("all")
    extra = [] if all_open else everything  # partial -1 ranges still add up with other rules
    for p in dict.fromkeys(proto(x) for x in perms if proto(x) != "-1"):
        mine = [x for x in perms if proto(x) == p]
        if p in ("tcp", "udp"):
            out += _open_spans(p, mine, extra)
        else:
            for lab in dict.fromkeys(label(x) for x in mine):
                if covers_internet(extra + [c for x in mine if _contributes(x, lab) for c in cidrs(x)]):
                    out.append(lab)
    return out


def _open_spans(p: str, perms: list[dict], extra: list[str]) -> list[str]:
    """Port stretches of one protocol whose rules' ranges together cover the internet, merged when adjacent."""
    spans = [(*_ports(x), cidrs(x)) for x in perms]
    edges = sorted({lo for lo, _, _ in spans} | {hi + 1 for _, hi, _ in spans})
    found: list[list[int]] = []
    for a, b in zip(edges, edges[1:], strict=False):
        inside = extra + [c for lo, hi, cs in spans if lo <= a and b - 1 <= hi for c in cs]
        if covers_internet(inside):
            if found and found[-1][1] == a - 1:
                found[-1][1] = b - 1
            else:
                found.append([a, b - 1])
    return [_span(p, lo, hi) for lo, hi in found]


def covers(ports: list[str], port: int) -> bool:
    """Does one of these labels open this TCP port? ("all" does; ICMP, UDP and other protocols do not.)"""
    for lab in ports:
        if lab == "all":
            return True
        m = _RANGE.match(lab)
        if m and (m.group(1) or "tcp") == "tcp" and int(m.group(2)) <= port <= int(m.group(3) or m.group(2)):
            return True
    return False


def pieces(perms: list[dict], labels: list[str]) -> list[tuple[dict, list[str]]]:
    """What to revoke so that none of these open stretches stays open to the internet: [(rule, its ranges)].

    Of the ranges of the rules reaching a stretch, the widest (those no other range contains) go first, again
    until what is left no longer covers the internet: 0.0.0.0/0 goes and 10.0.0.0/8 beside it stays; 0.0.0.0/1
    and 128.0.0.0/1 both go; an office range of the other IP version is never touched."""
    chosen: dict[int, set[str]] = {}
    # when every port is open (-1), the other stretches are those their own rules open (as open_ports reads them)
    all_open = covers_internet(c for x in perms if proto(x) == "-1" for c in cidrs(x))
    for lab in labels:
        reach = [(i, c) for i, x in enumerate(perms) if _contributes(x, lab)
                 and not (all_open and lab != "all" and proto(x) == "-1") for c in cidrs(x)]
        for family in internet_families(c for _, c in reach):
            left = [(i, c, n) for i, c in reach if (n := _net(c)) is not None and n.version == family]
            while covers_internet(c for _, c, _ in left):
                widest = [x for x in left if not any(y[2] != x[2] and x[2].subnet_of(y[2]) for y in left)]
                for i, c, _ in widest:
                    chosen.setdefault(i, set()).add(c)
                left = [x for x in left if x not in widest]
    return [(perms[i], [c for c in cidrs(perms[i]) if c in chosen[i]]) for i in sorted(chosen)]
