"""smtp-console channels new|list|show|validate|secret, run as a user would."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from console import store
from console.cli import main
from simulator.profile import load, profiles_dir
from tests.conftest import MemoryKeyring


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run the CLI in this process; returns (exit code, stdout, stderr)."""
    if stdin is not None:
        sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def new_alice(capsys: pytest.CaptureFixture[str], *extra: str) -> None:
    code, _, err = run(
        capsys,
        *("channels", "new", "--provider", "office365", "--name", "alice"),
        *("--username", "alice@contoso.com", *extra),
    )
    assert code == 0, err


def test_new_writes_a_commented_draft_that_validates(
    capsys: pytest.CaptureFixture[str], channels_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        *("channels", "new", "--provider", "office365", "--name", "alice"),
        *("--username", "alice@contoso.com"),
    )
    path = channels_dir / "alice.toml"
    assert code == 0
    assert f"Wrote {path}" in out
    assert "smtp-console channels secret alice" in out
    text = path.read_text()
    assert "# the mailbox's full address" in text
    assert 'host = "smtp.office365.com"' in text
    assert run(capsys, "channels", "validate", "alice")[0] == 0


def test_new_lists_what_is_left_to_fill_in(
    capsys: pytest.CaptureFixture[str], channels_dir: Path
) -> None:
    code, out, _ = run(capsys, "channels", "new", "--provider", "gmail", "--name", "bob")
    assert code == 0
    assert "Still to fill in or fix:" in out
    assert f"{channels_dir / 'bob.toml'}:" in out and "auth.username: is empty" in out


def test_new_takes_every_override(capsys: pytest.CaptureFixture[str], channels_dir: Path) -> None:
    code, _, err = run(
        capsys,
        *("channels", "new", "--provider", "custom", "--name", "own"),
        *("--username", "app", "--from", "app@corp.example", "--host", "mail.corp.example"),
        *("--port", "2525", "--secret", "env:OWN_SMTP", "--display-name", "Build bot"),
    )
    assert code == 0, err
    channel = store.read(channels_dir / "own.toml").channel
    assert (channel.server.host, channel.server.port, channel.server.security) == (
        "mail.corp.example",
        2525,
        "starttls",
    )
    assert (channel.auth.username, channel.auth.secret) == ("app", "env:OWN_SMTP")
    assert channel.sender.header == "Build bot <app@corp.example>"


def test_new_never_overwrites(capsys: pytest.CaptureFixture[str], channels_dir: Path) -> None:
    new_alice(capsys)
    before = (channels_dir / "alice.toml").read_bytes()
    code, _, err = run(capsys, "channels", "new", "--provider", "gmail", "--name", "alice")
    assert code == 2
    assert "already exists" in err
    assert (channels_dir / "alice.toml").read_bytes() == before


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--provider", "nope", "--name", "x"], "--provider: unknown provider 'nope' (known: "),
        (["--provider", "gmail", "--name", "../x"], "--name: must be"),
        (["--provider", "gmail", "--name", "x", "--secret", "hunter2hunter2"], "--secret: "),
        (["--provider", "gmail", "--name", "x", "--port", "abc"], "invalid int value"),
        (["--provider", "gmail", "--name", "x", "--port", "0"], "--port: must be between 1"),
        (["--provider", "gmail", "--name", "x", "--port", "70000"], "--port: must be between"),
    ],
)
def test_new_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, argv: list[str], says: str
) -> None:
    code, out, err = run(capsys, "channels", "new", *argv)
    assert code == 2
    assert says in err
    assert "hunter2hunter2" not in out + err
    assert list(channels_dir.iterdir()) == []


def test_new_into_a_folder_that_cannot_hold_it_is_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("keep me")
    argv = ("--channels-dir", str(blocker), "new", "--provider", "gmail", "--name", "x")
    code, out, err = run(capsys, "channels", *argv)
    assert code == 2
    assert err.startswith(f"{blocker / 'x.toml'}: cannot be written: ") and "Traceback" not in err
    assert blocker.read_text() == "keep me"
    code, out, err = run(capsys, "channels", "--channels-dir", str(blocker), "list")
    assert (code, out, err) == (2, "", f"{blocker}: is not a folder (see --channels-dir)\n")


def test_channels_dir_option_and_variable(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    code, _, _ = run(
        capsys,
        *("channels", "--channels-dir", str(elsewhere), "new"),
        *("--provider", "gmail", "--name", "bob"),
    )
    assert code == 0 and (elsewhere / "bob.toml").exists()
    assert "bob" in run(capsys, "channels", "list", "--channels-dir", str(elsewhere))[1]
    assert "No channels in" in run(capsys, "channels", "list")[1]


def test_list_text_and_json(capsys: pytest.CaptureFixture[str], channels_dir: Path) -> None:
    new_alice(capsys)
    (channels_dir / "broken.toml").write_text("provider = [\n")
    code, out, _ = run(capsys, "channels", "list")
    assert code == 0
    assert out.split()[:4] == ["alice", "office365", "smtp.office365.com:587", "starttls"]
    assert f"broken  unreadable: {channels_dir / 'broken.toml'}:2:1:" in out
    rows = json.loads(run(capsys, "channels", "list", "--json")[1])
    assert rows[0]["channel"]["server"]["port"] == 587
    assert "is not valid TOML" in rows[1]["error"]


def test_show_text_and_json(capsys: pytest.CaptureFixture[str], channels_dir: Path) -> None:
    new_alice(capsys)
    code, out, _ = run(capsys, "channels", "show", "alice")
    assert code == 0
    assert "provider  office365  (Office 365 / Exchange Online)" in out
    assert "secret    the system keyring" in out
    assert "problems  none" in out
    data = json.loads(
        run(capsys, "channels", "show", str(channels_dir / "alice.toml"), "--json")[1]
    )
    assert data["channel"]["sender"]["from"] == "alice@contoso.com"
    assert data["problems"] == []


def test_validate_exit_codes_and_lines(
    capsys: pytest.CaptureFixture[str], channels_dir: Path
) -> None:
    new_alice(capsys)
    path = channels_dir / "alice.toml"
    text = path.read_text()
    path.write_text(text.replace('"starttls"', '"tls"').replace('"login"', '"plain"'))
    code, out, _ = run(capsys, "channels", "validate", "alice")
    assert code == 1
    lines = out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:") and "server.security" in lines[0]
    assert "auth.method: Office 365 / Exchange Online does not offer PLAIN" in lines[1]
    report = json.loads(run(capsys, "channels", "validate", "alice", "--json")[1])
    assert report["ok"] is False
    assert [p["field"] for p in report["problems"]] == ["server.security", "auth.method"]
    assert all(p["line"] > 0 for p in report["problems"])


def test_validate_unreadable_is_exit_2_and_leaves_the_file(
    capsys: pytest.CaptureFixture[str], channels_dir: Path
) -> None:
    path = channels_dir / "bad.toml"
    path.write_text('name = "bad"\nprovider = "gmail"\n[server\nport = 1\n')
    code, out, err = run(capsys, "channels", "validate", "bad")
    assert code == 2
    assert err.startswith(f"{path}:3:")
    assert "Traceback" not in err and out == ""
    assert path.read_text().endswith("[server\nport = 1\n")
    code, _, err = run(capsys, "channels", "validate", "missing")
    assert code == 2 and "no such channel file" in err


def test_validate_unknown_provider(capsys: pytest.CaptureFixture[str], channels_dir: Path) -> None:
    new_alice(capsys)
    path = channels_dir / "alice.toml"
    path.write_text(path.read_text().replace('"office365"', '"hotmail"'))
    code, out, _ = run(capsys, "channels", "validate", "alice")
    assert code == 1
    assert "provider: unknown provider 'hotmail' (known: amazon-ses" in out


def test_secret_from_stdin_goes_to_the_keyring(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    new_alice(capsys)
    code, out, _ = run(capsys, "channels", "secret", "alice", stdin="s3cret-value\n")
    assert code == 0
    assert "Stored the secret for alice in the system keyring" in out
    assert list(memory_keyring.passwords.values()) == ["s3cret-value"]
    assert "s3cret-value" not in (channels_dir / "alice.toml").read_text()


def test_secret_without_a_keyring_explains_the_alternatives(
    capsys: pytest.CaptureFixture[str], channels_dir: Path
) -> None:
    new_alice(capsys)
    code, out, err = run(capsys, "channels", "secret", "alice", stdin="s3cret-value\n")
    assert code == 2
    assert "No usable system keyring" in err and "env:NAME" in err and "prompt" in err
    assert f"The channel file to edit: {channels_dir / 'alice.toml'}" in err
    assert "s3cret-value" not in out + err


@pytest.mark.parametrize(
    ("extra", "stdin", "says"),
    [
        (["--secret", "env:ALICE_SMTP"], "x\n", "environment variable ALICE_SMTP"),
        ([], "\n", "No secret was given"),
    ],
)
def test_secret_refusals(
    capsys: pytest.CaptureFixture[str],
    channels_dir: Path,
    memory_keyring: MemoryKeyring,
    extra: list[str],
    stdin: str,
    says: str,
) -> None:
    new_alice(capsys, *extra)
    code, _, err = run(capsys, "channels", "secret", "alice", stdin=stdin)
    assert code == 2
    assert says in err
    assert memory_keyring.passwords == {}


def test_the_installed_command_uses_the_environment_variable(channels_dir: Path) -> None:
    new = [sys.executable, "-m", "console", "channels", "new", "--provider", "sendgrid"]
    done = subprocess.run(
        [*new, "--name", "relay", "--from", "news@example.com"],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (channels_dir / "relay.toml").exists()


def test_secret_on_a_terminal_asks_twice_without_echo(
    capsys: pytest.CaptureFixture[str],
    channels_dir: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    new_alice(capsys)
    answers = iter(["typed-secret", "typed-secret", "one", "other"])
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", fake_getpass)
    assert main(["channels", "secret", "alice"]) == 0
    assert asked == ["Secret for alice: ", "Again, to confirm: "]
    assert list(memory_keyring.passwords.values()) == ["typed-secret"]
    assert main(["channels", "secret", "alice"]) == 2
    assert "The two entries differ." in capsys.readouterr().err
    assert list(memory_keyring.passwords.values()) == ["typed-secret"]


def test_a_malformed_profile_is_exit_2_naming_it(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_alice(capsys)
    profiles = channels_dir.parent / "profiles"
    shutil.copytree(profiles_dir(), profiles)
    office365 = profiles / "office365.toml"
    office365.write_text(office365.read_text().replace("port = 587", 'port = "587"'))
    monkeypatch.setattr("console.commands.channels.load", partial(load, directory=profiles))
    for action in ("show", "validate"):
        code, out, err = run(capsys, "channels", action, "alice")
        assert code == 2
        assert err.startswith(f"{office365}:") and "port" in err
        assert "Traceback" not in err
