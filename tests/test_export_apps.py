"""Laravel, Spring and env exports: parsed, checked against the documented keys, then used to send.

No PHP or Java runs here: each test reads the output the way the framework does (a .env
file, a .properties file) and sends through the simulator with smtplib, making the calls the
framework's mailer makes for those settings (Symfony Mailer, Jakarta Mail).
"""

from __future__ import annotations

import smtplib
import ssl
from pathlib import Path

import pytest

from console.channel import Security
from console.export.imports import read_env_file
from tests.export_helpers import SECRET, export, rehearsal, smtp_connection

MESSAGE = b"Subject: exported\r\n\r\nsent with exported settings\r\n"
CASES = [("office365", "starttls"), ("gmail", "tls")]
# The MAIL_* variables Laravel 11's config/mail.php reads.
LARAVEL_KEYS = {
    "MAIL_MAILER",
    "MAIL_SCHEME",
    "MAIL_URL",
    "MAIL_HOST",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_EHLO_DOMAIN",
    "MAIL_FROM_ADDRESS",
    "MAIL_FROM_NAME",
    "MAIL_LOG_CHANNEL",
}
# Spring Boot's spring.mail.* (MailProperties) and the Jakarta Mail SMTP properties used.
SPRING_KEYS = {
    "host",
    "port",
    "username",
    "password",
    "protocol",
    "default-encoding",
    "test-connection",
    "jndi-name",
}
JAKARTA_SMTP = {
    "auth",
    "auth.mechanisms",
    "starttls.enable",
    "starttls.required",
    "ssl.enable",
    "connectiontimeout",
    "timeout",
    "writetimeout",
    "from",
    "localhost",
    "ssl.trust",
}


def _pairs(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def _login(connection: smtplib.SMTP, user: str, secret: str, mechanism: str) -> None:
    method = {"LOGIN": connection.auth_login, "PLAIN": connection.auth_plain}[mechanism]
    connection.user, connection.password = user, secret
    connection.ehlo_or_helo_if_needed()
    code, said = connection.auth(mechanism, method)  # smtplib returns a 503 instead of raising
    assert code == 235, said


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_laravel_env_sends_as_symfony_mailer_would(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with rehearsal(channels_dir, provider, security) as run:
        path = tmp_path / ".env"
        path.write_text(export(capsys, "app", "--to", "laravel"))
        env = read_env_file(path)
        assert set(env) <= LARAVEL_KEYS, set(env) - LARAVEL_KEYS
        assert "MAIL_PASSWORD" not in env
        assert env["MAIL_SCHEME"] == ("smtps" if security == "tls" else "smtp")
        context = run.simulator.client_ssl_context()
        host, port = env["MAIL_HOST"], int(env["MAIL_PORT"])
        # Symfony: smtps is TLS from the first byte; smtp upgrades whenever STARTTLS is offered.
        connection = smtp_connection(
            host, port, implicit=env["MAIL_SCHEME"] == "smtps", context=context
        )
        with connection:
            connection.ehlo()
            if env["MAIL_SCHEME"] == "smtp" and connection.has_extn("starttls"):
                connection.starttls(context=context)
                connection.ehlo()
            assert isinstance(connection.sock, ssl.SSLSocket)
            connection.login(env["MAIL_USERNAME"], SECRET)
            connection.sendmail(env["MAIL_FROM_ADDRESS"], ["bob@example.net"], MESSAGE)
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_spring_properties_send_as_jakarta_mail_would(
    provider: str,
    security: Security,
    channels_dir: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with rehearsal(channels_dir, provider, security) as run:
        properties = _pairs(export(capsys, "app", "--to", "spring"))
        mail = {k[len("spring.mail.") :]: v for k, v in properties.items()}
        smtp = {
            k[len("properties.mail.smtp.") :]: v
            for k, v in mail.items()
            if k.startswith("properties.mail.smtp.")
        }
        plain = {k for k in mail if not k.startswith("properties.")}
        assert plain <= SPRING_KEYS, plain - SPRING_KEYS
        assert set(smtp) <= JAKARTA_SMTP, set(smtp) - JAKARTA_SMTP
        assert mail["password"] == "${SMTP_PASSWORD}"
        context = run.simulator.client_ssl_context()
        host, port = mail["host"], int(mail["port"])
        timeout = int(smtp["timeout"]) / 1000
        implicit = smtp.get("ssl.enable") == "true"
        connection = smtp_connection(
            host, port, implicit=implicit, context=context, timeout=timeout
        )
        with connection:
            connection.ehlo()
            if smtp.get("starttls.enable") == "true":
                if smtp.get("starttls.required") == "true":
                    assert connection.has_extn("starttls")
                connection.starttls(context=context)
                connection.ehlo()
            assert smtp["auth"] == "true"
            _login(connection, mail["username"], SECRET, smtp["auth.mechanisms"])
            connection.sendmail(smtp["from"], ["bob@example.net"], MESSAGE)
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_env_variables_send_as_they_say(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with rehearsal(channels_dir, provider, security) as run:
        path = tmp_path / "smtp.env"
        path.write_text(export(capsys, "app", "--to", "env"))
        env = read_env_file(path)
        assert "SMTP_PASSWORD" not in env
        assert env["SMTP_SECURE"] == ("true" if security == "tls" else "false")
        context = run.simulator.client_ssl_context()
        host, port = env["SMTP_HOST"], int(env["SMTP_PORT"])
        connection = smtp_connection(
            host, port, implicit=env["SMTP_SECURITY"] == "tls", context=context
        )
        with connection:
            if env["SMTP_SECURITY"] == "starttls":
                connection.starttls(context=context)
            _login(connection, env["SMTP_USERNAME"], SECRET, env["SMTP_AUTH_METHOD"].upper())
            connection.sendmail(env["SMTP_FROM"], ["bob@example.net"], MESSAGE)
        [stored] = run.simulator.mailbox.messages
    assert stored.user == run.channel.auth.username
