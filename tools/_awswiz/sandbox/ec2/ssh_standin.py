"""A local SSH server (paramiko) standing in for a sandbox instance, so launch then connect works with no AWS
account. Honest about what it is: it listens on 127.0.0.1 only, accepts only the instance's key pair, has its
own host key, and *simulates* a few commands (it never runs anything on this machine): true, false, exit N,
echo, hostname, uname, nvidia-smi (the instance type's GPUs), cat FILE, ls; anything else answers exit 127
"not simulated". SFTP works inside a private scratch directory per instance.

Used by the sandbox server (ssh_instances.py: running managed instances get one, named by the tag
awswiz:sandbox-ssh = 127.0.0.1:PORT, which AWS never sets) and by tests, which start one directly (serve()).

A "direct-tcpip" channel (RFC 4254 section 7.2: what `ssh -J` and ProxyJump open on the jump host) is forwarded as
sshd forwards it, to the address the server's `forward(host, port)` maps it to (the sandbox: a box's private IP:22
in the same VPC to that box's stand-in); an address it does not map fails as a refused connection.
"""

from __future__ import annotations

import os
import shlex
import socket
import tempfile
import threading


def _paramiko():
    import logging

    import paramiko

    # paramiko's transport thread logs a client that leaves before or during the handshake (the tools' readiness
    # probe, a killed connect) as ERROR with a traceback, one record per line, which reached the sandbox log through
    # logging's last resort: an expected event. The stand-in's own handling says what matters (_serve); its client
    # reports a failed session.
    quiet = logging.getLogger("paramiko")
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
    return paramiko


def _make_sftp(root: str):
    paramiko = _paramiko()

    class Handle(paramiko.SFTPHandle):
        def stat(self):
            return paramiko.SFTPAttributes.from_stat(os.fstat(self.readfile.fileno()))

    class Sftp(paramiko.SFTPServerInterface):
        def _path(self, path: str) -> str:
            full = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if not (full + "/").startswith(os.path.realpath(root) + "/"):
                raise PermissionError(path)
            return full

        def canonicalize(self, path):
            rel = os.path.relpath(self._path(path), os.path.realpath(root))
            return "/" if rel == "." else "/" + rel

        def list_folder(self, path):
            try:
                p = self._path(path)
                return [paramiko.SFTPAttributes.from_stat(os.stat(os.path.join(p, n)), n) for n in os.listdir(p)]
            except OSError as e:
                return paramiko.SFTPServer.convert_errno(e.errno)

        def stat(self, path):
            try:
                return paramiko.SFTPAttributes.from_stat(os.stat(self._path(path)))
            except OSError as e:
                return paramiko.SFTPServer.convert_errno(e.errno)

        lstat = stat

        def open(self, path, flags, attr):
            try:
                p = self._path(path)
                fd = os.open(p, flags, 0o600)
                mode = "rb" if not flags & (os.O_WRONLY | os.O_RDWR) else ("r+b" if flags & os.O_RDWR else "wb")
                if flags & os.O_APPEND:
                    mode = "ab"
                f = os.fdopen(fd, mode)
            except OSError as e:
                return paramiko.SFTPServer.convert_errno(e.errno)
            h = Handle(flags)
            h.filename, h.readfile, h.writefile = p, f, f
            return h

        def remove(self, path):
            try:
                os.remove(self._path(path))
            except OSError as e:
                return paramiko.SFTPServer.convert_errno(e.errno)
            return paramiko.SFTP_OK

    return Sftp


def simulate(command: str, info: dict, root: str) -> tuple[bytes, bytes, int]:
    """(stdout, stderr, exit code) of a command, simulated (nothing runs on this machine)."""
    try:
        argv = shlex.split(command)
    except ValueError:
        return b"", b"sandbox: cannot parse the command\n", 2
    if not argv:
        return b"", b"", 0
    cmd, args = argv[0], argv[1:]
    if cmd == "true":
        return b"", b"", 0
    if cmd == "false":
        return b"", b"", 1
    if cmd == "exit":
        return b"", b"", int(args[0]) if args and args[0].isdigit() else 0
    if cmd == "echo":
        return (" ".join(args) + "\n").encode(), b"", 0
    if cmd == "hostname":
        return f"{info.get('hostname', 'sandbox')}\n".encode(), b"", 0
    if cmd == "uname":
        return f"Linux {info.get('hostname', 'sandbox')} (AwsWiz sandbox stand-in)\n".encode(), b"", 0
    if cmd == "nvidia-smi":
        gpus = info.get("gpus") or 0
        if not gpus:
            return b"", b"NVIDIA-SMI has failed: no NVIDIA GPU (sandbox stand-in)\n", 9
        lines = [f"GPU {n}: {info.get('gpu_model') or 'GPU'} (sandbox stand-in, simulated)" for n in range(gpus)]
        return ("\n".join(lines) + "\n").encode(), b"", 0
    if cmd in ("cat", "ls"):
        out = b""
        for a in args or ["."]:
            p = os.path.realpath(os.path.join(root, a.lstrip("/")))
            if not (p + "/").startswith(os.path.realpath(root) + "/") or not os.path.exists(p):
                return out, f"{cmd}: {a}: No such file or directory\n".encode(), 1
            if cmd == "cat":
                with open(p, "rb") as f:
                    out += f.read()
            else:
                out += ("\n".join(sorted(os.listdir(p))) + "\n").encode() if os.path.isdir(p) else f"{a}\n".encode()
        return out, b"", 0
    return b"", (f"sandbox: {cmd}: not simulated (the sandbox stand-in answers true, false, exit, echo, "
                 "hostname, uname, nvidia-smi, cat, ls)\n").encode(), 127


class StandIn:
    """One SSH server on 127.0.0.1:port."""

    def __init__(self, authorized: list[str], host_key=None, info: dict | None = None, root: str | None = None,
                 port: int = 0, forward=None):
        paramiko = _paramiko()
        self.forward = forward  # (host, port) -> (local host, port) or None: where a direct-tcpip channel goes
        self.host_key = host_key or paramiko.ECDSAKey.generate()
        self.authorized = [_parse_public(k) for k in authorized]
        self.info = info or {}
        self.root = root or tempfile.mkdtemp(prefix="awswiz-standin-")
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self.stopped.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept(), freeing the port
        except OSError:
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn) -> None:
        paramiko = _paramiko()
        standin = self
        commands: dict[int, str] = {}
        forwards: dict[int, tuple[str, int]] = {}
        ready = threading.Condition()

        class Server(paramiko.ServerInterface):
            def check_auth_publickey(self, username, key):
                ok = any(key.get_name() == k.get_name() and key.asbytes() == k.asbytes() for k in standin.authorized)
                return paramiko.AUTH_SUCCESSFUL if ok else paramiko.AUTH_FAILED

            def get_allowed_auths(self, username):
                return "publickey"

            def check_channel_request(self, kind, chanid):
                return paramiko.OPEN_SUCCEEDED if kind == "session" else \
                    paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

            def check_channel_direct_tcpip_request(self, chanid, origin, destination):
                to = standin.forward(*destination) if standin.forward else None
                if to is None:
                    return paramiko.OPEN_FAILED_CONNECT_FAILED
                forwards[chanid] = to
                return paramiko.OPEN_SUCCEEDED

            def check_channel_exec_request(self, channel, command):
                with ready:
                    commands[channel.get_id()] = command.decode(errors="replace")
                    ready.notify_all()
                return True

        try:
            t = paramiko.Transport(conn)
            t.add_server_key(self.host_key)
            t.set_subsystem_handler("sftp", paramiko.SFTPServer, _make_sftp(self.root))
            t.start_server(server=Server())
            while t.is_active() and not self.stopped.is_set():
                chan = t.accept(1)
                if chan is None:
                    continue
                if chan.get_id() in forwards:
                    threading.Thread(target=_pipe, args=(chan, forwards.pop(chan.get_id())), daemon=True).start()
                    continue
                with ready:
                    ready.wait_for(lambda c=chan: c.get_id() in commands or c.closed or not t.is_active(), 5)
                    command = commands.pop(chan.get_id(), None)
                if command is None:
                    continue  # an sftp channel: the subsystem handler serves it
                out, err, code = simulate(command, self.info, self.root)
                if out:
                    chan.sendall(out)
                if err:
                    chan.sendall_stderr(err)
                chan.send_exit_status(code)
                chan.close()
        except Exception:  # noqa: BLE001 - a client that goes away mid-handshake ends its connection only
            pass


def _pipe(chan, to: tuple[str, int]) -> None:
    """Bytes both ways between a direct-tcpip channel and a TCP connection to its destination, until one ends."""
    import select

    try:
        sock = socket.create_connection(to, timeout=5)
    except OSError:
        chan.close()
        return
    try:
        while True:
            ready, _, _ = select.select([chan, sock], [], [], 1)
            if chan in ready:
                data = chan.recv(32768)
                if not data:
                    break
                sock.sendall(data)
            if sock in ready:
                data = sock.recv(32768)
                if not data:
                    break
                chan.sendall(data)
            if chan.closed:
                break
    except OSError:
        pass
    finally:
        sock.close()
        chan.close()


def _parse_public(line: str):
    paramiko = _paramiko()
    parts = line.split()
    return paramiko.PKey.from_type_string(parts[0], __import__("base64").b64decode(parts[1]))


def serve(authorized: list[str], host_key=None, info: dict | None = None, root: str | None = None,
          port: int = 0, forward=None) -> StandIn:
    return StandIn(authorized, host_key, info, root, port, forward)
