"""A provider's simulator serves only the ports its profile lists; check says why a port fails."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.events import Event
from simulator.profile import load
from simulator.server import Simulator, in_background
from simulator.state import Account
from tests.clients import need

NO_465 = "Office 365 / Exchange Online has no port 465: use 587 with STARTTLS"


def test_office365_implicit_tls_port_never_answers_swaks() -> None:
    swaks = need("swaks")
    events: list[Event] = []
    simulator = Simulator("office365", tls_port=0, accounts=[Account("a@contoso.com", "pw")])
    with in_background(simulator) as sim:
        sim.subscribe(events.append)
        argv = [swaks, "--server", f"127.0.0.1:{sim.tls_port}", "--tls-on-connect"]
        argv += ["--timeout", "2", "--to", "bob@example.org", "--from", "a@contoso.com"]
        argv += ["--auth", "LOGIN", "--auth-user", "a@contoso.com", "--auth-password", "pw"]
        try:  # swaks waits for the TLS handshake without its own timeout
            done = subprocess.run(argv, capture_output=True, text=True, timeout=4)
            output, code = done.stdout, done.returncode
        except subprocess.TimeoutExpired as hung:
            output, code = str(hung.stdout or b""), -1
    assert code != 0
    assert "Connected" in output and "220" not in output and "235" not in output
    assert sim.mailbox.messages == []
    said = [e.text for e in events if e.kind == "refused"]
    assert any("left unanswered" in t and NO_465 in t for t in said), said


def test_gmail_implicit_tls_port_is_served_curl(tmp_path: Path) -> None:
    curl = need("curl")
    simulator = Simulator("gmail", tls_port=0, accounts=[Account("a@gmail.com", "")])
    with in_background(simulator) as sim:
        ca = tmp_path / "ca.pem"
        ca.write_bytes(Path(sim.ca_file).read_bytes())
        argv = [curl, "-sv", "--max-time", "5", "--cacert", str(ca)]
        argv += ["--resolve", f"smtp.gmail.com:{sim.tls_port}:127.0.0.1"]
        argv += [f"smtps://smtp.gmail.com:{sim.tls_port}"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert "gsmtp" in done.stderr + done.stdout


def _channel(tmp_path: Path, port: int, security: str) -> Path:
    profile = load("office365")
    channel = draft(profile, "alice", username="alice@contoso.com", secret="env:TRUTH_SECRET")
    path = tmp_path / "alice.toml"
    store.save(channel, path, profile=profile)
    text = path.read_text().replace("port = 587", f"port = {port}")
    text = text.replace('security = "starttls"', f'security = "{security}"')
    path.write_text(text.replace("timeout = 30", "timeout = 1"))
    return path


def test_validate_names_the_port_to_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _channel(tmp_path, 465, "tls")
    code = main(["channels", "validate", str(path)])
    out, err = capsys.readouterr()
    assert code != 0 and f"server.port: {NO_465}" in out + err


def test_simulated_check_on_465_times_out_and_diagnoses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUTH_SECRET", "Secret-1")
    path = _channel(tmp_path, 465, "tls")
    code = main(["check", str(path), "--simulate", "--json"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert '"title": "' + NO_465 in out
    assert '"name": "tls"' in out


def test_live_check_on_a_port_that_does_not_answer_diagnoses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRUTH_SECRET", "Secret-1")
    path = _channel(tmp_path, 465, "tls")
    simulator = Simulator("office365", tls_port=0)
    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:  # the real host, here on loopback
        return real("127.0.0.1" if host == "smtp.office365.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with in_background(simulator) as sim:
        path.write_text(path.read_text().replace("port = 465", f"port = {sim.tls_port}"))
        code = main(["check", str(path), "--json"])
    out, _ = capsys.readouterr()
    assert code == 1
    assert f"has no port {sim.tls_port}: use 587 with STARTTLS" in out
