"""scan.py behind bench/proxy.py: a region that refuses credentials, and sustained throttling."""

from __future__ import annotations

REGIONS = "us-east-1,us-west-2,eu-west-1"


def resource_ids(doc: dict, exclude_region: str | None = None) -> set[tuple[str, str]]:
    return {(r["type"], r["id"]) for r in doc["data"]["resources"] if r["region"] != exclude_region}


def test_region_refusing_credentials_gives_exit_3_and_the_rest(run_tool, faulty):
    baseline = run_tool("scan", "--region", REGIONS)
    assert baseline.code == 0, baseline.stderr
    url, stats = faulty(deny={"eu-west-1"})
    r = run_tool("scan", "--region", REGIONS, endpoint=url)
    assert r.code == 3, r.stderr
    doc = r.json
    assert doc["ok"] is False
    assert {e["region"] for e in doc["errors"]} == {"eu-west-1"}
    assert {e["code"] for e in doc["errors"]} == {"AuthFailure"}
    assert doc["errors"][0]["hint"] and doc["errors"][0]["calls"] > 1  # one entry for the region, not 20
    # only what is listed globally remains known in eu-west-1: its bucket (the tags call there was refused)
    assert {x["type"] for x in doc["data"]["resources"] if x["region"] == "eu-west-1"} == {"s3:bucket"}
    # everything else is there
    assert resource_ids(baseline.json, "eu-west-1") == resource_ids(doc, "eu-west-1")
    assert stats.denied > 0
    assert "Traceback" not in r.stderr


def test_throttled_scan_still_returns_every_resource(run_tool, faulty):
    baseline = run_tool("scan", "--region", REGIONS)
    assert baseline.code == 0, baseline.stderr
    url, stats = faulty(throttle=0.2)
    r = run_tool("scan", "--region", REGIONS, endpoint=url)
    assert r.code == 0, r.stdout[-2000:]
    assert resource_ids(r.json) == resource_ids(baseline.json)
    assert stats.throttled > 10  # the proxy really throttled a share of the calls
