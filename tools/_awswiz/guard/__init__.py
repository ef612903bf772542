"""The guard in front of every change: plan, then confirm; protection; --max; the audit log.

Its three jobs, one file each: actions.py (the vocabulary: Action, Plan, the protection rule), this file (the
flow: plan, token, apply, audit) and view.py (rendering); `guard.X` reaches all three.

A tool that changes anything describes each change as an Action and hands the guard two functions:

    from _awswiz import guard

    def build() -> guard.Plan:          # discover the live state; never change anything
        return guard.Plan(actions=[guard.Action(op="stop", type="ec2:instance", id="i-0abc",
                                                region="us-east-1", name="train-a", tags={...},
                                                state={"state": "running", ...})],
                          skipped=[...], scope={"region": "us-east-1"})

    def do(action: guard.Action) -> dict | None:   # perform one action (one or a few AWS calls)
        ec2.stop_instances(InstanceIds=[action.id])

    return guard.run(ctx, build, do, confirm=confirm, max_count=max_, explicit=True,
                     verify=["uv run tools/scan.py --region us-east-1"])

guard.run():
- attaches the audit log (audit.py) so every mutating call from here on is recorded, and asks for the
  account id;
- calls build(); adds protection (tag awswiz:protected=true, or env/environment/stage = prod/production)
  to Action.blocked. Blocked targets are refused with exit 4 when the user named them (explicit=True),
  otherwise moved to `skipped` with the reason;
- refuses with exit 4 when the plan touches more than max_count targets (Action.target, default the id:
  cleanup_vpc counts VPCs, not each subnet);
- without confirm: saves the plan under .state/plans/<token>.json and returns it with exit 0:
  data {"applied": false, "plan": [...], "skipped": [...], "confirm": token, "expires_at": ...}.
  The token is bound to a digest of the tool, the account, the scope and every action with the live
  state it saw (state, tags, attachments, counts); it expires after AWSWIZ_CONFIRM_TTL seconds (900);
- at a terminal with --pretty, the human may instead type the account id to confirm at once;
- with confirm: builds the plan again and runs it only if the token is known, unused, unexpired and the
  fresh digest equals the saved one; otherwise exit 4 with the fresh plan (and a fresh token) in data.
  Actions then run in plan order; once an action of a target fails, the rest of that target's actions
  are not attempted (they depend on it) but other targets go on. data {"applied": true, "results": [...]},
  exit 0 when all succeeded, 3 when some did, 1 when none did;
- with preapproved=policy (reap.py --policy, unattended) instead of confirm: runs the plan at once when
  policy.outside(plan) is empty, else refuses the whole run (exit 4). It writes an audit line naming the
  policy and its digest, and claims each target's actions (plans.claim_action on a key of the action and the
  state it saw: a lock held while the run lives) before the first call, so concurrent runs never apply the
  same action twice; a failed action's claim, or a killed run's unfinished one, is free for a later run.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import asdict

from _awswiz.guard import audit
from _awswiz.guard import tokens as plans
from _awswiz.guard.actions import (  # noqa: F401 - the guard's vocabulary, used as guard.X by every tool
    DEFAULT_MAX,
    SHOWN_WHEN_REFUSED,
    Action,
    Plan,
    check_selector,
    inherited_protection,
    protection,
)
from _awswiz.guard.view import iso, plan_data, render_plan, render_results, skipped_view  # noqa: F401
from _awswiz.shell import deadline
from _awswiz.shell.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_REFUSED,
    BadInput,  # noqa: F401 - guard.BadInput
    Refused,
    classify,
    error_entry,
)
from _awswiz.shell.hints import again
from _awswiz.shell.output import Result


def digest(tool: str, account: str, plan: Plan) -> str:
    doc = {"tool": tool, "account": account, "scope": plan.scope, "skipped": plan.skipped,
           "actions": [asdict(a) for a in plan.actions]}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()


def changes(old_actions: list[dict], plan: Plan) -> list[str]:
    """What differs between a saved plan and the fresh one, for the refusal message."""
    old = {(a["op"], a["id"]): a for a in old_actions}
    new = {(a.op, a.id): json.loads(json.dumps(asdict(a), default=str)) for a in plan.actions}
    out = [f"{op} {rid}: no longer planned" for (op, rid) in old if (op, rid) not in new]
    out += [f"{op} {rid}: newly planned" for (op, rid) in new if (op, rid) not in old]
    for k in old.keys() & new.keys():
        diff = [f for f in ("state", "tags", "detail", "region", "name") if old[k].get(f) != new[k].get(f)]
        if diff:
            out.append(f"{k[0]} {k[1]}: {', '.join(diff)} changed")
    return out or ["the scope or what was skipped changed"]


# --- the run -------------------------------------------------------------------------------------

def _apply_protection(plan: Plan, explicit: bool) -> list[Action]:
    """Mark protected actions blocked: the resource an action changes (its own tags), what contains it or what
    it changes as a side effect (Action.touches). Returns the blocked actions (moved to skipped unless explicit).
    A target is blocked as a whole when any of its actions is."""
    for a in plan.actions:
        if not a.blocked and (reason := inherited_protection(a.tags, a.touches)):
            a.blocked = reason
    blocked_targets = {a.key: a.blocked for a in plan.actions if a.blocked}
    blocked = [a for a in plan.actions if a.key in blocked_targets]
    if blocked and not explicit:
        plan.actions = [a for a in plan.actions if a.key not in blocked_targets]
        seen = set()
        for a in blocked:
            if a.key not in seen:
                seen.add(a.key)
                plan.skipped.append({"id": a.target_id, "region": a.region, "type": a.type, "name": a.name,
                                     "reason": blocked_targets[a.key], **({"account": a.account} if a.account
                                                                           else {})})
        return []
    return blocked


def _save(tool: str, account: str, plan: Plan) -> dict:
    return plans.save({"tool": tool, "account": account, "digest": digest(tool, account, plan),
                       "scope": plan.scope, "actions": json.loads(json.dumps(
                           [asdict(a) for a in plan.actions], default=str))})


def _used(token: str) -> str:
    when = plans.claimed_at(token)
    return f"confirmation token {token} was already applied {f'at {iso(when)}' if when else '(by a run in progress)'}"


def _token_problem(tool: str, account: str, token: str) -> tuple[dict | None, tuple[str, str] | None]:
    """(the verified record, why this token cannot be applied as (message, hint) or None), judged before
    the world is compared. The record is read and verified once per run."""
    try:
        record = plans.load(token)
    except plans.Invalid as exc:
        return None, (str(exc), "use the token printed by the plan step of this same command")
    return record, _record_problem(tool, account, token, record)


def _record_problem(tool: str, account: str, token: str, record: dict) -> tuple[str, str] | None:
    if record.get("tool") != tool:
        return (f"confirmation token {token} belongs to a plan of {record.get('tool')}, not of {tool}",
                f"confirm it with the {record.get('tool')} command its plan printed (in next), or plan this "
                "command afresh")
    if record.get("account") != account:
        return (f"confirmation token {token} was made for account {record.get('account')}, not {account}",
                "plan again with the credentials you mean to use")
    if plans.is_claimed(token):
        return _used(token), "each plan is applied once; check the result with the verify command, or plan again"
    if time.time() > record["expires_at"]:
        return (f"confirmation token {token} expired at {iso(record['expires_at'])}",
                "show this fresh plan to the human and confirm again")
    return None


def run(ctx, build: Callable[[], Plan], do: Callable[[Action], dict | None], *, confirm: str | None,
        max_count: int = DEFAULT_MAX, explicit: bool = True, verify: list[str] | None = None,
        after: Callable[[list[dict]], None] | None = None, preapproved=None) -> Result:
    log = audit.attach(ctx)
    account = ctx.aws.account_id()
    plan = build()
    check_selector(plan.scope)
    blocked = _apply_protection(plan, explicit)
    targets = list(dict.fromkeys(a.key for a in plan.actions))
    over_max = len(targets) > max_count

    def refuse(message: str, hint: str, nxt: list[str] | None = None) -> Result:
        # a policy run is unattended: no token (the refusal is for a human to read, then plan by hand)
        fresh_token = bool(plan.actions) and not blocked and not over_max and preapproved is None
        record = _save(ctx.tool, account, plan) if fresh_token else None
        data = plan_data(plan, record, SHOWN_WHEN_REFUSED if over_max else None, refused=message)
        if record:
            nxt = [again(record["token"])]
        return Result(data=data, errors=[Refused(message, hint).entry(), *plan.errors], next=nxt or [],
                      exit_code=EXIT_REFUSED, render=render_plan)

    record, problem = _token_problem(ctx.tool, account, confirm) if confirm is not None else (None, None)
    if problem:
        return refuse(problem[0], problem[1] + ("; here is the plan as it stands now, with a fresh token"
                                                if plan.actions else ""))
    if blocked:
        names = "; ".join(f"{a.id} ({a.blocked})" for a in blocked if a.blocked)  # not its unblocked siblings
        # the targets as the user may have named them: by id, or by name (a key pair, a load balancer)
        named = {a.target_id for a in blocked} | {a.name for a in blocked if a.name and a.id == a.target_id}
        rest = again(drop_ids=named) if explicit else None
        return refuse(f"protected or blocked: {names}", "protected or blocked resources are never changed by "
                      "AwsWiz; leave them out (next), or remove the blocker (or the protection tag, deliberately)",
                      [rest] if rest else [])
    if over_max:
        return refuse(f"the plan touches {len(targets)} resources, over --max {max_count}",
                      f"narrow the selection (--id, --region), or raise the limit with --max {len(targets)}")
    if preapproved is not None:
        if outside := preapproved.outside(plan):
            return refuse(f"outside the policy {preapproved.path}: {'; '.join(outside[:SHOWN_WHEN_REFUSED])}",
                          "nothing was changed; widen the policy deliberately, or run without --policy to plan "
                          "and confirm by hand")
        log.write({"phase": "policy", "time": iso(time.time()), "tool": ctx.tool, "account": account,
                   **preapproved.describe(), "actions": len(plan.actions)})
    if confirm is None and not plan.actions:
        code = EXIT_FAILED if plan.errors else EXIT_OK
        return Result(data=plan_data(plan, None, message="nothing to do"), errors=plan.errors,
                      exit_code=code, render=render_plan)
    plan_digest = digest(ctx.tool, account, plan)
    if preapproved is not None:
        return _run_preapproved(account, plan, do, log, preapproved, verify, after)

    if confirm is None:
        if ctx.pretty and sys.stdin.isatty():
            return _typed_confirmation(ctx, build, do, plan, plan_digest, account, log, verify, after, explicit)
        record = _save(ctx.tool, account, plan)
        return Result(data=plan_data(plan, record), errors=plan.errors, render=render_plan,
                      exit_code=EXIT_PARTIAL if plan.errors else EXIT_OK, next=[again(record["token"])])

    if record["digest"] != plan_digest:
        what = "; ".join(changes(record.get("actions", []), plan))
        return refuse(f"the world changed since the plan was shown ({what})",
                      "show this fresh plan to the human and confirm again with its token")
    if not plans.claim(confirm):  # exactly one of concurrent confirms gets past here
        return refuse(_used(confirm), "each plan is applied once; check the result with the verify command")
    return execute(plan, do, log, confirm, verify, after)


def claim_key(account: str, a: Action) -> str:
    """The claim of one action as planned: the same action on the same live state is claimed once."""
    doc = [account, a.op, a.type, a.id, a.region, a.state]
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _run_preapproved(account, plan: Plan, do, log, policy, verify, after) -> Result:
    """Claim every target's actions (all or none of a target), run the won ones, then mark them applied or
    free them again. A claim is held while this run lives (plans.claim_action): a killed run's unfinished
    actions are taken over by the next run, and what it applied is never applied again."""
    keys = {id(a): claim_key(a.account or account, a) for a in plan.actions}  # an action in its own account
    held: dict[int, int] = {}
    won: list[Action] = []
    for target in dict.fromkeys(a.key for a in plan.actions):
        mine = [a for a in plan.actions if a.key == target]
        got = {id(a): fd for a in mine if (fd := plans.claim_action(keys[id(a)])) is not None}
        if len(got) == len(mine):
            held.update(got)
            won += mine
            continue
        for fd in got.values():
            plans.settle_action(fd, applied=False)
        plan.skipped.append({"id": target, "region": mine[0].region, "type": mine[0].type, "name": mine[0].name,
                             "reason": "claimed by another run under a policy (in progress, or applied once)"})
    plan.actions = won
    result = execute(plan, do, log, f"policy:{policy.sha256[:16]}", verify, after)
    for a, r in zip(won, result.data["results"], strict=True):
        plans.settle_action(held[id(a)], applied=r["ok"])
    result.data["policy"] = policy.describe()
    return result


def _typed_confirmation(ctx, build, do, plan, plan_digest, account, log, verify, after, explicit) -> Result:
    """--pretty at a terminal: show the plan, let the human type the account id."""
    from _awswiz.shell.output import stdout_console

    console = stdout_console()
    render_plan(console, plan_data(plan))
    console.print(f"Type the account id [bold]{account}[/] to apply this plan, anything else to cancel:")
    typed = sys.stdin.readline().strip()
    if typed != account:
        record = _save(ctx.tool, account, plan)
        return Result(data=plan_data(plan, record, refused="not confirmed"), exit_code=EXIT_REFUSED,
                      errors=[Refused("not confirmed: the account id was not typed; nothing was changed",
                                      "run again and type the account id, or use --confirm TOKEN").entry()],
                      next=[again(record["token"])])
    fresh = build()
    _apply_protection(fresh, explicit)  # the same rule as the plan that was shown, or digests never agree
    if digest(ctx.tool, account, fresh) != plan_digest:
        record = _save(ctx.tool, account, fresh)
        return Result(data=plan_data(fresh, record, refused="changed"), exit_code=EXIT_REFUSED,
                      errors=[Refused("the world changed while the plan was shown; nothing was changed",
                                      "review the fresh plan").entry()],
                      next=[again(record["token"])], render=render_plan)
    return execute(fresh, do, log, "typed-account", verify, after)


def execute(plan: Plan, do, log, token: str, verify, after) -> Result:
    """Run the actions in plan order. The discovery deadline (--timeout) ends here: an apply is not cut
    off half-way; each call stays bounded by the connect/read timeouts and attempts."""
    deadline.lift()
    log.confirm = token
    results: list[dict] = []
    failed_targets: set[tuple] = set()
    for a in plan.actions:
        base = {"action": a.op, "type": a.type, "id": a.id, "region": a.region,
                **({"account": a.account} if a.account else {})}
        if a.key in failed_targets:
            results.append({**base, "ok": False, "outcome": "not attempted: an earlier step of "
                            f"{a.target_id} failed"})
            continue
        try:
            extra = do(a) or {}
            results.append({**base, "ok": True, "outcome": "done", **extra})
        except Exception as exc:  # noqa: BLE001 - one failure is reported, the other targets go on
            failed_targets.add(a.key)
            entry = classify(exc, a.region, f"{a.op} {a.id}")
            results.append({**base, "ok": False, "outcome": "failed", "error": entry})
    if after:
        after(results)
    ok = sum(r["ok"] for r in results)
    errors = [r["error"] for r in results if r.get("error")]
    failed = ", ".join(sorted(t for _, t in failed_targets))
    errors += [error_entry("NotAttempted", f"{len(failed_targets)} target(s) stopped at their first failure: "
                           f"{failed}", "fix the blocker named above and plan again")] if failed_targets else []
    if results and not ok:
        errors.insert(0, error_entry("NothingApplied", f"every action failed ({len(results)} of {len(results)}); "
                                     "the plan was not applied", "read the errors below, fix the cause, plan again"))
    code = EXIT_OK if ok == len(results) else (EXIT_PARTIAL if ok else EXIT_FAILED)
    if code == EXIT_OK and plan.errors:
        code = EXIT_PARTIAL
    summary = {"done": ok, "failed": sum(r["outcome"] == "failed" for r in results),
               "not_attempted": sum(r["outcome"].startswith("not attempted") for r in results)}
    return Result(data={"applied": True, "confirm": token, "summary": summary, "results": results,
                        "skipped": skipped_view(plan)},
                  errors=errors + plan.errors, exit_code=code, next=list(verify or []), render=render_results)
