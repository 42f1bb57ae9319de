"""STARTTLS on an implicit-TLS port (or the reverse): validate names the fix, a rehearsal fails."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load

CASES = [
    (
        "gmail",
        465,
        "starttls",
        "greeting",
        "Gmail / Google Workspace has no STARTTLS on port 465: "
        "use 465 with implicit TLS, or 587 with STARTTLS",
    ),
    (
        "office365",
        587,
        "tls",
        "tls",
        "Office 365 / Exchange Online has no implicit TLS on port 587: use 587 with STARTTLS",
    ),
    (
        "office365",
        465,
        "starttls",
        "greeting",
        "Office 365 / Exchange Online has no port 465: use 587 with STARTTLS",
    ),
    (
        "amazon-ses",
        587,
        "tls",
        "tls",
        "Amazon SES has no implicit TLS on port 587: use 587 with STARTTLS",
    ),
]
USERS = {"gmail": "bob@gmail.com", "office365": "alice@contoso.com"}


def channel(tmp_path: Path, provider: str, port: int, security: str) -> Path:
    profile = load(provider)
    user = USERS.get(provider, "AKIAEXAMPLESMTPUSER1")
    sender = user if "@" in user else "news@example.com"
    made = draft(profile, "c", username=user, secret="env:TRUTH_SECRET", from_address=sender)
    path = tmp_path / "c.toml"
    store.save(made, path, profile=profile)
    text = path.read_text().replace(f"port = {profile.endpoint.port}", f"port = {port}")
    text = text.replace('security = "starttls"', f'security = "{security}"')
    path.write_text(re.sub(r"timeout = [\d.]+", "timeout = 0.5", text))
    return path


@pytest.mark.parametrize(("provider", "port", "security", "stage", "title"), CASES)
def test_validate_names_the_fix_and_the_rehearsal_fails_as_live_would(
    provider: str,
    port: int,
    security: str,
    stage: str,
    title: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRUTH_SECRET", "abcdefghijklmnop")
    path = channel(tmp_path, provider, port, security)
    assert main(["channels", "validate", str(path)]) == 1
    out, _ = capsys.readouterr()
    assert title in out and "expects TLS from the first byte" not in out

    code = main(["check", str(path), "--simulate", "--json"])
    out, err = capsys.readouterr()
    assert code == 1, err  # rehearsed and refused, not turned away as bad input (2)
    field = "port" if (provider, port) == ("office365", 465) else "security"
    assert f"note: server.{field}: {title}; checking it anyway" in err
    report = json.loads(out)
    assert report["failed_stage"] == stage and report["simulated"]
    assert report["diagnosis"]["title"] == title
    assert all(s["status"] == "skipped" for s in report["stages"] if s["name"] == "auth")
