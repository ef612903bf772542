"""SSH key pairs for launch.py: made here (ed25519), the private key written once to .state/keys/NAME.pem
(0600, never overwritten), the public half imported into EC2 (ImportKeyPair), so the private key never
travels."""

from __future__ import annotations

import re
from pathlib import Path

from _awswiz.shell import state
from _awswiz.shell.errors import BadInput

# EC2 takes key names of up to 255 ASCII characters (EC2 API Reference, CreateKeyPair: KeyName); AwsWiz makes and
# reads only this subset, which is also a plain file name (no '/', no leading '.', no newline: \Z, not $)
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\Z")


def key_file(name: str, flag: str = "key name") -> Path:
    """.state/keys/NAME.pem. The name is checked first (it may come from a tag anyone who can tag wrote), and the
    path must stay inside .state/keys."""
    check_name(name, flag)
    folder = state.state_dir("keys")
    path = folder / f"{name}.pem"
    if path.parent != folder or ".." in path.parts:
        raise BadInput(f"{flag} {name!r} would leave {folder}", "")
    return path


def saved(name: str | None) -> Path | None:
    """The private key AwsWiz saved under this name, or None (also for a name AwsWiz would never make)."""
    if not name or not NAME_RE.match(name):
        return None
    path = key_file(name)
    return path if path.exists() else None


def check_name(name: str, flag: str = "--key") -> str:
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise BadInput(f"{flag} {name!r}: use letters, digits, '.', '_' and '-' only (starting with a letter or "
                       "digit, at most 201)", f"e.g. {flag} my-key")
    return name


def generate(name: str) -> str:
    """Make an ed25519 key, write the private half to .state/keys/NAME.pem (refusing to overwrite one),
    return the public half in OpenSSH form."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    state.write_text(key_file(name), private, exclusive=True)  # FileExistsError: never overwritten
    return public_of(name)


def public_of(name: str) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_ssh_private_key(state.read_text(key_file(name)).encode(), None)
    pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return pub.decode() + f" awswiz-{name}"


def load(name: str):
    """The paramiko key object for a saved key."""
    import io

    import paramiko

    text = state.read_text(key_file(name))
    for cls in (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey):
        try:
            return cls.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise BadInput(f"{key_file(name)} is not a private key paramiko can read", "launch with a new key")
