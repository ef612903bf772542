"""The guard's two phases as the changing tools' tests check them, written once (DESIGN.md, "Mutations"):
plan (exit 0, a token, nothing sent that changes anything, nothing audited), then confirm (the audit log's `sent`
lines are exactly the changing calls the sandbox counted, in order, each with its outcome and the token).

    flow = Flow(sandbox, run_tool, state_dir, "stop", "--id", iid, "--region", REGION)  # or the fixture:
    flow = guarded("stop", "--id", iid, "--region", REGION)
    plan = flow.plan()          # the plan's data; asserts it changed nothing
    r = flow.confirm("--wait")  # the confirm's Run (exit 0 unless code=); asserts the audit log is the server's
    assert flow.ops == ["StopInstances"]
    # or both at once: plan, r = flow.run()
"""

from __future__ import annotations

from mutation_helpers import audit_lines, mutating_calls


class Flow:
    def __init__(self, sandbox, run_tool, state_dir, tool: str, *args: str, env: dict | None = None):
        self.sandbox, self.run_tool, self.state_dir = sandbox, run_tool, state_dir
        self.tool, self.args, self.env = tool, args, env
        self.data: dict | None = None
        self.plan_run = self.done = None  # the plan's Run, the confirm's Run
        self.sent: list[dict] = []

    def plan(self) -> dict:
        """Plan: exit 0, not applied, a token; no changing call reached the server, no audit line written."""
        self.mark, self.before = self.sandbox.mark(), len(audit_lines(self.state_dir))
        r = self.run_tool(self.tool, *self.args, env=self.env)
        assert r.code == 0, r.stdout + r.stderr
        self.plan_run, self.data = r, r.json["data"]
        assert self.data["applied"] is False and self.data["confirm"], self.data
        assert r.json["next"][0].endswith(f"--confirm {self.data['confirm']}"), r.json["next"]
        assert mutating_calls(self.sandbox, self.mark) == []  # a plan changes nothing
        assert len(audit_lines(self.state_dir)) == self.before
        return self.data

    def confirm(self, *extra: str, code: int = 0, args: tuple[str, ...] | None = None):
        """Confirm the plan's token (with the plan's args, or `args`, then `extra`); exit `code`; every changing
        call the server saw since the plan has exactly one audit `sent` line, in order, with its outcome and the
        token. -> the confirm's Run (self.sent: those lines, self.ops: their operations)."""
        token = self.data["confirm"]
        r = self.run_tool(self.tool, *(self.args if args is None else args), "--confirm", token, *extra, env=self.env)
        assert r.code == code, r.stdout + r.stderr
        server = mutating_calls(self.sandbox, self.mark)
        self.sent = audit_lines(self.state_dir)[self.before:]
        assert len(self.sent) == len(server), (self.sent, server)
        # query/JSON calls by name; S3's REST calls have none (their method made them count as changing)
        assert all(c["action"] in (None, s["operation"]) for c, s in zip(server, self.sent, strict=True)), \
            ([s["operation"] for s in self.sent], [c["action"] for c in server])
        done = {d["id"] for d in audit_lines(self.state_dir, "done")}
        assert all(s["id"] in done for s in self.sent)  # every call has its outcome
        assert all(s["confirm"] == token for s in self.sent)
        self.done = r
        return r

    def run(self, *extra: str, code: int = 0):
        """plan() then confirm(*extra) -> (the plan's data, the confirm's Run)."""
        return self.plan(), self.confirm(*extra, code=code)

    @property
    def ops(self) -> list[str]:
        return [s["operation"] for s in self.sent]
