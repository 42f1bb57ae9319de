"""The Postfix export read by Postfix's own postconf and postmap."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from console.channel import Security
from console.cli import main
from tests.export_helpers import SECRET, VARIABLE, export, need, rehearsal

CASES = [("office365", "starttls"), ("gmail", "tls")]


def _postconf(config: Path) -> tuple[dict[str, str], str]:
    done = subprocess.run(
        [need("postconf"), "-c", str(config), "-n"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    pairs = (line.split(" = ", 1) for line in done.stdout.splitlines() if " = " in line)
    return dict(pairs), done.stderr


@pytest.mark.parametrize(("provider", "security"), CASES)
def test_postconf_reads_every_exported_parameter(
    provider: str,
    security: Security,
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    need("postconf")
    with rehearsal(channels_dir, provider, security) as run:
        text = export(capsys, "app", "--to", "postfix")
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text(text)
    (config / "master.cf").write_text("")
    values, warnings = _postconf(config)
    assert "unused parameter" not in warnings, warnings
    port = run.channel.server.port
    assert values["relayhost"] == f"[127.0.0.1]:{port}"
    assert values["smtp_tls_security_level"] == "encrypt"
    assert values.get("smtp_tls_wrappermode", "no") == ("yes" if security == "tls" else "no")
    assert values["smtp_sasl_auth_enable"] == "yes"
    assert values["smtp_sasl_mechanism_filter"] == run.channel.auth.method


def test_the_secret_file_is_0600_and_postmap_finds_the_entry(
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postmap = need("postmap")
    monkeypatch.setenv(VARIABLE, SECRET)
    with rehearsal(channels_dir, "office365", "starttls") as run:
        secret_file = tmp_path / "sasl_passwd"
        out = export(capsys, "app", "--to", "postfix", "--write-secret-file", str(secret_file))
    assert SECRET not in out
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    config = tmp_path / "postfix"
    config.mkdir()
    (config / "main.cf").write_text("")
    subprocess.run([postmap, "-c", str(config), f"hash:{secret_file}"], check=True, timeout=60)
    relay = f"[127.0.0.1]:{run.channel.server.port}"
    found = subprocess.run(
        [postmap, "-c", str(config), "-q", relay, f"hash:{secret_file}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert found.stdout.strip() == f"{run.channel.auth.username}:{SECRET}"


def test_the_secret_file_is_refused_for_other_formats(channels_dir: Path, tmp_path: Path) -> None:
    with rehearsal(channels_dir, "office365", "starttls"):
        code = main(["export", "app", "--to", "msmtp", "--write-secret-file", str(tmp_path / "x")])
    assert code == 2
    assert not (tmp_path / "x").exists()
