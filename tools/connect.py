#!/usr/bin/env -S uv run --script
# /// script
# requires-python = ">=3.11"
# dependencies = ["boto3>=1.40", "rich>=13.7", "typer>=0.15,<0.29", "paramiko>=3.4", "cryptography>=42"]
# ///
"""Run a command on a launched instance over SSH (paramiko, the key launch.py saved), or copy a file either way
(--copy SRC DST, sftp; prefix the remote side with ':'). Output streams to stderr as it comes; the exit code
and the output are in the envelope. A box with no public address (a private subnet) is reached through its jump
host (the head launch.py chose, or a public AwsWiz box of its VPC), as ProxyJump does. Host keys are trusted on
first use and pinned in .state/known_hosts; a changed host key is refused (exit 4)."""

from __future__ import annotations

from typing import Annotated

import typer
from _awswiz import cli
from _awswiz.compute import jump, keys, ssh
from _awswiz.compute.launch_plan import local_endpoint
from _awswiz.guard import targets
from _awswiz.inventory.table import tag_map
from _awswiz.shell import state
from _awswiz.shell.errors import BadInput
from _awswiz.shell.output import Result

app = cli.make_app(__doc__)


def resolve(ctx, iid: str, region: str) -> tuple[str, int, str, str, dict | None]:
    """(host, port, user, key name, jump host or None) of a running instance launched by AwsWiz; a box with no
    public IPv4 (a private subnet) is reached at its private IP:22 through its jump host (compute/jump.py)."""
    ec2 = ctx.aws.client("ec2", region)
    found = targets.instances(ec2, [iid])
    targets.require_found(ctx, [iid], {i["InstanceId"] for i in found}, "instance", region)
    inst = found[0]
    tags = tag_map(inst.get("Tags"))
    if inst["State"]["Name"] != "running":
        raise BadInput(f"{iid} is {inst['State']['Name']}, not running", "start it, or launch a new one")
    key = tags.get(ssh.KEY_TAG) or inst.get("KeyName")
    if key and not keys.NAME_RE.match(key):  # a tag is never a path: a name AwsWiz makes, inside .state/keys
        raise BadInput(f"{iid}: the key name {key!r} (tag {ssh.KEY_TAG} or KeyName) is not one AwsWiz makes "
                       "(letters, digits, '.', '_', '-'); connect works with instances launch.py made here", "")
    if not keys.saved(key):
        raise BadInput(f"no saved private key for {iid} (key pair {key or 'none'}): connect works with instances "
                       "launch.py made in this checkout", f"looked in {state.state_dir('keys')}")
    user = ssh.login_user(tags, iid)
    via = jump.head_of(ctx, ec2, inst, region, local_endpoint(ctx))
    if via:
        return inst["PrivateIpAddress"], 22, user, key, via
    addr = ssh.address(inst, local_endpoint(ctx))
    if not addr:
        raise BadInput(f"{iid} has no public IP address to reach", "launch it in a public subnet")
    return addr[0], addr[1], user, key, None


def open_box(host: str, port: int, user: str, key: str, via: dict | None):
    """The box's client, and the jump host's (None when reached directly): both host keys pinned."""
    if not via:
        return ssh.open_client(host, port, user, key), None
    head = ssh.open_client(via["host"], via["port"], via["user"], via["key"])
    try:
        return ssh.open_through(head, host, port, user, key), head
    except BaseException:
        head.close()
        raise


def check_copy(src: str, dst: str) -> None:
    """--copy judged before any call: one side remote; an upload's source is a file; a download never lands in
    the state directory (keys, known_hosts, plans: a download there could replace a pin or a plan)."""
    import os
    from pathlib import Path

    if src.startswith(":") == dst.startswith(":"):
        raise BadInput("--copy SRC DST: exactly one side is remote, written with a leading ':' "
                       "(--copy data.csv :data.csv, or --copy :out.log ./out.log)", "")
    if dst.startswith(":"):
        if not os.path.isfile(src):
            raise BadInput(f"--copy: {src} is not a file here", "")
        return
    where = Path(os.path.realpath(dst))  # links followed: a link to .state/ lands there
    root = Path(os.path.realpath(state.root()))
    if where == root or where.is_relative_to(root):
        raise BadInput(f"--copy: {dst} is inside the state directory {root}; downloads never land there",
                       "download to another folder, e.g. --copy :out.log ./out.log")


def copy(client, src: str, dst: str) -> dict:
    import os

    check_copy(src, dst)
    sftp = client.open_sftp()
    try:
        if dst.startswith(":"):
            attrs = sftp.put(src, dst[1:] or os.path.basename(src))
            return {"direction": "upload", "src": src, "dst": dst, "bytes": attrs.st_size}
        sftp.get(src[1:], dst)
        return {"direction": "download", "src": src, "dst": dst, "bytes": os.path.getsize(dst)}
    finally:
        sftp.close()


@cli.command(app, "connect")
def main(
    ctx: cli.Ctx,
    id: Annotated[str, typer.Option("--id", help="Instance id (launched by launch.py).")],
    command: Annotated[list[str] | None, typer.Argument(help="The command to run, after --.")] = None,
    copy_: Annotated[tuple[str, str] | None, typer.Option("--copy", metavar="SRC DST",
                                                          help="Copy a file; the remote side starts with ':'.")] = None,
    timeout_s: Annotated[int, typer.Option("--command-timeout", metavar="SECONDS", min=1, max=86400,
                                           help="Give up on the command after this long.")] = 600,
) -> Result:
    """Run COMMAND on the instance (after --), or --copy a file. Exit 0 when the command exits 0."""
    iid = targets.check_ids(ctx, [id.strip()], targets.INSTANCE_ID, "instance id", "i-0123456789abcdef0")[0]
    if not command and not copy_:
        raise BadInput("say what to do: -- COMMAND, or --copy SRC DST", "e.g. connect.py --id ID -- nvidia-smi")
    if command and copy_:
        raise BadInput("give either -- COMMAND or --copy, not both", "")
    if copy_:
        check_copy(*copy_)
    region = targets.one_region(ctx)
    try:
        host, port, user, key, via = resolve(ctx, iid, region)
    except jump.NoJumpHost as exc:
        return Result(errors=[exc.entry()], exit_code=exc.exit_code, next=exc.next)
    client, head = open_box(host, port, user, key, via)
    try:
        if copy_:
            return Result(data={"id": iid, "region": region, **copy(client, *copy_)})
        import shlex

        out = ssh.run(client, shlex.join(command) if len(command) > 1 else command[0], timeout=timeout_s)
    finally:
        client.close()
        if head:
            head.close()
    data = {"id": iid, "region": region, "host": f"{user}@{ssh.host_id(host, port)}",
            **({"via": f"{via['user']}@{ssh.host_id(via['host'], via['port'])} ({via['id']})"} if via else {}),
            "command": command, **out}
    errors = [] if out["exit_code"] == 0 else [{"code": "CommandFailed", "message": f"the command exited "
                                                f"{out['exit_code']}", "hint": "its output is in data.stderr"}]
    return Result(data=data, errors=errors, exit_code=0 if out["exit_code"] == 0 else 1)


if __name__ == "__main__":
    cli.main(app, "connect")
