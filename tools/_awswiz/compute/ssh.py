"""SSH with paramiko: the saved key, host keys trusted on first use and pinned in .state/known_hosts (a changed
key is refused), a bounded readiness check, and Host blocks in .state/ssh_config for ~/.ssh/config to Include.

Where an instance answers: its public IP on port 22; in the sandbox (an endpoint on this machine) the tag
awswiz:sandbox-ssh = 127.0.0.1:PORT names the local stand-in server (sandbox/ssh_standin.py). AWS never sets
that tag, and it is only read when the endpoint is local.
"""

from __future__ import annotations

import re
import shlex
import socket
import sys
import time

from _awswiz.compute import keys
from _awswiz.shell import state
from _awswiz.shell.errors import AwsWizError, BadInput

SANDBOX_TAG = "awswiz:sandbox-ssh"
USER_TAG = "awswiz:ssh-user"
KEY_TAG = "awswiz:key"
# a login name (useradd(8): NAME_REGEX, and at most 32 characters); a tag that is not one is never used
USER_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\Z")


class HostKeyChanged(AwsWizError):
    code = "HostKeyChanged"
    exit_code = 4


class SshUnavailable(AwsWizError):
    code = "SshUnavailable"


def address(inst: dict, local: bool) -> tuple[str, int] | None:
    tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
    if local and tags.get(SANDBOX_TAG):
        host, _, port = tags[SANDBOX_TAG].rpartition(":")
        # a tag is read, never trusted: only a loopback address and a port number (else: no address)
        return (host, int(port)) if host in ("127.0.0.1", "localhost", "::1") and port.isdigit() and \
            0 < int(port) < 65536 else None
    ip = inst.get("PublicIpAddress")
    return (ip, 22) if ip else None


def host_id(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def known_hosts_path():
    return state.state_dir() / "known_hosts"


def _load_known():
    import paramiko

    hk = paramiko.HostKeys()
    path = known_hosts_path()
    if path.exists():
        for n, line in enumerate(state.read_text(path).splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line)
            except Exception as exc:  # noqa: BLE001 - paramiko raises InvalidHostKey, SSHException, ...
                entry, why = None, f"{type(exc).__name__}"
            else:
                why = "not a host key line AwsWiz can read"
            if entry is None or entry.key is None:
                # a pin that cannot be read is never skipped: the host would be trusted afresh
                raise BadInput(f"{path} is damaged: line {n} is {why}; AwsWiz pins host keys there and will not "
                               "connect while a pin cannot be read", f"remove line {n} of {path} (the host's key is "
                               "then trusted again on the next connect), or the file")
            for name in entry.hostnames:
                hk.add(name, entry.key.get_name(), entry.key)
    return hk


def _pin(hostname: str, key) -> None:
    path = known_hosts_path()
    old = state.read_text(path) if path.exists() else ""
    state.replace_text(path, old + f"{hostname} {key.get_name()} {key.get_base64()}\n")


def forget(host: str, port: int) -> None:
    """Drop the pinned keys of an address: launch calls it for a box it has just made, whose address may have
    belonged to an older instance (a new instance has a new host key, trusted on its first use)."""
    path = known_hosts_path()
    if not path.exists():
        return
    name = host_id(host, port)
    lines = state.read_text(path).splitlines()
    kept = [ln for ln in lines if name not in ln.split(" ", 1)[0].split(",")]
    if len(kept) != len(lines):
        state.replace_text(path, "".join(f"{ln}\n" for ln in kept))


def fingerprint(key) -> str:
    import base64
    import hashlib

    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


def open_client(host: str, port: int, user: str, key_name: str, timeout: float = 10, sock=None):
    """A connected paramiko client; the host key must match the pinned one (pinned now if first seen). sock: a
    channel to host:port already open (through a jump host: open_through), else a TCP connection is made."""
    import paramiko

    class TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
        def missing_host_key(self, client, hostname, key):
            _pin(hostname, key)

    client = paramiko.SSHClient()
    for name, entries in _load_known().items():
        for ktype, key in entries.items():
            client.get_host_keys().add(name, ktype, key)
    client.set_missing_host_key_policy(TrustOnFirstUse())
    pinned = _load_known().lookup(host_id(host, port))
    try:
        client.connect(host, port=port, username=user, pkey=keys.load(key_name), timeout=timeout, sock=sock,
                       banner_timeout=timeout, auth_timeout=timeout, allow_agent=False, look_for_keys=False)
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyChanged(
            f"the host key of {host_id(host, port)} changed: pinned {fingerprint(exc.expected_key)}, offered "
            f"{fingerprint(exc.key)}; AwsWiz refuses to connect (a new instance at an old address, or someone "
            "in between)", f"if the instance was replaced, remove the line for {host_id(host, port)} from "
            f"{known_hosts_path()} and connect again") from None
    except BaseException:
        client.close()
        raise
    if pinned is None:
        _note(f"pinned the host key of {host_id(host, port)} in {known_hosts_path()} (trusted on first use)")
    return client


def open_through(jump, host: str, port: int, user: str, key_name: str, timeout: float = 10):
    """A client of host:port reached through the connected client jump, as ssh's ProxyJump does: a "direct-tcpip"
    channel from the jump host to host:port (RFC 4254 section 7.2; paramiko Transport.open_channel) carries the
    second SSH connection, whose host key is pinned under host:port like any other."""
    import paramiko

    try:
        chan = jump.get_transport().open_channel("direct-tcpip", (host, port), ("127.0.0.1", 0), timeout=timeout)
    except (paramiko.ChannelException, paramiko.SSHException) as exc:
        raise SshUnavailable(f"the jump host could not open a connection to {host_id(host, port)}: {exc}",
                             "check the box runs and its security group allows tcp/22 from the jump host") from None
    try:
        return open_client(host, port, user, key_name, timeout, sock=chan)
    except BaseException:
        chan.close()
        raise


def _note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run(client, command: str, timeout: float | None = None, stream: bool = True, limit: int = 65536) -> dict:
    """Run one command; its output goes to stderr as it comes; exit code and (capped) output returned."""
    chan = client.get_transport().open_session(timeout=10)
    if timeout:
        chan.settimeout(timeout)
    chan.exec_command(command)
    out, err = bytearray(), bytearray()
    while True:
        got = False
        if chan.recv_ready():
            data = chan.recv(32768)
            out += data
            got = True
            if stream:
                sys.stderr.buffer.write(data)
                sys.stderr.flush()
        if chan.recv_stderr_ready():
            data = chan.recv_stderr(32768)
            err += data
            got = True
            if stream:
                sys.stderr.buffer.write(data)
                sys.stderr.flush()
        if not got:
            if chan.exit_status_ready() and not chan.recv_ready() and not chan.recv_stderr_ready():
                break
            time.sleep(0.02)
    code = chan.recv_exit_status()
    chan.close()

    def text(b: bytearray) -> str:
        s = bytes(b[-limit:]).decode(errors="replace")
        return s if len(b) <= limit else f"[first {len(b) - limit} bytes cut]" + s

    return {"exit_code": code, "stdout": text(out), "stderr": text(err)}


def port_open(host: str, port: int, timeout: float = 2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.settimeout(timeout)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


def wait_ready(host: str, port: int, user: str, key_name: str, timeout: float) -> dict:
    """Ready means a login works and runs a command, not just an open port (shared/PATTERNS.md). Bounded."""
    start = time.time()
    last = "no answer yet"
    while time.time() - start < timeout:
        if port_open(host, port):
            try:
                client = open_client(host, port, user, key_name, timeout=10)
                try:
                    if run(client, "true", timeout=10, stream=False)["exit_code"] == 0:
                        return {"ssh_ready": True, "seconds": round(time.time() - start, 1)}
                finally:
                    client.close()
            except HostKeyChanged:
                raise
            except Exception as exc:  # noqa: BLE001 - sshd answers before logins are allowed: try again
                last = f"{type(exc).__name__}: {exc}"
        else:
            last = f"port {port} not answering with an SSH banner"
        _note(f"waiting for SSH on {host_id(host, port)}: {last} ({round(time.time() - start)} s)")
        time.sleep(2)
    return {"ssh_ready": False, "seconds": round(time.time() - start, 1), "last": last}


def login_user(tags: dict, iid: str, default: str = "ubuntu") -> str:
    """The login of a launched box from its awswiz:ssh-user tag (anyone who can tag writes it): a login name or
    bad input naming the tag."""
    user = tags.get(USER_TAG) or default
    if not USER_RE.match(user):
        raise BadInput(f"{iid}: the tag {USER_TAG}={user!r} is not a login name (lower-case letters, digits, '_' "
                       "and '-', at most 32)", f"fix the tag on {iid}, e.g. {USER_TAG}=ubuntu")
    return user


def command_line(host: str, port: int, user: str, key_name: str, via: dict | None = None) -> str:
    """The ssh command, every word shell-quoted (user and host may come from tags); via (a jump host: compute/jump.py
    choose) adds a ProxyCommand of ssh -W through it, with its own key and pins (ssh(1) -W, ssh_config(5))."""
    proxy = ["-o", "ProxyCommand=" + shlex.join([*_words(via["port"], via["key"]), "-W", "%h:%p",
                                                 f"{via['user']}@{via['host']}"])] if via else []
    return shlex.join([*_words(port, key_name), *proxy, f"{user}@{host}"])


def _words(port: int, key_name: str) -> list[str]:
    return ["ssh", "-i", str(keys.key_file(key_name)), *(["-p", str(port)] if port != 22 else []), "-o",
            f"UserKnownHostsFile={known_hosts_path()}", "-o", "StrictHostKeyChecking=yes"]


def _conf(value) -> str:
    """One ssh_config(5) argument: double-quoted when it holds a space."""
    text = str(value)
    if any(c in text for c in '"\n\r'):
        raise BadInput(f"{text!r} cannot be written into an ssh_config file", "")
    return f'"{text}"' if any(c.isspace() for c in text) else text


def host_block(alias: str, host: str, port: int, user: str, key_name: str) -> str:
    return (f"Host {_conf(alias)}\n  HostName {_conf(host)}\n  Port {port}\n  User {_conf(user)}\n"
            f"  IdentityFile {_conf(keys.key_file(key_name))}\n  IdentitiesOnly yes\n"
            f"  UserKnownHostsFile {_conf(known_hosts_path())}\n  StrictHostKeyChecking yes\n")


def save_host_block(alias: str, block: str) -> str:
    """Replace (or add) the Host block for alias in .state/ssh_config; returns the file's path."""
    path = state.state_dir() / "ssh_config"
    text = state.read_text(path) if path.exists() else ""
    blocks = [b for b in text.split("\n\n") if b.strip() and b.split("\n", 1)[0].strip() != f"Host {alias}"]
    state.replace_text(path, "\n\n".join([*(b.strip("\n") for b in blocks), block.strip("\n")]) + "\n")
    return str(path)


def include_in_user_config(config_path: str) -> str:
    """Put `Include <.state/ssh_config>` at the top of ~/.ssh/config (only when the user asked: --ssh-include);
    nothing else in that file changes. Returns what was done."""
    import os
    from pathlib import Path

    line = f"Include {_conf(config_path)}"
    ssh_dir = Path.home() / ".ssh"
    ssh_dir.mkdir(mode=0o700, exist_ok=True)
    user = ssh_dir / "config"
    if user.is_symlink():  # a config kept elsewhere (dotfiles): edit the file the link points at, keep the link
        target = Path(os.path.realpath(user))
        if not target.is_file():
            raise BadInput(f"{user} is a link to {target}, which is not a file; AwsWiz edits only a file",
                           f"add the line '{line}' at the top of your ssh config yourself")
        user = target
    old = user.read_text() if user.exists() else ""
    if line in old.splitlines():
        return f"{user} already includes {config_path}"
    # Include must come before any Host block to apply everywhere (ssh_config(5): the first value obtained wins)
    tmp = user.with_name(f".config.awswiz{os.getpid()}")
    mode = (user.stat().st_mode & 0o777) if user.exists() else 0o600
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "w") as f:
        f.write(f"{line}\n{old}")
    os.replace(tmp, user)
    return f"added '{line}' at the top of {user}"
