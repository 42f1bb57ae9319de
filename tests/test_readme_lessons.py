"""Every README example that names a lesson or a burst result, run as written."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from console.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
PREFIX = "uv run smtp-console "


def example(command: str) -> list[str]:
    """The argv of a README command (without its comment), after checking it is in the README."""
    lines = [line.split("#")[0].strip() for line in README.splitlines()]
    assert PREFIX + command in lines, f"not a README example: {command}"
    return shlex.split(command)


@pytest.fixture
def alice(channels_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = "channels new --provider office365 --name alice \\\n    --username alice@contoso.com"
    assert PREFIX + new in README
    assert main(shlex.split(new.replace("\\\n", ""))) == 0
    capsys.readouterr()


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_alice_simulate_passes(alice: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(example("check alice --simulate"), capsys)
    assert code == 0 and "passed in" in out


def test_the_password_changed_lesson_bites_alice_at_auth(
    alice: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(example("check alice --simulate=password-changed"), capsys)
    assert code == 1
    assert "failed at auth" in out and "535 5.7.3 Authentication unsuccessful" in out
    assert "lesson: The password changed, 10m" in err
    code, out, _ = run([*example("check alice --simulate=password-changed"), "--at", "5m"], capsys)
    assert code == 0, out  # before the reset the channel's password still works
    assert "`--at 5m`" in README


def test_check_alice_simulate_send(alice: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(example("check alice --simulate --send --to bob@example.org"), capsys)
    assert code == 0 and "passed in" in out


@pytest.mark.parametrize(
    "command",
    [
        "burst alice --count 40 --rate 60 --simulate --json",
        "burst alice --simulate --count 40 --rate 60 --json",
    ],
)
def test_burst_at_60_a_minute_is_30_on_time_and_10_delayed(
    alice: None, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(example(command), capsys)
    data = json.loads(out)
    assert code == 0 and (data["accepted"], data["delayed"]) == (30, 10)
    assert "30 accepted on time, 10 held back (`delayed`)" in README


def test_burst_text_summary_says_30_and_10(alice: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(example("burst alice --simulate --count 40 --rate 60"), capsys)
    assert code == 0
    assert re.search(r"^\s*accepted on time\s+30$", out, re.M), out
    assert re.search(r"^\s*delayed\s+10\b", out, re.M), out


def test_at_the_channels_own_pacing_all_40_go_through_on_time(
    alice: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert "At the channel's own pacing (30 a minute) all 40 go through on time." in README
    code, out, _ = run(["burst", "alice", "--count", "40", "--simulate", "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and (data["accepted"], data["delayed"]) == (40, 0)


def test_list_lessons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(example("simulate --list-lessons"), capsys)
    assert code == 0
    for name in ("password-changed", "gmail-no-app-password", "ses-sandbox"):
        assert name in out and f"`{name}`" in README


def test_simulate_a_lesson_prints_its_rehearsal_credentials(tmp_path: Path) -> None:
    argv = example("simulate --scenario password-changed --ca-out ca.pem")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # As written, plus --port 0: tests run side by side and 2525 may be taken.
    cmd = [sys.executable, "-m", "console", *argv, "--port", "0"]
    with subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, text=True, env=env) as proc:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(12)]
        proc.terminate()
        proc.wait(timeout=30)
    text = "".join(lines)
    assert "alice@contoso.com: password Winter-2026-old" in text
    assert "alice@contoso.com: password Winter-2026-old" in README
    assert (tmp_path / "ca.pem").is_file()
