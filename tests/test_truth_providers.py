"""Where a rehearsal used to pass but the real provider refuses: sign-in shapes, senders, syntax."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_wire import Wire

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load
from simulator.server import Simulator, in_background
from simulator.state import Account
from tests.clients import need

APP_PASSWORD = "abcdefghijklmnop"


def swaks(sim: Simulator, ca: Path, user: str, password: str, *extra: str) -> str:
    """Run swaks against the simulator over STARTTLS; its whole transcript."""
    argv = [need("swaks"), "--server", f"127.0.0.1:{sim.port}", "-tls", "--tls-ca-path", str(ca)]
    argv += ["--auth", "LOGIN", "--auth-user", user, "--auth-password", password]
    argv += ["--to", "bob@example.org", "--timeout", "10", *extra]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


@pytest.fixture
def ca(tmp_path: Path) -> Path:
    return tmp_path / "ca.pem"


def running(provider: str, ca: Path, *accounts: Account) -> Iterator[Simulator]:
    with in_background(Simulator(provider, accounts=accounts, ca_out=ca)) as sim:
        yield sim


def test_gmail_refuses_the_account_password_and_takes_the_app_password(ca: Path) -> None:
    need("swaks")
    two_step = Account("bob@gmail.com", "Winter-2026", app_password=APP_PASSWORD, two_step=True)
    plain = Account("eve@gmail.com", "Winter-2026")
    legacy = Account("old@gmail.com", "Winter-2026", legacy=True)
    for sim in running("gmail", ca, two_step, plain, legacy):
        out = swaks(sim, ca, "bob@gmail.com", "Winter-2026", "--from", "bob@gmail.com")
        assert "534-5.7.9 Application-specific password required" in out
        out = swaks(sim, ca, "eve@gmail.com", "Winter-2026", "--from", "eve@gmail.com")
        assert "535-5.7.8 Username and Password not accepted" in out
        out = swaks(sim, ca, "bob@gmail.com", APP_PASSWORD, "--from", "bob@gmail.com")
        assert "235 2.7.0 Accepted" in out and "250 2.0.0" in out
        out = swaks(sim, ca, "old@gmail.com", "Winter-2026", "--from", "old@gmail.com")
        assert "235 2.7.0 Accepted" in out  # a scenario's legacy account still signs in


def test_simulate_account_given_an_app_password_signs_in_with_msmtp(
    ca: Path, tmp_path: Path
) -> None:
    msmtp = need("msmtp")
    for sim in running("gmail", ca, Account("bob@gmail.com", APP_PASSWORD)):
        config = tmp_path / "msmtprc"
        config.write_text(
            f"account rehearsal\nhost 127.0.0.1\nport {sim.port}\ntls on\ntls_starttls on\n"
            f"tls_trust_file {ca}\nauth login\nuser bob@gmail.com\nfrom bob@gmail.com\n"
            f"passwordeval echo {APP_PASSWORD}\n"
        )
        config.chmod(0o600)
        argv = [msmtp, "-C", str(config), "-a", "rehearsal", "bob@example.org"]
        done = subprocess.run(argv, input="Subject: hi\n\nHello.\n", text=True, timeout=60)
        assert done.returncode == 0
        assert sim.mailbox.messages[0].envelope_from == "bob@gmail.com"


def test_gmail_rewrites_a_foreign_sender_instead_of_refusing_it(ca: Path) -> None:
    need("swaks")
    notes: list[str] = []
    for sim in running("gmail", ca, Account("bob@gmail.com", APP_PASSWORD)):
        sim.subscribe(lambda e: notes.append(e.text) if e.kind == "note" else None)
        out = swaks(sim, ca, "bob@gmail.com", APP_PASSWORD, "--from", "ceo@example.com")
        assert " 5.7." not in out  # not refused at MAIL, nor after the body
        [stored] = sim.mailbox.messages
        assert stored.envelope_from == "bob@gmail.com"
        assert b"From: bob@gmail.com\r\n" in stored.raw and b"ceo@example.com" not in stored.raw
        assert any("ceo@example.com -> bob@gmail.com" in n for n in notes)


async def test_gmail_display_name_inside_the_path_gets_555() -> None:
    account = Account("bob@gmail.com", APP_PASSWORD)
    async with Simulator("gmail", accounts=[account]) as sim:
        wire = await Wire.open(sim.port)
        await wire.ready(sim.port, sim.client_ssl_context())
        assert (await wire.login("bob@gmail.com", APP_PASSWORD)).startswith("235")
        reply = await wire.ask("MAIL FROM:Bob <bob@gmail.com>")
        assert reply.startswith("555 5.5.2 Syntax error.") and reply.endswith(" - gsmtp")
        await wire.close()


SHAPES = [
    ("sendgrid", "sendgrid-user", "SG.key", "535 Authentication failed: Bad username / password"),
    ("amazon-ses", "ses-smtp-user", "pw", "535 Authentication Credentials Invalid"),
    ("postmark", "alice@example.com", "pm-token", "535 5.7.8 Error: authentication failed"),
    ("mailgun", "postmaster", "pw", "535 5.7.0 Mailgun is not loving your login or password"),
]


@pytest.mark.parametrize(("provider", "user", "secret", "reply"), SHAPES)
def test_a_wrongly_shaped_user_name_gets_the_providers_refusal(
    provider: str, user: str, secret: str, reply: str, ca: Path
) -> None:
    need("swaks")
    for sim in running(provider, ca, Account(user, secret)):
        out = swaks(sim, ca, user, secret, "--from", "news@example.com")
        assert reply in out
        assert sim.mailbox.messages == []


@pytest.mark.parametrize(
    ("provider", "user", "expects"),
    [
        ("sendgrid", "news@example.com", "expects exactly 'apikey'"),
        ("amazon-ses", "ses-smtp-user", "AKIA followed by 16 capital letters or digits"),
        ("postmark", "alice@example.com", "the Server API token, the same as the password"),
        ("mailgun", "postmaster", "a full address on the Mailgun sending domain"),
    ],
)
def test_validate_says_what_user_name_the_provider_expects(
    provider: str, user: str, expects: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = load(provider)
    channel = draft(profile, "relay", username=user, from_address="news@example.com")
    path = tmp_path / "relay.toml"
    store.save(channel, path, profile=profile)
    code = main(["channels", "validate", str(path)])
    out, err = capsys.readouterr()
    assert code != 0 and "auth.username" in out + err and expects in out + err


def test_a_rehearsal_with_the_wrong_shape_fails_at_auth_in_the_providers_words(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SES_SECRET", "pw")
    profile = load("amazon-ses")
    user, sender = "ses-smtp-user", "news@example.com"
    channel = draft(profile, "ses", username=user, secret="env:SES_SECRET", from_address=sender)
    path = tmp_path / "ses.toml"
    store.save(channel, path, profile=profile)
    code = main(["check", str(path), "--simulate", "--json"])
    out, err = capsys.readouterr()
    assert code == 1 and "note: auth.username" in err
    assert '"name": "auth"' in out and "535 Authentication Credentials Invalid" in out
