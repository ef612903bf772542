"""Drift: what changed since an export. The export's manifest names its selection and every resource with the
values written; here the same selection is read again (read.Reader, not strict: what is gone is reported, not
refused), and each exported resource is compared attribute by attribute. Needs no Terraform.

- differences: {id, type, name, attribute (a dotted path: tags.Name, routes.0.gateway_id), exported, live}
- gone: exported resources that no longer exist
- new: resources under the selection that the export does not hold (a rule added to an exported group, a subnet
  added to an exported VPC)
"""

from __future__ import annotations

from _awswiz.iac import read

_MISSING = object()


def _diff(path: str, old, new, out: list[tuple[str, object, object]]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(set(old) | set(new)):
            _diff(f"{path}.{k}" if path else k, old.get(k, _MISSING), new.get(k, _MISSING), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for n, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(f"{path}.{n}", a, b, out)
    elif old != new:
        out.append((path, None if old is _MISSING else old, None if new is _MISSING else new))


def _reload(reader: read.Reader, res: dict) -> None:
    """Read one exported resource by its own name, where the selection no longer reaches it (the instance that
    brought a key pair is gone, the key pair may not be)."""
    t, rid = res["type"], res["id"]
    if any(rid.startswith(p) for p in read.PREFIXES) or t in ("s3:bucket", "ec2:key-pair"):
        reader.by_id(rid)
    elif t == "iam:role":
        reader.by_id(rid.removeprefix("role/"))
    elif t == "iam:instance-profile":
        try:
            reader.instance_profile(rid.removeprefix("profile/"))
        except reader.iam.exceptions.NoSuchEntityException:
            pass


def compare(aws, manifest: dict) -> dict:
    sel, region = manifest["selection"], manifest["region"]
    reader = read.Reader(aws, region, strict=False)
    reader.select(sel.get("vpc", []), sel.get("tag", {}), sel.get("id", []))
    exported = {r["id"]: r for r in manifest["resources"]}
    for rid, res in exported.items():
        if rid not in reader.out:
            _reload(reader, res)
    live = reader.out
    differences, gone = [], []
    for rid, res in exported.items():
        now = live.get(rid)
        if now is None:
            gone.append({"id": rid, "type": res["type"], "name": res["name"]})
            continue
        found: list = []
        _diff("", res["attrs"], now["attrs"], found)
        differences += [{"id": rid, "type": res["type"], "name": res["name"], "attribute": a, "exported": old,
                         "live": new} for a, old, new in found]
    new = [{"id": rid, "type": r["type"], "name": r["name"]} for rid, r in live.items() if rid not in exported]
    return {"format": manifest.get("format"), "region": region, "selection": sel, "compared": len(exported),
            "differences": differences, "gone": gone, "new": new,
            "drifted": bool(differences or gone or new)}
