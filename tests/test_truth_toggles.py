"""The per-provider trainer controls, each answered in the provider's own words (swaks)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load
from simulator.server import Simulator, in_background
from simulator.state import Account
from tests.clients import need

APP_PASSWORD = "abcdefghijklmnop"
SES_USER = "AKIAEXAMPLESMTPUSER1"
SES_PASSWORD = "BExampleSmtpPasswordDerivedFromIam0123456789"


def swaks(sim: Simulator, ca: Path, user: str, password: str, sender: str, to: str) -> str:
    """One message through swaks over STARTTLS; its whole transcript."""
    argv = [need("swaks"), "--server", f"127.0.0.1:{sim.port}", "-tls", "--tls-ca-path", str(ca)]
    argv += ["--auth", "LOGIN", "--auth-user", user, "--auth-password", password]
    argv += ["--from", sender, "--to", to, "--timeout", "10"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def test_gmail_two_step_on_refuses_even_a_legacy_password(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    old = Account("old@gmail.com", "Winter-2026", app_password=APP_PASSWORD, legacy=True)
    with in_background(Simulator("gmail", accounts=[old], ca_out=ca)) as sim:

        def send(secret: str) -> str:
            return swaks(sim, ca, "old@gmail.com", secret, "old@gmail.com", "bob@example.org")

        assert "235 2.7.0 Accepted" in send("Winter-2026")  # the legacy account, as it was
        sim.control("two_step_on", "old@gmail.com")
        out = send("Winter-2026")
        assert "534-5.7.9 Application-specific password required." in out
        assert "534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor" in out
        assert "235 2.7.0 Accepted" in send(APP_PASSWORD)
        sim.control("two_step_off", "old@gmail.com")
        assert "235 2.7.0 Accepted" in send("Winter-2026")
    assert len(sim.mailbox.messages) == 3


def test_gmail_too_many_logins_refuses_a_right_app_password(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    bob = Account("bob@gmail.com", APP_PASSWORD)
    with in_background(Simulator("gmail", accounts=[bob], ca_out=ca)) as sim:
        sim.control("too_many_logins_on")
        out = swaks(sim, ca, "bob@gmail.com", APP_PASSWORD, "bob@gmail.com", "eve@example.org")
        assert "454-4.7.0 Too many login attempts, please try again later." in out
        assert "454 4.7.0  https://support.google.com/mail/answer/7126229" in out
        assert "235 " not in out and sim.mailbox.messages == []
        sim.control("too_many_logins_off")
        out = swaks(sim, ca, "bob@gmail.com", APP_PASSWORD, "bob@gmail.com", "eve@example.org")
        assert "235 2.7.0 Accepted" in out and len(sim.mailbox.messages) == 1


def ses(ca: Path) -> Simulator:
    account = Account(SES_USER, SES_PASSWORD, verified_domains=["example.com"])
    return Simulator("amazon-ses", accounts=[account], ca_out=ca)


def test_ses_sandbox_refuses_an_unverified_recipient_after_the_body(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    with in_background(ses(ca)) as sim:

        def send(to: str) -> str:
            sim.control("reset_limits")  # one message a second: not what this test is about
            return swaks(sim, ca, SES_USER, SES_PASSWORD, "news@example.com", to)

        assert "250 Ok " in send("bob@example.org")  # out of the sandbox: anyone
        sim.control("sandbox_on")
        out = send("bob@example.org")
        refusal = (
            "554 Message rejected: Email address is not verified. The following identities "
            "failed the check in region US-EAST-1: bob@example.org"
        )
        assert refusal in out
        assert "250 Ok " in send("alice@example.com")  # a recipient in a verified domain
        sim.control("sandbox_off")
        assert "250 Ok " in send("bob@example.org")
    assert [m.recipients for m in sim.mailbox.messages] == [
        ("bob@example.org",),
        ("alice@example.com",),
        ("bob@example.org",),
    ]


def test_ses_sending_rate_refuses_at_mail_from(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    with in_background(ses(ca)) as sim:
        sim.control("send_rate_exceeded_on")
        sim.control("reset_limits")
        out = swaks(sim, ca, SES_USER, SES_PASSWORD, "news@example.com", "bob@example.org")
        assert "<~* 454 Throttling failure: Maximum sending rate exceeded" in out
        assert "RCPT TO" not in out and sim.mailbox.messages == []
        sim.control("send_rate_exceeded_off")
        sim.control("reset_limits")
        out = swaks(sim, ca, SES_USER, SES_PASSWORD, "news@example.com", "bob@example.org")
        assert "250 Ok " in out and len(sim.mailbox.messages) == 1


LESSON = """
title = "2-Step turned on"
provider = "gmail"
[[accounts]]
username = "old@gmail.com"
password = "lesson-password"
legacy = true
[[events]]
at = "10m"
action = "two_step_on"
user = "old@gmail.com"
"""


def test_a_scenario_turning_two_step_on_bites_the_channel(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUTH_SECRET", "my-own-password")
    lesson = tmp_path / "two-step.toml"
    lesson.write_text(LESSON)
    profile = load("gmail")
    channel = draft(profile, "bob", username="bob@gmail.com", secret="env:TRUTH_SECRET")
    path = tmp_path / "bob.toml"
    store.save(channel, path, profile=profile)
    argv = ["check", str(path), f"--simulate={lesson}", "--json"]
    assert main([*argv, "--at", "1m"]) == 0  # before: the legacy password still signs in
    capsys.readouterr()
    assert main(argv) == 1  # just after 10m
    out, _ = capsys.readouterr()
    assert '"failed_stage": "auth"' in out and "534-5.7.9 Application-specific password" in out
