"""Secrets Manager for secret.py and launch.py --secret: the name rule, the value read from standard input or a
file (never a flag: a flag lands in the shell history and the process list), the secret looked up by name, and
the boot script that fetches it on the box with the instance role. The value is never printed, logged, audited
(guard/audit.py redacts SecretString) or written under .state; user data names the secret, never holds it."""

from __future__ import annotations

import re
import shlex
import sys
from pathlib import Path

from _awswiz.shell.errors import BadInput

# Secrets Manager API Reference, CreateSecret Name: "The name can contain ASCII letters, numbers, and the following
# characters: /_+=.@-"; botocore secretsmanager model NameType: 1-512 characters
NAME_RE = re.compile(r"^[A-Za-z0-9/_+=.@-]{1,512}$")
ENV_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")  # a shell variable name (POSIX, "Name")
MAX_VALUE = 65536  # botocore secretsmanager model SecretStringType: 1-65536 characters
NOT_FOUND = "ResourceNotFoundException"
ENV_FILE = ".awswiz/secrets.env"  # in the login user's home, 0600
# the box's own AWS CLI call in its boot script (run there with the instance role: no hint, no --profile)
FETCH = ("aws", "secretsmanager", "get-secret-value")


def check_name(name: str | None, flag: str = "--name") -> str:
    if not name or not NAME_RE.match(name):
        raise BadInput(f"{flag} {name!r} is not a Secrets Manager name: 1-512 ASCII letters, digits and /_+=.@-",
                       f"e.g. {flag} hf/token")
    return name


def parse_mapping(value: str) -> tuple[str, str]:
    """launch.py --secret NAME=ENV_VAR -> (name, env var)."""
    name, sep, env = value.rpartition("=")
    if not sep or not ENV_RE.match(env):
        raise BadInput(f"--secret {value!r} must be NAME=ENV_VAR (ENV_VAR a shell variable name: letters, digits, _)",
                       "e.g. --secret hf/token=HF_TOKEN")
    return check_name(name, "--secret NAME"), env


def read_value(file: str | None, example: str) -> str:
    """The secret's value from --file, else from standard input (piped, never typed at a terminal into a plan)."""
    if file:
        path = Path(file).expanduser()
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise BadInput(f"--file {file}: cannot read it ({type(exc).__name__})", "name a readable text file") \
                from None
    elif sys.stdin is None or sys.stdin.isatty():
        raise BadInput("put reads the value from standard input or --file, never from a flag: nothing was piped in",
                       f"e.g. printf %s \"$VALUE\" | {example}")
    else:
        text = sys.stdin.read()
    text = text[:-1] if text.endswith("\n") and not text.endswith("\n\n") else text  # echo's newline is no part of it
    if not text or len(text) > MAX_VALUE:
        raise BadInput(f"the secret's value must be 1-{MAX_VALUE} characters (got {len(text)})",
                       "pipe the value in, or pass --file PATH")
    return text


def describe(sm, name: str) -> dict | None:
    """DescribeSecret, or None when there is no such secret (ResourceNotFoundException)."""
    from botocore.exceptions import ClientError

    try:
        return sm.describe_secret(SecretId=name)
    except ClientError as exc:
        if exc.response["Error"]["Code"] == NOT_FOUND:
            return None
        raise


def boot_section(mappings: list[tuple[str, str]], user: str) -> str:
    """User data that fetches each secret at boot with the instance role into ~USER/.awswiz/secrets.env (0600, owned
    by the login user), sourced by the login shell. Only names go into user data (readable by anyone with
    DescribeInstanceAttribute): the values come from Secrets Manager on the box, in the box's own region (IMDSv2)."""
    env_file = f"/home/{user}/{ENV_FILE}"
    lines = [
        "# awswiz: secrets fetched with the instance role (names only here)",
        "( umask 077",
        'TOK=$(curl -s -X PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 60")',
        'REGION=$(curl -s -H "X-aws-ec2-metadata-token: $TOK" http://169.254.169.254/latest/meta-data/placement/region)',
        f"mkdir -p {shlex.quote(str(Path(env_file).parent))}",
        f": > {shlex.quote(env_file)}",
    ]
    for name, env in mappings:
        lines.append(f"v=$({' '.join(FETCH)} --region \"$REGION\" --secret-id {shlex.quote(name)} "
                     f"--query SecretString --output text) && printf 'export {env}=%q\\n' \"$v\" >> "
                     f"{shlex.quote(env_file)} || echo {shlex.quote(f'awswiz: could not fetch secret {name}')}")
    lines += [f"chown -R {shlex.quote(user)}: {shlex.quote(str(Path(env_file).parent))}",
              f"chmod 600 {shlex.quote(env_file)}",
              f"grep -q awswiz/secrets.env /home/{user}/.bashrc || echo '[ -f ~/{ENV_FILE} ] && . ~/{ENV_FILE}' >> "
              f"/home/{user}/.bashrc )"]
    return "\n".join(lines) + "\n"
