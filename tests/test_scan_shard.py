"""A sharded scan (regions over forked worker processes, AWSWIZ_SHARDS) answers exactly as one process:
the same resources, error entries, exit code, and the same Timeout errors at the deadline."""

from __future__ import annotations

import re

REGIONS = "us-east-1,us-west-2,eu-west-1,ap-southeast-1"
GLOBAL = ("iam", "s3")  # the types scan lists once, not per region (scope="global" in inventory/types/)


def ids(doc: dict) -> set[tuple[str, str, str]]:
    return {(r["type"], r["region"], str(r["id"])) for r in doc["data"]["resources"]}


def errors(doc: dict) -> set[tuple]:
    return {(e.get("region"), e["code"], e.get("calls", 1)) for e in doc["errors"]}


def scan(run_tool, shards: int, *args, **kw):
    return run_tool("scan", "--region", REGIONS, *args, env={"AWSWIZ_SHARDS": str(shards)}, **kw)


def test_sharded_scan_equals_unsharded(run_tool):
    one, four = scan(run_tool, 1), scan(run_tool, 4)
    assert one.code == four.code == 0, four.stderr
    assert ids(one.json) and ids(four.json) == ids(one.json)
    assert four.json["data"]["counts"] == one.json["data"]["counts"]
    assert stable(four.json["data"]["findings"]) == stable(one.json["data"]["findings"])
    assert four.json["data"]["resources"] == one.json["data"]["resources"]


def test_sharded_scan_same_errors_and_exit_code_with_a_refusing_region(run_tool, faulty):
    url, _ = faulty(deny={"eu-west-1"})
    one, three = scan(run_tool, 1, endpoint=url), scan(run_tool, 3, endpoint=url)
    assert one.code == three.code == 3, three.stderr
    assert errors(three.json) == errors(one.json)
    assert {e["region"] for e in three.json["errors"]} == {"eu-west-1"}
    assert ids(three.json) == ids(one.json)


def test_sharded_scan_keeps_the_deadline(run_tool, faulty):
    # a region that accepts connections and never answers: Timeout errors for it, the rest intact. On a
    # loaded machine another region's slow answer may also meet the 4 s deadline in one of the two runs:
    # the regions compared are those both runs finished (the hanging one never does).
    url, _ = faulty(hang={"eu-west-1"})
    one = scan(run_tool, 1, "--timeout", "4", endpoint=url)
    three = scan(run_tool, 3, "--timeout", "4", endpoint=url)
    assert one.code == three.code == 3, three.stderr
    for doc in (one, three):
        hung = {e["code"] for e in doc.json["errors"] if e.get("region") == "eu-west-1"}
        assert hung == {"Timeout"}, doc.json["errors"]
    late = {e.get("region") for doc in (one, three) for e in doc.json["errors"]}

    def finished(doc: dict) -> set:
        # an error without a region is the global part's (IAM and S3, listed once): its types are left out
        return {i for i in ids(doc) if i[1] not in late and not (None in late and i[0].split(":")[0] in GLOBAL)}

    assert finished(three.json) == finished(one.json)
    assert {i[1] for i in finished(one.json)}  # some region was compared


def test_sharded_scan_with_progress_bar(run_tool):
    # --pretty draws the bar from every process's tasks; the tables still come out
    r = scan(run_tool, 3, "--pretty")
    assert r.code == 0, r.stderr
    assert "Traceback" not in r.stderr


def stable(findings: list[dict]) -> list[dict]:
    """Findings without their uptime ("running for 5 min"): two scans may straddle a minute."""
    return [{**f, "message": re.sub(r"running for .*", "running for ...", f["message"])} for f in findings]
