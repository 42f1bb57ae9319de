"""Exports run by the real software against the simulator: msmtp, swaks, smtplib as Django does."""

from __future__ import annotations

import smtplib
from pathlib import Path
from typing import Any

import pytest

from console.channel import Security
from tests.export_helpers import SECRET, VARIABLE, export, need, rehearsal, run_msmtp, run_swaks

MESSAGE = b"Subject: exported\r\n\r\nsent with an exported configuration\r\n"
CASES = [("office365", "starttls"), ("gmail", "tls")]


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_msmtp_sends_with_the_exported_account(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    msmtp = need("msmtp")
    with rehearsal(channels_dir, provider, security) as run:
        config = export(capsys, "app", "--to", "msmtp")
        assert "passwordeval smtp-console channels secret --print" in config
        done = run_msmtp(msmtp, run, config, tmp_path, MESSAGE)
        assert done.returncode == 0, done.stderr.decode()
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username
    assert stored.recipients == ("bob@example.net",)
    assert stored.envelope_from == run.channel.sender.address


def test_msmtp_signs_in_with_xoauth2_using_the_token_smtp_console_prints(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msmtp = need("msmtp")
    with rehearsal(channels_dir, "gmail", "starttls", method="xoauth2") as run:
        config = export(capsys, "app", "--to", "msmtp")
        assert "auth xoauth2\n" in config
        done = run_msmtp(msmtp, run, config, tmp_path, MESSAGE)
        assert done.returncode == 0, done.stderr.decode()
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username


def test_msmtp_fails_when_the_secret_is_wrong(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    msmtp = need("msmtp")
    with rehearsal(channels_dir, "office365", "starttls") as run:
        config = export(capsys, "app", "--to", "msmtp")
        done = run_msmtp(
            msmtp, run, config, tmp_path, MESSAGE, env={**run.env, VARIABLE: "not-the-secret"}
        )
        assert done.returncode != 0
        assert run.simulator.mailbox.messages == []


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_swaks_sends_with_the_exported_command(
    provider: str,
    security: Security,
    channels_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    need("swaks")
    with rehearsal(channels_dir, provider, security) as run:
        command = export(capsys, "app", "--to", "swaks")
        done = run_swaks(command, run)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username
    assert stored.recipients == ("bob@example.net",)


# Django's documented EMAIL_* settings (docs.djangoproject.com/en/stable/ref/settings/#email).
DJANGO_SETTINGS = {
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "EMAIL_USE_SSL",
    "EMAIL_TIMEOUT",
    "EMAIL_SSL_CERTFILE",
    "EMAIL_SSL_KEYFILE",
    "EMAIL_SUBJECT_PREFIX",
    "EMAIL_USE_LOCALTIME",
    "DEFAULT_FROM_EMAIL",
    "SERVER_EMAIL",
}


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_django_settings_send_the_way_its_smtp_backend_does(
    provider: str,
    security: Security,
    channels_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with rehearsal(channels_dir, provider, security) as run:
        text = export(capsys, "app", "--to", "django")
        monkeypatch.setenv("SMTP_PASSWORD", SECRET)
        settings: dict[str, Any] = {}
        exec(compile(text, "settings.py", "exec"), settings)
        names = {k for k in settings if k.isupper()}
        assert names <= DJANGO_SETTINGS, names - DJANGO_SETTINGS
        assert not (settings["EMAIL_USE_TLS"] and settings["EMAIL_USE_SSL"])
        _send_like_django(settings, run.simulator.client_ssl_context())
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username


def _send_like_django(settings: dict[str, Any], context: Any) -> None:
    """django.core.mail.backends.smtp.EmailBackend.open() and send, with the same smtplib calls."""
    host, port, timeout = settings["EMAIL_HOST"], settings["EMAIL_PORT"], settings["EMAIL_TIMEOUT"]
    connection: smtplib.SMTP
    if settings["EMAIL_USE_SSL"]:
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    with connection:
        if settings["EMAIL_USE_TLS"]:
            connection.starttls(context=context)
        if settings["EMAIL_HOST_USER"] and settings["EMAIL_HOST_PASSWORD"]:
            connection.login(settings["EMAIL_HOST_USER"], settings["EMAIL_HOST_PASSWORD"])
        connection.sendmail(settings["DEFAULT_FROM_EMAIL"], ["bob@example.net"], MESSAGE)
