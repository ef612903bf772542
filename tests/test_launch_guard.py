"""launch's and connect's guard holes (issue 19): what a user or anyone who can tag controls never becomes a
shell word or a path unquoted; the user data runs each --init file verbatim; downloads never land in .state/."""

from __future__ import annotations

import subprocess

from _awswiz import userdata


def run_user_data(text: str, workdir) -> subprocess.CompletedProcess:
    """Run the generated script as cloud-init would (bash), with its log redirection pointed into workdir."""
    text = text.replace("exec >>/var/log/awswiz-init.log 2>&1", f"exec >>{workdir}/init.log 2>&1")
    script = workdir / "user-data.sh"
    script.write_text(text)
    return subprocess.run(["bash", str(script)], cwd=workdir, capture_output=True, text=True, timeout=30)


def test_init_file_with_the_heredoc_end_marker_runs_verbatim(tmp_path):
    # an init file that contains the old fixed end marker would have ended the heredoc early and run the
    # rest in the outer shell; the file must run as written, in its own bash, and nothing else
    box = tmp_path / "box"
    box.mkdir()
    evil = tmp_path / "evil.sh"
    evil.write_text("echo inside >>ran.txt\nAWSWIZ_INIT_0_EOF\necho escaped >>after.txt\n"
                    "cat <<'EOF'\nnested\nEOF\nprintf '%s\\n' \"$0\" >>ran.txt\n")
    text = userdata.build([evil], None)
    res = run_user_data(text, box)
    assert res.returncode == 0, res.stderr
    # each line of the file ran, in order, inside the init's bash (the marker line is just an unknown command
    # there), and the outer script ran no line of it
    assert (box / "ran.txt").read_text().splitlines() == ["inside", "bash"]
    assert (box / "after.txt").read_text() == "escaped\n"  # ran by the init's bash, as the file says
    assert "nested" in (box / "init.log").read_text()


def test_init_file_name_is_never_a_shell_word(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    named = tmp_path / "x$(touch pwned).sh"
    named.write_text("echo ok >>ran.txt\n")
    text = userdata.build([named], None)
    res = run_user_data(text, box)
    assert res.returncode == 0, res.stderr
    assert not (box / "pwned").exists()  # the name was printed, not run
    assert (box / "ran.txt").read_text() == "ok\n"
    assert "x$(touch pwned).sh" in (box / "init.log").read_text()
