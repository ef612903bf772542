"""launch's pure pieces in-process: --ttl parsing, the user data (TTL timer first, init scripts, the 16 KB limit),
init names, and the key file that is never overwritten."""

from __future__ import annotations

import re

import pytest
from _awswiz.compute import keys, userdata
from _awswiz.shell.errors import BadInput


@pytest.mark.parametrize("value,seconds", [("90m", 5400), ("2h", 7200), ("1d12h", 129600), ("1h30m", 5400)])
def test_ttl_parses(value, seconds):
    assert userdata.parse_ttl(value) == seconds


@pytest.mark.parametrize("value", ["soon", "0h", "", "31d", "2x", "-1h"])
def test_ttl_refused(value):
    with pytest.raises(BadInput):
        userdata.parse_ttl(value)


def test_user_data_sets_the_timer_first_and_joins_init_scripts(tmp_path):
    a = tmp_path / "a.sh"
    a.write_text("echo one\n")
    text = userdata.build([a, userdata.resolve_init("idle_stop")], "2026-12-01 10:00:00")
    assert text.startswith("#!/bin/bash\n")
    assert "OnCalendar=2026-12-01 10:00:00 UTC" in text and "Persistent=true" in text
    assert text.index("awswiz-ttl.timer") < text.index("echo one") < text.index("awswiz-idle")
    assert all(re.search(rf"^AWSWIZ_INIT_{i}_[0-9a-f]{{16}}$", text, re.M) for i in (0, 1))


def test_user_data_over_16_kb_is_bad_input(tmp_path):
    # EC2 User Guide, "Run commands when you launch an EC2 instance with user data input": 16 KB raw
    big = tmp_path / "big.sh"
    big.write_text("#" * (16 * 1024))
    with pytest.raises(BadInput, match="16 KB"):
        userdata.build([big], None)


def test_init_names_and_missing_files():
    assert {"nvidia_check", "uv_env", "instance_store", "idle_stop"} <= set(userdata.library())
    with pytest.raises(BadInput, match="nvidia_check"):
        userdata.resolve_init("no_such_script")


def test_key_file_is_0600_and_never_overwritten(tmp_path, monkeypatch):
    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "st"))
    pub = keys.generate("k1")
    path = keys.key_file("k1")
    assert pub.startswith("ssh-ed25519 ") and oct(path.stat().st_mode & 0o777) == "0o600"
    before = path.read_text()
    with pytest.raises(FileExistsError):
        keys.generate("k1")
    assert path.read_text() == before
    assert keys.load("k1").get_name() == "ssh-ed25519"


def test_forget_drops_only_that_address(tmp_path, monkeypatch):
    from _awswiz.compute import ssh
    from _awswiz.shell import state

    monkeypatch.setenv("AWSWIZ_STATE_DIR", str(tmp_path / "st"))
    state.write_text(ssh.known_hosts_path(), "[127.0.0.1]:2222 ssh-ed25519 AAAA\n10.0.0.1 ssh-ed25519 BBBB\n")
    ssh.forget("127.0.0.1", 2222)
    assert ssh.known_hosts_path().read_text() == "10.0.0.1 ssh-ed25519 BBBB\n"


@pytest.mark.parametrize("value,expired,why", [
    ("9999-12-31T23:59:59+00:00", False, "not expired"),
    ("0001-01-01T00:00:00+00:00", True, None),
    # the same wall clock in another zone is year 10000 / year 0 in UTC: outside what a date holds, so the tag is
    # unreadable (kept, as every malformed expiry), never a crash of reap or instance_status
    ("9999-12-31T23:59:59-05:00", False, "outside the years 1-9999"),
    ("0001-01-01T00:00:00+05:00", False, "outside the years 1-9999"),
])
def test_expiry_at_the_ends_of_the_calendar(value, expired, why):
    import datetime as dt

    from _awswiz.removal import expiry

    got, reason = expiry.judge({"awswiz:managed": "true", "awswiz:expires-at": value},
                               dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    assert got is expired and (reason is None if why is None else why in reason)
