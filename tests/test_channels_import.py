"""channels import: msmtp accounts and SMTP_* variables become draft channels, never a password."""

from __future__ import annotations

from pathlib import Path

import pytest

from console import store
from console.cli import main

PASSWORD = "Imported-Canary-93"
MSMTPRC = f"""\
# two accounts and a default
defaults
tls on
timeout 20

account work
host smtp.office365.com
port 587
auth on
user "bob@contoso.com"
from bob@contoso.com
passwordeval "pass show mail/work"

account gm : work
host smtp.gmail.com
port 465
tls_starttls off
user bob@gmail.com
from bob@gmail.com
password {PASSWORD}

account default : gm
"""


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    return code, out + err


def test_msmtp_default_account_becomes_a_draft(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "msmtprc").write_text(MSMTPRC)
    code, said = _run(["channels", "import", "--from", "msmtp", str(tmp_path / "msmtprc")], capsys)
    assert code == 0, said
    file = channels_dir / "gm.toml"
    channel = store.read(file).channel
    assert (channel.provider, channel.server.host, channel.server.port) == (
        "gmail",
        "smtp.gmail.com",
        465,
    )
    assert channel.server.security == "tls"
    assert channel.server.timeout == 20
    assert (channel.auth.username, channel.sender.address) == ("bob@gmail.com", "bob@gmail.com")
    assert channel.auth.secret == "prompt"
    assert PASSWORD not in file.read_text()
    assert "was not imported" in said


def test_msmtp_named_account_with_starttls(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "msmtprc").write_text(MSMTPRC)
    argv = ["channels", "import", "--from", "msmtp", str(tmp_path / "msmtprc")]
    code, said = _run([*argv, "--account", "work", "--name", "o365"], capsys)
    assert code == 0, said
    channel = store.read(channels_dir / "o365.toml").channel
    assert (channel.provider, channel.server.port, channel.server.security) == (
        "office365",
        587,
        "starttls",
    )
    assert "command:pass show mail/work" in said


@pytest.mark.parametrize(
    ("text", "account", "said"),
    [
        (MSMTPRC, "nope", "msmtprc: account: no account 'nope'"),
        ("account a\nhost h\naccount b\nhost i\n", None, "account: choose one with --account"),
        ("account a\nport 25\n", None, "msmtprc:1: host: is missing"),
        ("account a\nhost h\nport x\n", None, "msmtprc:1: port: must be a port number"),
    ],
)
def test_msmtp_problems_exit_2_naming_file_and_field(
    text: str,
    account: str | None,
    said: str,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "msmtprc").write_text(text)
    argv = ["channels", "import", "--from", "msmtp", str(tmp_path / "msmtprc")]
    code, output = _run([*argv, *(["--account", account] if account else [])], capsys)
    assert code == 2
    assert said in output
    assert list(channels_dir.iterdir()) == []


def test_env_export_imports_back_to_the_same_channel(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["channels", "new", "--provider", "sendgrid", "--name", "news"]
    assert main([*argv, "--from", "news@example.com", "--display-name", "The News"]) == 0
    assert main(["export", "news", "--to", "env", "--output", str(tmp_path / "news.env")]) == 0
    code, said = _run(
        ["channels", "import", "--from", "env", str(tmp_path / "news.env"), "--name", "back"],
        capsys,
    )
    assert code == 0, said
    before = store.read(channels_dir / "news.toml").channel
    after = store.read(channels_dir / "back.toml").channel
    assert after.server == before.server
    assert after.sender == before.sender
    assert (after.provider, after.auth.method, after.auth.username) == (
        before.provider,
        before.auth.method,
        before.auth.username,
    )


def test_env_from_the_process_environment(
    channels_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("SMTP_PORT", "465")
    monkeypatch.setenv("SMTP_USER", "app")
    monkeypatch.setenv("SMTP_PASSWORD", PASSWORD)
    code, said = _run(["channels", "import", "--from", "env"], capsys)
    assert code == 0, said
    channel = store.read(channels_dir / "env.toml").channel
    assert (channel.provider, channel.server.security, channel.auth.username) == (
        "custom",
        "tls",
        "app",
    )
    assert PASSWORD not in (channels_dir / "env.toml").read_text()


def test_env_without_a_host_exits_2(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.env").write_text("SMTP_PORT=587\n")
    code, said = _run(["channels", "import", "--from", "env", str(tmp_path / "x.env")], capsys)
    assert code == 2
    assert "x.env: SMTP_HOST: is missing" in said
