"""Security group rules of any IP protocol, as AWS takes them; taught to moto (5.2) in place (this runs inside the
sandbox server process).

AWS accepts a rule for any protocol number without ports: "[VPC only] Use -1 to specify all protocols. When
authorizing security group rules, specifying -1 or a protocol number other than tcp, udp, icmp, or icmpv6 allows
traffic on all ports, regardless of any port range you specify" (botocore ec2 IpPermission.IpProtocol). moto reads
ports for every protocol but -1 and fails the call with a server error (int(None)) for, e.g., ESP (50) or GRE (47)
without ports. Here such a rule is kept without ports, as a -1 rule is.
"""

from __future__ import annotations

PORTED = {"tcp", "udp", "icmp", "icmpv6", "6", "17", "1", "58", "-1", "all"}


def _teach_moto() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    init = SecurityGroupRule.__init__

    def __init__(self, ec2_backend, ip_protocol, group_id, from_port, to_port, *args, **kwargs):
        portless = str(ip_protocol or "").lower() not in PORTED and from_port is None and to_port is None
        init(self, ec2_backend, ip_protocol, group_id, "0" if portless else from_port, "0" if portless else to_port,
             *args, **kwargs)
        if portless:
            self.from_port = self.to_port = None

    SecurityGroupRule.__init__ = __init__


_teach_moto()
