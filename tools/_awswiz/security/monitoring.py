"""CloudTrail and GuardDuty, per region: is anything recording what happens here, and watching for threats."""

from __future__ import annotations

from _awswiz.security.table import finding

CHECKS = {"cloudtrail-off", "guardduty-off"}


def submit(fan, aws, regions: list[str], want: set[str]) -> None:
    for region in regions:
        if "cloudtrail-off" in want:
            def trails(region=region):
                ct = aws.client("cloudtrail", region)
                # shadow trails: a multi-region trail is listed in every region it covers
                listed = ct.describe_trails(includeShadowTrails=True)["trailList"]
                return [{"name": t["Name"], "arn": t.get("TrailARN"), "home": t.get("HomeRegion"),
                         "multi_region": t.get("IsMultiRegionTrail", False),
                         "logging": aws.client("cloudtrail", t.get("HomeRegion") or region).get_trail_status(
                             Name=t.get("TrailARN") or t["Name"]).get("IsLogging", False)} for t in listed]
            fan.submit(("ct", region), trails, region, "cloudtrail:DescribeTrails")
        if "guardduty-off" in want:
            def detectors(region=region):
                gd = aws.client("guardduty", region)
                return [{"id": d, "status": gd.get_detector(DetectorId=d).get("Status")}
                        for d in gd.list_detectors().get("DetectorIds", [])]
            fan.submit(("gd", region), detectors, region, "guardduty:ListDetectors")


def evaluate(results: dict, regions: list[str], want: set[str], scope) -> list[dict]:
    out = []
    for region in regions:
        trails = results.get(("ct", region))
        if trails is not None and not any(t["logging"] and (t["multi_region"] or t["home"] == region)
                                          for t in trails):
            out.append(finding("cloudtrail-off", region, region, {"trails": trails}, rtype="cloudtrail:region"))
        dets = results.get(("gd", region))
        if dets is not None and not any(d["status"] == "ENABLED" for d in dets):
            out.append(finding("guardduty-off", region, region, {"detectors": dets}, rtype="guardduty:region"))
    return [f for f in out if f["check"] in want]
