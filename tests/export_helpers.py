"""Shared by the export tests: a channel saved for a running simulator that accepts its secret."""

from __future__ import annotations

import os
import smtplib
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from console import store
from console.channel import AuthMethod, Channel, Security, draft
from console.cli import main
from console.rehearse import simulated_account
from simulator.profile import load
from simulator.server import Simulator, in_background
from tests.clients import need  # noqa: F401  (re-exported for the export tests)

SECRET = "exporttestsecret"  # 16 letters: also a Gmail app password
VARIABLE = "SMTP_EXPORT_TEST_SECRET"
USERS = {
    "office365": "alice@contoso.com",
    "gmail": "alice@example.com",
    "custom": "app",
    "postmark": "",  # the server token is the user name too; the file leaves it empty
}


@dataclass
class Rehearsal:
    """A running simulator, the channel saved for it, and the environment a sender runs in."""

    simulator: Simulator
    channel: Channel
    path: Path
    env: dict[str, str]


def channel_for(
    provider: str, security: Security, name: str = "app", method: AuthMethod | None = None
) -> Channel:
    """A channel whose secret comes from the test's environment variable."""
    user = USERS[provider]
    sender = user if "@" in user else "app@example.com"
    port = 465 if security == "tls" else 587
    return draft(
        load(provider),
        name,
        username=user,
        from_address=sender,
        port=port,
        security=security,
        method=method,
        secret=f"env:{VARIABLE}",
    )


@contextmanager
def rehearsal(
    channels_dir: Path, provider: str, security: Security, method: AuthMethod | None = None
) -> Iterator[Rehearsal]:
    """The channel saved with the simulator's address, while the simulator runs in a thread."""
    channel = channel_for(provider, security, method=method)
    profile = load(provider)
    simulator = Simulator(
        profile,
        tls_port=0 if security == "tls" else None,
        accounts=[simulated_account(channel, SECRET, profile)],
    )
    with in_background(simulator):
        port = simulator.tls_port if security == "tls" and simulator.tls_port else simulator.port
        channel = replace(channel, server=replace(channel.server, host="127.0.0.1", port=port))
        path = channels_dir / f"{channel.name}.toml"
        store.save(channel, path, overwrite=True)
        scripts = str(Path(sys.executable).parent)
        env = {**os.environ, VARIABLE: SECRET, "PATH": f"{scripts}{os.pathsep}{os.environ['PATH']}"}
        yield Rehearsal(simulator, channel, path, env)


def export(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run smtp-console export in this process and return what it printed."""
    capsys.readouterr()
    code = main(["export", *argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert SECRET not in out + err
    return out


def smtp_connection(
    host: str, port: int, *, implicit: bool, context: ssl.SSLContext, timeout: float = 10
) -> smtplib.SMTP:
    """A connection as a mailer opens it: TLS from the first byte, or plain for STARTTLS."""
    if implicit:
        return smtplib.SMTP_SSL(host, port, context=context, timeout=timeout)
    return smtplib.SMTP(host, port, timeout=timeout)


def run_msmtp(
    msmtp: str,
    run: Rehearsal,
    config: str,
    folder: Path,
    message: bytes,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Send a message with msmtp and the exported account, trusting only the simulator's CA."""
    # The one test-only line: trust the simulator's own certificate authority.
    path = folder / "msmtprc"
    path.write_text(config + f"tls_trust_file {run.simulator.ca_file}\n")
    path.chmod(0o600)
    return subprocess.run(
        [msmtp, "-C", str(path), "-a", "app", "bob@example.net"],
        input=message,
        env=env or run.env,
        capture_output=True,
        timeout=60,
        check=False,
    )


def run_swaks(command: str, run: Rehearsal) -> subprocess.CompletedProcess[str]:
    """Run the exported swaks command line to bob@example.net."""
    return subprocess.run(
        ["/bin/sh", "-c", command],
        env={**run.env, "TO": "bob@example.net"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
