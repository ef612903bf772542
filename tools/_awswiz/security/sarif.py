"""SARIF 2.1.0 for security.py --format sarif, so CI systems (GitHub code scanning and others) show the
findings: one rule per check of the table, one result per finding, the resource as a logical location
(cloud resources have no file to point at)."""

from __future__ import annotations

from _awswiz.security.table import CHECKS

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SCORE = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.0"}  # GitHub's security-severity


def rule(c) -> dict:
    props = {"security-severity": SCORE[c.severity], "severity": c.severity, "tags": ["security", c.service]}
    if c.prowler:
        props["prowler"] = c.prowler
    if c.differs:
        props["prowler_differs"] = c.differs
    return {"id": c.id, "name": c.id, "shortDescription": {"text": c.title},
            "fullDescription": {"text": f"{c.title}: {c.test}."},
            "help": {"text": f"Fix: {c.fix or c.remedy}. Source: {c.doc}."},
            "defaultConfiguration": {"level": LEVEL[c.severity]}, "properties": props}


def document(findings: list[dict], account: str | None, checks_run: list[str]) -> dict:
    ids = [c.id for c in CHECKS if c.id in checks_run]
    index = {cid: i for i, cid in enumerate(ids)}
    results = []
    for f in findings:
        where = f"aws/{account or 'unknown'}/{f['region']}/{f['type']}/{f['resource']}"
        text = f"{f['title']}: {f['resource']}" + (f" ({f['name']})" if f.get("name") else "") + f" in {f['region']}"
        if f.get("fix"):
            text += f". Fix: {f['fix']}"
        results.append({"ruleId": f["check"], "ruleIndex": index[f["check"]], "level": LEVEL[f["severity"]],
                        "message": {"text": text},
                        "locations": [{"logicalLocations": [{"name": f["resource"], "fullyQualifiedName": where,
                                                             "kind": "resource"}]}],
                        "partialFingerprints": {"awswizResource/v1": f"{f['check']}:{where}"},
                        "properties": {"evidence": f["evidence"], "prowler": f.get("prowler")}})
    return {"$schema": SCHEMA, "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "awswiz-security", "informationUri":
                                          "https://github.com/prowler-cloud/prowler",
                                          "rules": [rule(c) for c in CHECKS if c.id in checks_run]}},
                      "results": results}]}
