"""What is left behind and still billed, judged on the inventory alone (no CloudWatch evidence): the one rule set of
scan's findings and waste.py, one name per case, each priced as costs --now prices the same resources
(burn.charges: list_prices on the Pricing API's answers, cached with their date, else the dated table).

- stopped-instance: a stopped instance still pays for the EBS volumes attached to it ("We don't charge hourly usage
  for a stopped instance ... you are charged for Amazon EBS volume usage": EC2 API Reference, StopInstances). Its
  price is those volumes' price.
- unattached-volume: a volume attached to nothing (state available), billed per GiB-month provisioned, attached or
  not (Amazon EBS pricing).
- unassociated-eip: an Elastic IP associated with nothing.
- stopped-instance-eip: an Elastic IP associated with a stopped instance: it serves nothing and is billed (Amazon
  VPC pricing, "Public IPv4 Address": every public IPv4 address, in use or idle, since 2024-02-01).

A price is a resource's own charges. An Elastic IP is a resource of its own, priced as itself (its own line in
costs --now, its own item here), never inside the price of what holds it: an address stays allocated, and billed,
until ReleaseAddress returns it to the pool (EC2 API Reference, ReleaseAddress; EC2 User Guide, "Release an Elastic
IP address"). Deleting the NAT gateway that holds one does not release it ("Deleting a NAT gateway disassociates its
Elastic IP address, but does not release the address from your account": DeleteNatGateway), nor does terminating
the instance it is associated with, so removing the holder does not end the address's bill. The holder's item says
which address it holds and what becomes of it (find(), held()).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from _awswiz.compute import list_prices as lp
from _awswiz.money.burn import charges

KINDS = {
    "stopped-instance": "stopped instance still paying for its volumes (its Elastic IPs are items of their own)",
    "unattached-volume": "EBS volume attached to nothing",
    "unassociated-eip": "Elastic IP associated with nothing (every public IPv4 is billed since 2024-02-01)",
    "stopped-instance-eip": "Elastic IP associated with a stopped instance: billed, serving nothing",
}
# the list_prices queries the rules and a NAT gateway's price need (ebs: every volume type in one query)
PRICE_KINDS = {"ebs", "ipv4", "nat"}
PRICED_TYPES = {"ec2:instance", "ec2:volume", "ec2:elastic-ip", "vpc:nat-gateway"}


@dataclass
class Leftover:
    kind: str
    rec: dict
    why: str
    charges: list = field(default_factory=list)  # [(list_prices key, GiB or count, what)]
    complete: bool = True  # False: what it pays for is not all in the records (a scan --service): not priced


def find(records: list[dict]) -> list[Leftover]:
    """The leftovers among the records, in the records' order."""
    volumes = {r["id"]: r for r in records if r["type"] == "ec2:volume"}
    stopped = {r["id"]: r for r in records if r["type"] == "ec2:instance" and r.get("state") == "stopped"}
    eips = [r for r in records if r["type"] == "ec2:elastic-ip"]
    out: list[Leftover] = []
    for r in records:
        t = r["type"]
        if t == "ec2:instance" and r["id"] in stopped and r.get("volumes"):
            vols = [volumes[v] for v in r["volumes"] if v in volumes]
            sizes = ", ".join(f"{v.get('size_gib')} GiB {v.get('volume_type') or ''}".strip() for v in vols)
            why = (f"{r.get('name') or r['id']} ({r.get('instance_type')}) is stopped and still pays for "
                   f"{len(r['volumes'])} volume(s)" + (f" ({sizes})" if sizes else ""))
            held = [e for e in eips if e.get("instance") == r["id"]]
            if held:
                why += (f"; it holds Elastic IP(s) {', '.join(e.get('public_ip') or e['id'] for e in held)}, items of "
                        "their own (stopped-instance-eip): terminating the instance does not release them")
            out.append(Leftover("stopped-instance", r, why, [c for v in vols for c in charges(v, set())],
                                complete=len(vols) == len(r["volumes"])))
        elif t == "ec2:volume" and r.get("state") == "available":
            out.append(Leftover("unattached-volume", r, f"{r.get('size_gib')} GiB {r.get('volume_type') or ''} "
                                f"volume {r.get('name') or r['id']} is attached to nothing", charges(r, set())))
        elif t == "ec2:elastic-ip" and not r.get("association"):
            out.append(Leftover("unassociated-eip", r, f"Elastic IP {r.get('public_ip')} is associated with nothing; "
                                "AWS bills every public IPv4 address, idle or in use, since 2024-02-01",
                                charges(r, set())))
        elif t == "ec2:elastic-ip" and r.get("instance") in stopped:
            inst = stopped[r["instance"]]
            out.append(Leftover("stopped-instance-eip", r, f"Elastic IP {r.get('public_ip')} is associated with "
                                f"stopped instance {inst.get('name') or inst['id']}: billed while it serves nothing; "
                                "terminating the instance would not release it", charges(r, set())))
    return out


PRICE_CALL = lp.PRICE_CALL


def ask_prices(ctx, fan) -> tuple[dict, list[str]]:
    """(the cached Pricing API answers of PRICE_KINDS, the kinds asked on fan because the cache has them stale)."""
    return lp.submit(ctx, PRICE_KINDS, fan)


def keep_prices(doc: dict, stale: list[str]) -> None:
    """Save the answers of ask_prices that came back (each recorded into doc with today's date)."""
    from _awswiz.shell import cache

    if fetched := [k for k in stale if cache.fresh(doc.get(k))]:
        lp.save_cache(doc, fetched)


def price(doc: dict, item: Leftover) -> tuple[float | None, str, str | None]:
    """(USD per month, basis, date) of a leftover: its charges (list_prices.price), or None when incomplete."""
    if not item.complete:
        return None, "unpriced: not all of its volumes were listed", None
    return lp.price(doc, item.charges, item.rec["region"])


def held(rec: dict, records: list[dict], doc: dict) -> str:
    """What a NAT gateway's item says of the address it holds: the Elastic IP, its own price, and that deleting
    the NAT gateway leaves it allocated and billed (DeleteNatGateway); '' if it holds none."""
    ip = rec.get("public_ip")
    if rec["type"] != "vpc:nat-gateway" or not ip:
        return ""
    eip = next((e for e in records if e["type"] == "ec2:elastic-ip" and e.get("public_ip") == ip), None)
    if eip is None:
        return f"; it holds Elastic IP {ip}, priced as its own resource: deleting the NAT gateway does not release it"
    usd, _, _ = lp.price(doc, charges(eip, set()), eip["region"])
    cost = f", ${usd:,.2f} a month" if usd is not None else ""
    return (f"; it holds Elastic IP {ip} ({eip['id']}{cost}, priced as its own resource): deleting the NAT gateway "
            "does not release it")
