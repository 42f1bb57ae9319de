"""Each ready lesson bites a channel of its provider, signing in as the channel does."""

from __future__ import annotations

from pathlib import Path

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load

TENANT = "tenant-disables-smtp-auth"
CASES = [
    (TENANT, "office365", "alice@contoso.com", "Secret-1", None, "535 5.7.139"),
    ("basic-auth-retired", "office365", "alice@contoso.com", "Secret-1", None, "550 5.7.30"),
    ("password-changed", "office365", "someone@contoso.com", "Secret-1", None, "535 5.7.3"),
    ("gmail-no-app-password", "gmail", "me@example.com", "qwertyuiopasdfgh", None, "535-5.7.8"),
    ("gmail-no-app-password", "gmail", "me@example.com", "my-own-password", "0s", "534-5.7.9"),
    ("gmail-two-step-turned-on", "gmail", "me@example.com", "my-own-password", None, "534-5.7.9"),
]


@pytest.mark.parametrize(("lesson", "provider", "user", "secret", "at", "reply"), CASES)
def test_a_lesson_fails_the_channel_at_auth_in_the_providers_words(
    lesson: str,
    provider: str,
    user: str,
    secret: str,
    at: str | None,
    reply: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LESSON_SECRET", secret)
    profile = load(provider)
    channel = draft(profile, "mine", username=user, secret="env:LESSON_SECRET")
    path = tmp_path / "mine.toml"
    store.save(channel, path, profile=profile)
    argv = ["check", str(path), f"--simulate={lesson}", "--json"]
    code = main([*argv, "--at", at] if at else argv)
    out, _ = capsys.readouterr()
    assert code == 1 and '"name": "auth"' in out and reply in out, out[-600:]
    if at is None:  # before the lesson's first event the same channel signs in
        assert main([*argv, "--at", "1s"]) == 0
        capsys.readouterr()


def test_a_bad_at_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x", "--simulate=password-changed", "--at", "soon"]) == 2
    assert "--at" in capsys.readouterr().err
