"""The check against small real servers on loopback: other protocols, drops, odd replies."""

from __future__ import annotations

import json
import ssl
import time
from pathlib import Path

import pytest
import trustme

from console import store
from console.channel import draft
from console.check import Report, run_check
from console.cli import main
from console.target import Target
from simulator.profile import load
from tests.wire_servers import Handler, Peer, Server, smtp

SECRET = "Wire-canary-93b1"
USER = "alice@example.com"


def target(port: int, **changes: object) -> Target:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": USER,
        "method": "plain",
        "username": USER,
        "secret": SECRET,
        "timeout": 1.0,
    }
    values.update(changes)
    return Target(**values)  # type: ignore[arg-type]


def banner(text: str | bytes) -> object:
    def handle(peer: Peer) -> None:
        peer.send(text)
        peer.line()

    return handle


def transcript(report: Report) -> list[str]:
    return [str(line) for line in report.transcript]


BANNERS = {
    "imap": ("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] Dovecot ready.", "port-speaks-imap"),
    "pop3": ("+OK Dovecot ready.", "port-speaks-pop3"),
    "ssh": ("SSH-2.0-OpenSSH_9.6p1 Ubuntu-3ubuntu13.5", "port-speaks-ssh"),
    "garbage": (bytes(range(128, 256)) + b"\x00\x01", "port-speaks-something-else"),
    "half-line": (b"hello there", "port-speaks-something-else"),
}


@pytest.mark.parametrize("name", sorted(BANNERS))
async def test_a_port_that_speaks_another_protocol_is_named(name: str) -> None:
    text, wanted = BANNERS[name]
    with Server(banner(text)) as server:  # type: ignore[arg-type]
        report = await run_check(target(server.port))
    assert report.failed_stage is not None and report.failed_stage.name == "greeting"
    assert report.diagnosis is not None and report.diagnosis.id == wanted
    if name in ("imap", "pop3", "ssh"):
        assert f"speaks {name.upper()}" in report.failed_stage.detail
        assert "587" in " ".join(report.diagnosis.fix)
    assert any(line.startswith("S: ") for line in transcript(report))


def http_server(peer: Peer) -> None:
    if peer.line():
        peer.send("HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n")


async def test_a_web_server_is_recognised_after_one_nudge() -> None:
    with Server(http_server) as server:
        began = time.perf_counter()
        report = await run_check(target(server.port, timeout=0.5))
    assert report.diagnosis is not None and report.diagnosis.id == "port-speaks-http"
    lines = transcript(report)
    assert "*: no reply: timed out after 0.5 s" in lines
    assert any(line.startswith("C: EHLO") for line in lines)
    assert any(line.startswith("S: HTTP/1.1 400 Bad Request") for line in lines)
    assert time.perf_counter() - began < 3


async def test_a_port_that_wants_tls_first_is_recognised() -> None:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("mail.test").configure_cert(context)

    def silent(peer: Peer) -> None:
        peer.line()

    with Server(silent, tls=context) as server:
        report = await run_check(target(server.port, timeout=0.5))
    assert report.diagnosis is not None and report.diagnosis.id == "plain-to-tls-port"
    assert "the TLS handshake succeeded" in " ".join(transcript(report))


async def test_a_silent_port_is_no_greeting() -> None:
    def silent(peer: Peer) -> None:
        peer.line()

    with Server(silent) as server:
        report = await run_check(target(server.port, timeout=0.3))
    assert report.diagnosis is not None and report.diagnosis.id == "greeting-missing"


@pytest.mark.parametrize(
    ("drop", "stage"),
    [
        ("greeting", "greeting"),
        ("EHLO", "ehlo"),
        ("AUTH", "auth"),
        ("MAIL", "mail"),
        ("RCPT", "rcpt"),
        ("DATA", "data"),
        (".", "data"),
    ],
)
async def test_a_dropped_connection_is_shown_as_no_reply(drop: str, stage: str) -> None:
    with Server(smtp(drop=drop)) as server:
        report = await run_check(target(server.port, send=True, recipient="bob@example.org"))
    assert report.failed_stage is not None and report.failed_stage.name == stage
    lines = transcript(report)
    assert "*: no reply: connection closed" in lines
    assert not [line for line in lines if line.startswith("S: 221")]
    assert SECRET not in json.dumps(report.to_dict())


async def test_quit_answered_by_a_close_is_not_shown_as_a_221() -> None:
    with Server(smtp(drop="QUIT")) as server:
        report = await run_check(target(server.port))
    assert report.passed
    lines = transcript(report)
    assert lines[-2:] == ["C: QUIT", "*: no reply: connection closed"]
    assert report.stage("quit").detail == "the server closed the connection without a reply"


async def test_the_220_to_starttls_stays_when_the_handshake_fails() -> None:
    def handle(peer: Peer) -> None:
        peer.send("220 mail.test ESMTP")
        peer.line()
        peer.send("250-mail.test\r\n250 STARTTLS")
        peer.line()
        peer.send("220 2.0.0 Ready to start TLS")
        peer.send(b"this is not a TLS server hello\r\n" * 4)
        peer.line()

    with Server(handle) as server:
        report = await run_check(target(server.port, security="starttls"))
    lines = transcript(report)
    assert "S: 220 2.0.0 Ready to start TLS" in lines
    assert lines.index("S: 220 2.0.0 Ready to start TLS") == lines.index("C: STARTTLS") + 1
    assert report.failed_stage is not None and report.failed_stage.name == "starttls"


async def test_a_non_smtp_reply_after_ehlo_is_diagnosed_at_that_stage() -> None:
    with Server(smtp(answers={"EHLO": "* BAD [CLIENTBUG] Invalid command"})) as server:
        report = await run_check(target(server.port))
    assert report.failed_stage is not None and report.failed_stage.name == "ehlo"
    assert report.diagnosis is not None and report.diagnosis.id == "port-speaks-imap"


async def test_an_echoed_auth_line_in_a_malformed_reply_leaks_nothing() -> None:
    def echo(peer: Peer) -> None:
        peer.send("220 mail.test ESMTP")
        peer.line()
        peer.send("250-mail.test\r\n250 AUTH PLAIN")
        line = peer.line()
        peer.send(f"what is {line} supposed to mean {SECRET}")
        peer.line()

    with Server(echo) as server:
        report = await run_check(target(server.port))
    assert report.failed_stage is not None and report.failed_stage.name == "auth"
    assert SECRET not in json.dumps(report.to_dict())
    assert SECRET not in str(report.diagnosis)


def cli_channel(tmp_path: Path, port: int) -> Path:
    profile = load("custom")
    channel = draft(
        profile,
        "wire",
        username=USER,
        from_address=USER,
        host="127.0.0.1",
        port=port,
        security="none",
        method="none",
        timeout=1,
    )
    path = tmp_path / "wire.toml"
    store.save(channel, path, profile=profile)
    return path


@pytest.mark.parametrize("as_json", [False, True])
def test_cli_names_the_other_protocol_and_exits_1(
    as_json: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Server(banner(BANNERS["imap"][0])) as server:  # type: ignore[arg-type]
        path = cli_channel(tmp_path, server.port)
        code = main(["check", str(path), *(["--json"] if as_json else [])])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    if as_json:
        data = json.loads(out)
        assert data["diagnosis"]["id"] == "port-speaks-imap" and data["exit_code"] == 1
    else:
        assert "This port speaks IMAP, not SMTP" in out


def test_cli_shows_control_characters_escaped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    greeting = "220 mail.test \x1b[2J\x1b]0;owned\x07 ready\x9b"
    with Server(smtp(greeting=greeting, answers={"MAIL": "550 5.1.0 \x1b[31mno\x1b[0m"})) as s:
        path = cli_channel(tmp_path, s.port)
        code = main(["check", str(path)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out
    assert "\\x1b[2J" in out and "\\x1b[31mno" in out


def test_explain_shows_control_characters_escaped(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "550 5.1.1 \x1b[31mUser unknown\x1b[0m"]) == 0
    out, _ = capsys.readouterr()
    assert "\x1b" not in out and "\\x1b[31mUser unknown" in out


def tls_server_context(ca: trustme.CA, *names: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*names).configure_cert(context)
    return context


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_a_certificate_for_another_name_shows_what_it_says(security: str) -> None:
    ca = trustme.CA()
    server_context = tls_server_context(ca, "mail.other.test", "smtp.other.test")
    client = ssl.create_default_context()
    ca.configure_trust(client)
    if security == "tls":
        server = Server(smtp(), tls=server_context)
    else:
        server = Server(starttls_smtp(server_context))
    with server:
        report = await run_check(target(server.port, security=security, tls_context=client))
    assert report.failed_stage is not None and report.failed_stage.name == "certificate"
    assert report.diagnosis is not None and report.diagnosis.id == "certificate-name-mismatch"
    cert = report.certificate
    assert cert["names"] == "mail.other.test, smtp.other.test"
    assert "trustme" in cert["issuer"] and cert["expires"] and cert["valid_from"]
    assert cert["verified"].startswith("no: ")
    assert "mail.other.test, smtp.other.test" in report.failed_stage.detail


async def test_insecure_shows_the_certificate_and_is_marked_not_verified() -> None:
    ca = trustme.CA()
    with Server(smtp(), tls=tls_server_context(ca, "mail.other.test")) as server:
        report = await run_check(target(server.port, security="tls", insecure=True))
    assert report.passed
    assert report.certificate["verified"] == "no (--insecure)"
    assert report.certificate["names"] == "mail.other.test"
    assert report.to_dict()["verified"] is False
    assert "not verified" in report.stage("certificate").detail


def starttls_smtp(context: ssl.SSLContext) -> Handler:
    def handle(peer: Peer) -> None:
        peer.send("220 mail.test ESMTP")
        while (line := peer.line()) is not None:
            verb = line.split(" ")[0].upper()
            if verb == "EHLO":
                peer.send("250-mail.test\r\n250 STARTTLS")
            elif verb == "STARTTLS":
                peer.send("220 2.0.0 Ready to start TLS")
                peer.sock = context.wrap_socket(peer.sock, server_side=True)
                smtp(greeting="")(_Resumed(peer))
                return
            else:
                peer.send("221 Bye")
                return

    return handle


class _Resumed(Peer):
    """A peer whose SMTP session continues after STARTTLS: no second greeting."""

    def __init__(self, peer: Peer) -> None:
        super().__init__(peer.sock)

    def send(self, data: str | bytes) -> None:
        if data != "":
            super().send(data)


async def test_an_unexpected_error_ends_the_stage_masked_not_in_a_traceback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from console import sasl

    async def explode(send: object, user: str, secret: str) -> object:
        raise RuntimeError(f"could not encode {secret} for {user}")

    monkeypatch.setitem(sasl.MECHANISMS, "plain", sasl.Mechanism("PLAIN", explode))  # type: ignore[arg-type]
    with Server(smtp()) as server:
        report = await run_check(target(server.port))
    assert report.failed_stage is not None and report.failed_stage.name == "auth"
    assert report.diagnosis is not None and report.diagnosis.id == "check-stopped"
    assert "RuntimeError: could not encode ******** for" in report.failed_stage.detail
    assert SECRET not in json.dumps(report.to_dict())


async def test_the_console_shows_a_servers_escape_codes_escaped() -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import RichLog

    from console.tui.widgets.check_panel import CheckPanel

    class PanelApp(App[None]):
        def compose(self) -> ComposeResult:
            yield CheckPanel()

    greeting = "220 mail.test \x1b[2J\x1b]0;owned\x07 ready"
    app = PanelApp()
    with Server(smtp(greeting=greeting)) as server:
        async with app.run_test() as pilot:
            panel = app.query_one(CheckPanel)
            await panel.run(target(server.port, method="none"), lambda entry: entry)
            await pilot.pause()
            written = [str(line.text) for line in panel.query_one(RichLog).lines]
    assert any("\\x1b[2J\\x1b]0;owned\\x07 ready" in text for text in written)
    assert not any("\x1b" in text or "\x07" in text for text in written)
