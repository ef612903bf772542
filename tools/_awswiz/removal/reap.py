"""reap.py's plan: expired managed resources (expiry.py), removed through the removers registry exactly as
terminate.py removes them, and instances whose awswiz:schedule (schedules.py) says stopped or running now.

Discovery is one paginated GetResources call per region (Resource Groups Tagging API, TagFilters
awswiz:managed=true), plus, for schedules, one DescribeInstances per region (filter tag-key awswiz:schedule).
A region that does not answer becomes an error (exit 3); the others are planned.

A reap killed half-way is finished by the next one: what it was removing is planned again from the live state.
An AMI's snapshots are the one thing a plan could not find again by its tags (a deregistered AMI no longer names
them, and they need not be tagged managed): removers/ebs.py marks them awswiz:teardown-of=AMI_ID before
DeregisterImage, and one more GetResources per region (TagFilters: that key, snapshots only) finds them; their
AMI is planned again (its removal was already confirmed; protection applies), except under --policy, which
pre-approves expired managed resources only: there it is skipped, naming the terminate command that finishes it.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable

from _awswiz import guard
from _awswiz.aws.client import paginate
from _awswiz.compute import instance_rules as rules
from _awswiz.guard import regional, targets
from _awswiz.inventory.table import BY_TYPE, tag_map
from _awswiz.removal import expiry, launch_cleanup, removers, schedules
from _awswiz.removal.bulk import new_targets, plan_part, skip, type_order
from _awswiz.removal.removers import ebs
from _awswiz.removal.vpc_teardown import TEARDOWN_TAG
from _awswiz.shell import hints


class Reaper:
    def __init__(self, ctx, regions: list[str], policy=None, with_schedules: bool = True):
        self.ctx, self.regions, self.policy = ctx, regions, policy
        self.with_schedules = with_schedules and (policy is None or policy.schedules)
        self.owner: dict[tuple[str, str], Callable] = {}  # (op, id) -> how to do it

    # --- discovery ---------------------------------------------------------------------------------
    def _discover(self, region: str) -> tuple[list[dict], list[dict]]:
        tagging = self.ctx.aws.client("resourcegroupstaggingapi", region)
        managed = paginate(tagging, "get_resources", "ResourceTagMappingList",
                           TagFilters=[{"Key": expiry.MANAGED_KEY, "Values": ["true"]}])
        managed += paginate(tagging, "get_resources", "ResourceTagMappingList",  # an AMI deregistered half-way
                            TagFilters=[{"Key": TEARDOWN_TAG}], ResourceTypeFilters=["ec2:snapshot"])
        scheduled = []
        if self.with_schedules:
            scheduled = targets.instances(self.ctx.aws.client("ec2", region), filters=[
                {"Name": "tag-key", "Values": [schedules.KEY]},
                {"Name": "instance-state-name", "Values": ["running", "stopped"]}])
        return managed, scheduled

    def discover(self) -> tuple[dict, list[dict]]:
        from _awswiz.aws.fanout import FanOut

        fan = FanOut(min(self.ctx.aws.workers, max(1, len(self.regions))))
        for r in self.regions:
            fan.submit(r, lambda r=r: self._discover(r), region=r, what="listing managed resources")
        return fan.wait()

    # --- selection ---------------------------------------------------------------------------------
    def select(self, found: dict, now: _dt.datetime, plan: guard.Plan) -> dict[str | None, dict[str, list]]:
        """{region (None for global types): {type: [ids]}} of what is expired and may be removed; the rest
        that is worth saying goes to plan.skipped."""
        chosen: dict[str | None, dict[str, list]] = {}
        seen: set[tuple[str, str]] = set()
        self.expires: dict[str, str] = {}
        self.resumed: set[str] = set()
        for region in self.regions:
            # what is listed by its own tags first: an AMI listed itself is judged by its own tags, not by a marker
            items = (found.get(region) or ([], []))[0]
            for item in sorted(items, key=lambda i: TEARDOWN_TAG in tag_map(i.get("Tags"))):
                tags = tag_map(item.get("Tags"))
                kind, rid, arn_region = expiry.from_arn(item["ResourceARN"], BY_TYPE)
                where = arn_region or region
                marker = kind == "ec2:snapshot" and TEARDOWN_TAG in tags
                resumed = bool(marker and ebs.trusted_marker(tags))
                if resumed:  # the snapshot of an AMI a confirmed run deregistered: finish that AMI's removal
                    kind, rid = "ec2:image", tags[TEARDOWN_TAG]
                if (kind or item["ResourceARN"], rid) in seen:
                    continue
                seen.add((kind or item["ResourceARN"], rid))
                if marker and not resumed:
                    plan.skipped.append(skip(kind, rid, where, tags.get("Name"), f"{TEARDOWN_TAG}="
                                             f"{tags[TEARDOWN_TAG]!r} on a snapshot AwsWiz does not manage "
                                             f"(no {expiry.MANAGED_KEY}=true): the marker is not trusted"))
                    continue
                if resumed and self.policy is not None:  # a policy covers expired managed resources only
                    plan.skipped.append(skip(kind, rid, where, None, "deregistered by a run that stopped half-way;"
                                             " its marked snapshots are left: finish with " + hints.command(
                                                 self.ctx, "terminate", "--type", kind, "--id", rid, region=where)))
                    continue
                expired, why = (True, None) if resumed else expiry.judge(tags, now)
                if not expired:
                    if why:
                        plan.skipped.append(skip(kind, rid, where, tags.get("Name"), why))
                    continue
                reason = self._refusal(kind, item["ResourceARN"], tags)
                if reason:
                    plan.skipped.append(skip(kind, rid, where, tags.get("Name"), reason))
                    continue
                if resumed:
                    self.resumed.add(rid)
                else:
                    self.expires[rid] = tags[expiry.EXPIRES_KEY]
                key = None if removers.registry()[kind].scope == "global" else where
                chosen.setdefault(key, {}).setdefault(kind, []).append(rid)
        return chosen

    def _refusal(self, kind: str | None, arn: str, tags: dict) -> str | None:
        """Why an expired resource cannot be planned (protection is the guard's: it skips a protected target)."""
        if kind is None:
            return f"expired, but AwsWiz's resource table has no type for {arn}: remove it by hand"
        rem = removers.registry().get(kind)
        if rem is None or rem.plan is None:
            return f"expired, but {kind} has no remover yet: remove it by hand"
        if rem.unsupported:
            return f"expired, but AwsWiz does not remove {kind}: {rem.unsupported}"
        if self.policy is not None and kind not in self.policy.types:
            return f"expired, but {kind} is not in the policy's types ({self.policy.path})"
        return None

    # --- planning ----------------------------------------------------------------------------------
    def _plan_type(self, kind: str, region: str | None, ids: list[str], plan: guard.Plan) -> None:
        rem = removers.registry()[kind]
        if rem.find is not None and region is not None:  # GetResources also lists "previously tagged" ones
            there = rem.find(self.ctx, region, ids)
            ids = [i for i in ids if i in there]
        if kind == "ec2:image" and (marked := [i for i in ids if i in self.resumed]):
            live = ebs.registered(self.ctx, region, marked)  # a marker finishes a deregistered AMI's removal only
            plan.skipped += [skip(kind, i, region, None, f"still registered, though a snapshot is marked "
                                  f"{TEARDOWN_TAG}={i}: a marker never removes a live AMI")
                             for i in marked if i in live]
            ids = [i for i in ids if i not in live]
        part = plan_part(self.ctx, kind, region, ids, {})
        for target, main, acts in new_targets(plan, kind, part):
            if main.region not in self.regions:
                plan.skipped.append(skip(kind, target, main.region, main.name, "outside the regions searched"))
                continue
            if target in self.expires:
                main.detail = {**main.detail, "expires_at": self.expires[target]}
                if isinstance(main.state, dict):
                    main.state = {**main.state, "expires_at": self.expires[target]}
            if self.policy is not None and (acts := self._policy_parts(kind, target, main, acts, plan)) is None:
                continue
            for a in acts:
                self.owner[(a.op, a.id)] = rem.do
            plan.actions += acts
        plan.skipped += part.skipped
        plan.errors += part.errors

    def _policy_parts(self, kind: str, target: str, main: guard.Action, acts: list[guard.Action],
                      plan: guard.Plan) -> list[guard.Action] | None:
        """Under a policy, each part removed with a target must itself be managed and expired (policy.part): a
        launch's leftover part that is not stays behind (skipped, named); any other such step keeps the whole
        target (None). The guard checks the same again (policy.outside) before anything runs."""
        now, kept = _dt.datetime.now(_dt.UTC), []
        for a in acts:
            if a.id == target or not (why := self.policy.part(a, now)):
                kept.append(a)
            elif a.op in launch_cleanup.OPS:
                plan.skipped.append(skip(a.type, a.id, a.region, a.name, f"left behind by the policy run: {why}"))
            else:
                how = hints.command(self.ctx, "terminate", "--type", kind, "--id", target, region=main.region)
                plan.skipped.append(skip(kind, target, main.region, main.name,
                                         f"outside the policy: {a.op} {a.id}: {why}; plan it by hand: {how}"))
                return None
        return kept

    def _plan_region(self, region: str | None, kinds: dict[str, list]) -> guard.Plan:
        plan = guard.Plan(actions=[])
        for kind in type_order(set(kinds)):
            self._plan_type(kind, region, kinds[kind], plan)
        return plan

    def _schedule_actions(self, region: str, insts: list[dict], now: _dt.datetime, plan: guard.Plan) -> None:
        ec2 = self.ctx.aws.client("ec2", region)
        taken = {a.id for a in plan.actions}
        requests = rules.spot_requests(ec2, [i for i in insts if i["State"]["Name"] == "running"])
        for inst in insts:
            iid, state, tags = inst["InstanceId"], inst["State"]["Name"], tag_map(inst.get("Tags"))
            if iid in taken:
                continue
            try:
                sched = schedules.parse(tags.get(schedules.KEY, ""))
            except schedules.Invalid as exc:
                plan.skipped.append(skip("ec2:instance", iid, region, tags.get("Name"), str(exc)))
                continue
            want, since = schedules.wanted(sched, now)
            op = "stop" if (want, state) == ("stopped", "running") else \
                "start" if (want, state) == ("running", "stopped") else None
            if op is None:
                continue
            if op == "start" and rules.spot_interrupted(inst):
                plan.skipped.append(skip("ec2:instance", iid, region, tags.get("Name"),
                                         f"scheduled to start, but stopped by a spot interruption: "
                                         f"{rules.SPOT_START_RULE}"))
                continue
            blocked = None  # a protected instance: the guard skips it (the action carries its tags)
            if op == "stop":
                if inst.get("InstanceLifecycle") == "spot" and \
                        (refusal := rules.spot_stop_refusal(inst, requests.get(iid))):
                    plan.skipped.append(skip("ec2:instance", iid, region, tags.get("Name"),
                                             f"scheduled to stop, but a spot instance AWS cannot stop: {refusal}. "
                                             f"{rules.SPOT_STOP_RULE}"))
                    continue
                blocked = rules.stop_blocker(self.ctx, ec2, inst, region)
            window = f"{want} since {since.isoformat(timespec='minutes')}"
            self.owner[(op, iid)] = _stop_start
            plan.actions.append(guard.Action(
                op=op, type="ec2:instance", id=iid, region=region, name=tags.get("Name"), tags=tags,
                state={"state": state, "window": window},
                detail={"schedule": sched.value, "window": window, "instance_type": inst.get("InstanceType"),
                        **({"note": "EBS volumes are kept and still billed"} if op == "stop" else {})},
                blocked=blocked))

    def build(self) -> guard.Plan:
        now = _dt.datetime.now(_dt.UTC)
        found, errors = self.discover()
        plan = guard.Plan(actions=[], errors=errors,
                          scope={"reap": "expired", "regions": self.regions, "schedules": self.with_schedules,
                                 **({"policy": self.policy.sha256} if self.policy else {})})
        chosen = self.select(found, now, plan)
        regional_part = {r: k for r, k in chosen.items() if r is not None}
        if regional_part:
            merged = regional.plan(self.ctx, list(regional_part),
                                   lambda r, _ids: self._plan_region(r, regional_part[r]))
            plan.actions += merged.actions
            plan.skipped += merged.skipped
            plan.errors += merged.errors
        if None in chosen:
            global_part = self._plan_region(None, chosen[None])
            plan.actions += global_part.actions
            plan.skipped += global_part.skipped
        for region in self.regions:
            if found.get(region):
                self._schedule_actions(region, found[region][1], now, plan)
        return plan

    def do(self, action: guard.Action) -> dict | None:
        return self.owner[(action.op, action.id)](self.ctx, action)

    def verify(self) -> list[str]:
        return [hints.command(self.ctx, "reap", *(["--region", self.ctx.region_spec] if self.ctx.region_spec
                                                  else []))]


def _stop_start(ctx, action: guard.Action) -> dict:
    ec2 = ctx.aws.client("ec2", action.region)
    if action.op == "stop":
        out = ec2.stop_instances(InstanceIds=[action.id])["StoppingInstances"][0]
    else:
        out = ec2.start_instances(InstanceIds=[action.id])["StartingInstances"][0]
    return {"state": out["CurrentState"]["Name"]}
