"""Postmark's server token is user name and password: the file leaves the user name empty."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from console import store
from console.channel import Channel, draft, login_name, secret_is_username
from console.check import run_check
from console.cli import main
from console.export import Context, render
from console.export.postfix import secret_line
from console.tui.rehearsal import Rehearsal
from simulator.profile import load
from simulator.server import Simulator, in_background
from simulator.session import TOKEN_USER
from simulator.state import Account
from tests.clients import need
from tests.export_helpers import export, rehearsal, run_msmtp, run_swaks

TOKEN = "pm-server-token-5f0c2a7e"
REFUSED = "535 5.7.8 Error: authentication failed: UGFzc3dvcmQ6"
SENDER = "app@example.com"


def postmark_channel(username: str = "", secret: str = "env:PM_TEST_TOKEN") -> Channel:
    return draft(load("postmark"), "pm", username=username, from_address=SENDER, secret=secret)


@pytest.fixture
def channel_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PM_TEST_TOKEN", TOKEN)
    path = tmp_path / "pm.toml"
    store.save(postmark_channel(), path, profile=load("postmark"))
    assert TOKEN not in path.read_text()
    return path


def test_the_login_name_is_the_secret_only_where_the_channel_leaves_it_to_the_token() -> None:
    assert secret_is_username(postmark_channel())
    assert login_name(postmark_channel(), TOKEN) == TOKEN
    assert login_name(postmark_channel(username="access-key"), TOKEN) == "access-key"
    sendgrid = draft(load("sendgrid"), "sg", username="apikey", from_address=SENDER)
    assert not secret_is_username(sendgrid)


@pytest.mark.parametrize("user", ["", "someone-else", TOKEN.upper()[:-1]])
def test_simulated_postmark_refuses_any_other_user_name_with_its_own_reply(user: str) -> None:
    swaks = need("swaks")
    simulator = Simulator("postmark", accounts=[Account(TOKEN, TOKEN)])
    with in_background(simulator):
        replies = {}
        for name in (user, TOKEN):
            # The password reaches swaks through its environment, as an admin would pass it.
            env = {**os.environ, "SWAKS_OPT_auth_user": name, "SWAKS_OPT_auth_password": TOKEN}
            done = subprocess.run(
                [swaks, "--server", "127.0.0.1", "--port", str(simulator.port), "--tls"]
                + ["--auth", "LOGIN", "--from", SENDER, "--to", "b@example.org"]
                + ["--quit-after", "AUTH"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            replies[name] = done.stdout
    assert REFUSED in replies[user]
    assert "235 2.7.0 Authentication successful" in replies[TOKEN]


def test_check_signs_in_with_the_token_as_user_name(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", str(channel_file), "--simulate", "--send", "--to", "b@example.org"]
    code = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert TOKEN not in out + err
    stages = {s["name"]: s["status"] for s in json.loads(out)["stages"]}
    assert stages["auth"] == "ok" and stages["data"] == "ok"


def test_check_with_another_user_name_gets_postmarks_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PM_TEST_TOKEN", TOKEN)
    path = tmp_path / "pm.toml"
    store.save(postmark_channel(username="someone-else"), path, profile=load("postmark"))
    code = main(["check", str(path), "--simulate"])
    out, err = capsys.readouterr()
    assert code == 1
    assert REFUSED in out and TOKEN not in out + err


def test_burst_signs_in_with_the_token_as_user_name(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["burst", str(channel_file), "--count", "3", "--simulate", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert TOKEN not in out + err


async def test_the_consoles_rehearsal_signs_in_as_postmark_wants() -> None:
    rehearsal = Rehearsal()
    channel = postmark_channel(secret="prompt")
    try:
        simulator = await rehearsal.start("postmark")
        for typed in (TOKEN, ""):  # the typed token, or the rehearsal's stand-in
            report = await run_check(rehearsal.target(channel, simulator, typed))
            assert report.passed, report.diagnosis
            text = "\n".join(line.text for line in report.transcript)
            assert "********" in text and TOKEN not in text
        assert rehearsal.login(channel, TOKEN) == TOKEN
        assert {m.user for m in simulator.mailbox.messages} == {TOKEN_USER}
        rehearsal.active.add("wrong-password")
        report = await run_check(rehearsal.target(channel, simulator, TOKEN))
        assert not report.passed and report.diagnosis and report.diagnosis.reply == REFUSED
    finally:
        await rehearsal.stop()


def test_msmtp_and_swaks_exports_take_the_user_name_from_the_secret_store(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msmtp, _ = need("msmtp"), need("swaks")
    with rehearsal(channels_dir, "postmark", "starttls") as run:
        config = export(capsys, "app", "--to", "msmtp")
        assert "\nuser " not in config and "eval printf 'user %s\\n'" in config
        sent = run_msmtp(msmtp, run, config, tmp_path, b"Subject: exported\r\n\r\nby msmtp\r\n")
        assert sent.returncode == 0, sent.stderr.decode()
        command = export(capsys, "app", "--to", "swaks")
        assert "--auth-user" not in command
        done = run_swaks(command, run)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert [m.user for m in run.simulator.mailbox.messages] == [TOKEN_USER, TOKEN_USER]


@pytest.mark.parametrize(
    ("name", "user_line"),
    [
        ("django", 'EMAIL_HOST_USER = os.environ.get("SMTP_PASSWORD", "")'),
        ("laravel", 'MAIL_USERNAME="${MAIL_PASSWORD}"'),
        ("spring", "spring.mail.username=${SMTP_PASSWORD}"),
        ("nodemailer", "auth: { user: process.env.SMTP_PASSWORD, pass: process.env.SMTP_PASSWORD"),
        ("env", 'export SMTP_USERNAME="$SMTP_PASSWORD"'),
        ("postfix", "[smtp.postmarkapp.com]:587 SECRET:SECRET"),
    ],
)
def test_app_exports_name_the_secret_as_user_name(name: str, user_line: str) -> None:
    context = Context(postmark_channel(), "pm", "test")
    text = render(name, context)
    assert user_line in text
    assert "SMTP_USERNAME=" not in text.replace('export SMTP_USERNAME="', "")
    assert secret_line(context, TOKEN) == f"[smtp.postmarkapp.com]:587 {TOKEN}:{TOKEN}\n"
