"""What each export says for each kind of connection, and the command's contract."""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

import pytest

from console.channel import Security
from console.cli import main
from console.export import FORMATS, Context, render, tool_version
from console.export.imports import from_msmtp
from tests.export_helpers import channel_for

# For each format, a line that must appear for each security (None: must not appear).
EXPECTED: dict[str, dict[Security, tuple[str, ...]]] = {
    "postfix": {
        "tls": ("smtp_tls_wrappermode = yes", "smtp_tls_security_level = encrypt"),
        "starttls": ("smtp_tls_security_level = encrypt",),
        "none": ("smtp_tls_security_level = none",),
    },
    "msmtp": {
        "tls": ("tls on", "tls_starttls off"),
        "starttls": ("tls on", "tls_starttls on"),
        "none": ("tls off",),
    },
    "django": {
        "tls": ("EMAIL_USE_TLS = False", "EMAIL_USE_SSL = True"),
        "starttls": ("EMAIL_USE_TLS = True", "EMAIL_USE_SSL = False"),
        "none": ("EMAIL_USE_TLS = False", "EMAIL_USE_SSL = False"),
    },
    "laravel": {
        "tls": ("MAIL_SCHEME=smtps", "# MAIL_ENCRYPTION=ssl"),
        "starttls": ("MAIL_SCHEME=smtp", "# MAIL_ENCRYPTION=tls"),
        "none": ("MAIL_SCHEME=smtp", "# MAIL_ENCRYPTION=null"),
    },
    "spring": {
        "tls": ("spring.mail.properties.mail.smtp.ssl.enable=true",),
        "starttls": ("spring.mail.properties.mail.smtp.starttls.required=true",),
        "none": ("spring.mail.protocol=smtp",),
    },
    "nodemailer": {
        "tls": ("  secure: true,",),
        "starttls": ("  secure: false,", "  requireTLS: true,"),
        "none": ("  secure: false,", "  ignoreTLS: true,"),
    },
    "env": {
        "tls": ("SMTP_SECURITY=tls", "SMTP_SECURE=true"),
        "starttls": ("SMTP_SECURITY=starttls", "SMTP_SECURE=false", "SMTP_STARTTLS=true"),
        "none": ("SMTP_SECURITY=none", "SMTP_SECURE=false"),
    },
    "swaks": {
        "tls": ("--tls-on-connect",),
        "starttls": ("--tls ",),
        "none": ("--server",),
    },
}
ABSENT: dict[str, dict[Security, tuple[str, ...]]] = {
    "postfix": {"starttls": ("wrappermode",), "none": ("encrypt",)},
    "msmtp": {"none": ("tls_starttls",)},
    "spring": {"tls": ("starttls",), "starttls": ("ssl.enable",)},
    "swaks": {"starttls": ("--tls-on-connect",), "none": ("--tls",)},
}


def _context(security: Security, provider: str = "custom") -> Context:
    return Context(channel_for(provider, security), "app", "9.9.9")


def test_every_format_is_covered_here() -> None:
    assert set(EXPECTED) == set(FORMATS)


@pytest.mark.parametrize("name", sorted(FORMATS))
@pytest.mark.parametrize("security", ["tls", "starttls", "none"])
def test_each_format_secures_the_connection_as_the_channel_does(
    name: str, security: Security
) -> None:
    text = render(name, _context(security))
    for line in EXPECTED[name][security]:
        assert line in text, f"{name}/{security}: missing {line!r}"
    for absent in ABSENT.get(name, {}).get(security, ()):
        assert absent not in text, f"{name}/{security}: unexpected {absent!r}"


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_export_says_where_it_goes_and_who_wrote_it(name: str) -> None:
    text = render(name, _context("starttls"))
    head = text.splitlines()[:2]
    assert head[0].split(" ", 1)[1].startswith("Goes in: ")
    assert "smtp-console 9.9.9" in head[1]
    assert "smtp-console channels secret --print app" in text


def test_msmtp_never_has_an_inline_password() -> None:
    text = render("msmtp", _context("starttls"))
    assert not any(line.startswith("password ") for line in text.splitlines())
    assert "passwordeval smtp-console channels secret --print app" in text


OAUTH_CHANNEL = """\
name = "mail"
provider = "office365"
[server]
host = "smtp.office365.com"
port = 587
security = "starttls"
[auth]
method = "{method}"
username = "alice@contoso.com"
secret = "oauth"
[sender]
from = "alice@contoso.com"
"""


@pytest.mark.parametrize("method", ["xoauth2", "oauthbearer"])
def test_an_oauth_channel_asks_smtp_console_for_a_fresh_token(
    method: str, channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (channels_dir / "mail.toml").write_text(OAUTH_CHANNEL.format(method=method))
    outputs = {}
    for name in ("msmtp", "postfix", "nodemailer", "spring"):
        assert main(["export", "mail", "--to", name]) == 0
        outputs[name] = capsys.readouterr().out
    token = f"smtp-console oauth token {channels_dir / 'mail.toml'}"
    assert f"auth {method}\n" in outputs["msmtp"]
    assert f"passwordeval {token}\n" in outputs["msmtp"]
    assert "smtp_sasl_mechanism_filter = xoauth2" in outputs["postfix"]
    assert "sasl-xoauth2" in outputs["postfix"]
    assert 'type: "OAuth2"' in outputs["nodemailer"]
    assert "auth.mechanisms=XOAUTH2" in outputs["spring"]


def test_list_names_every_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--list"]) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == list(FORMATS)


def test_output_goes_to_a_new_file_readable_by_its_owner_only(
    channels_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["channels", "new", "--provider", "gmail", "--name", "g"]) == 0
    target = tmp_path / "msmtprc"
    assert main(["export", "g", "--to", "msmtp", "--output", str(target)]) == 0
    assert capsys.readouterr().out.count("account g") == 0
    assert "account g\n" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert f"smtp-console {tool_version()}" in target.read_text()


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (["export", "nothere", "--to", "env"], "no such channel file"),
        (["export", "--to", "env"], "needs CHANNEL"),
        (["export", "g", "--to", "sendmail"], "invalid choice"),
    ],
)
def test_bad_input_exits_2(
    argv: list[str], said: str, channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["channels", "new", "--provider", "gmail", "--name", "g"]) == 0
    capsys.readouterr()
    assert main(argv) == 2
    assert said in capsys.readouterr().err


def test_msmtp_values_with_spaces_read_back_as_written(tmp_path: Path) -> None:
    channel = channel_for("custom", "starttls")
    channel = replace(channel, auth=replace(channel.auth, username='team "ops" mail'))
    path = tmp_path / "msmtprc"
    path.write_text(render("msmtp", Context(channel, "app", "1")))
    assert from_msmtp(path, "app").username == 'team "ops" mail'
