"""OAuth sign-in end to end on real sockets: the CLI's flows over HTTP, then SMTP (and msmtp)."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from console import store
from console.check import run_check, target_for
from console.cli import main
from console.oauth import access
from console.oauth.errors import SignInError
from console.oauth.rehearsal import RehearsalView
from console.oauth.tokens import MemoryStore
from console.rehearse import retarget
from simulator.profile import load
from simulator.server import Simulator
from simulator.state import Account
from tests.clients import need
from tests.oauth_channels import FILE_STORE, GMAIL, OFFICE365, write

PASSPHRASE = {"TOKENS_PASSPHRASE": "rehearsal passphrase"}


class Service:
    """A running simulator and the sign-in service beside it."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator, self.url = simulator, simulator.signin_url


async def _service(provider: str, user: str) -> AsyncIterator[Service]:
    account = Account(user, send_as=[user])
    async with Simulator(load(provider), accounts=[account]) as simulator:
        yield Service(simulator)


@pytest.fixture
async def office365() -> AsyncIterator[Service]:
    async for service in _service("office365", "alice@contoso.com"):
        yield service


@pytest.fixture
async def gmail() -> AsyncIterator[Service]:
    async for service in _service("gmail", "bob@gmail.com"):
        yield service


async def cli(*argv: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    """Run smtp-console as a separate program (its own process, like a user would)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "console",
        *argv,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **PASSPHRASE},
    )
    out, err = await asyncio.wait_for(process.communicate(stdin), 60)
    return process.returncode or 0, out.decode(), err.decode()


async def test_device_code_login_token_status_and_check(
    office365: Service, channels_dir: Path
) -> None:
    write(channels_dir, OFFICE365, "o365", extra=FILE_STORE)
    code, out, err = await cli("oauth", "login", "o365", "--signin-url", office365.url)
    assert code == 0, err
    assert f"{office365.url}/devicelogin" in out and "signed in as alice@contoso.com" in out
    code, token, err = await cli("oauth", "token", "o365")
    assert code == 0, err
    assert token.count("\n") == 1 and len(token) > 1500
    code, out, _ = await cli("oauth", "status", "o365", "--json")
    status = json.loads(out)
    assert status["signed_in"] and status["refresh_token"] and status["account"]
    assert status["access_token_seconds_left"] > 3000
    assert token.strip() not in out
    channel = store.read(channels_dir / "o365.toml").channel
    report = await run_check(retarget(target_for(channel, token.strip()), office365.simulator))
    assert report.passed, report.to_dict()
    assert any("AUTH XOAUTH2" in line.text for line in report.transcript)
    code, out, _ = await cli("oauth", "logout", "o365")
    assert code == 0 and "removed" in out
    code, _, err = await cli("oauth", "token", "o365")
    assert code == 1 and "oauth login o365" in err


async def test_refresh_after_expiry_on_the_virtual_clock_rotates_the_refresh_token(
    office365: Service, channels_dir: Path
) -> None:
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    kept = MemoryStore()
    sim = office365.simulator
    signin = access.sign_in_for(channel, base=office365.url, store=kept, clock=sim.clock.now)
    view = RehearsalView(sim)
    first = await access.login(signin, view)
    token, fresh = await access.access_token(signin)
    assert (token, fresh) == (first.access_token, False)
    sim.clock.advance(hours=1)
    token, fresh = await access.access_token(signin)
    assert fresh and token != first.access_token
    assert kept.tokens is not None and kept.tokens.refresh_token != first.refresh_token
    report = await run_check(retarget(target_for(channel, token), sim))
    assert report.passed, report.to_dict()
    # Ninety idle days later the refresh token is refused, and the refusal is diagnosed.
    sim.control("refresh_token_idle", "alice@contoso.com")
    sim.clock.advance(hours=2)
    with pytest.raises(SignInError) as refused:
        await access.access_token(signin)
    assert refused.value.diagnosis is not None
    assert refused.value.diagnosis.id == "aadsts700082-refresh-token-idle"


async def test_an_expired_access_token_is_refused_by_smtp(
    office365: Service, channels_dir: Path
) -> None:
    channel = store.read(write(channels_dir, OFFICE365, "o365")).channel
    sim = office365.simulator
    signin = access.sign_in_for(
        channel, base=office365.url, store=MemoryStore(), clock=sim.clock.now
    )
    first = await access.login(signin, RehearsalView(sim))
    sim.clock.advance(hours=2)
    report = await run_check(retarget(target_for(channel, first.access_token), sim))
    assert report.failed_stage is not None and report.failed_stage.name == "auth"
    token, fresh = await access.access_token(signin)
    assert fresh
    assert (await run_check(retarget(target_for(channel, token), sim))).passed


async def test_pkce_login_with_the_loopback_redirect(gmail: Service, channels_dir: Path) -> None:
    write(channels_dir, GMAIL, "gm", extra=FILE_STORE)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "console", "oauth", "login", "gm", "--signin-url", gmail.url),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **PASSPHRASE},
    )
    assert process.stdout is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        assert line, "the login ended without showing an address"
        if line.startswith(gmail.url):
            url = line.strip()
    assert "code_challenge_method=S256" in url and "access_type=offline" in url
    async with httpx.AsyncClient(follow_redirects=True) as browser:  # the test plays the browser
        page = await browser.get(url)
    assert "Signed in" in page.text
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    code, token, _ = await cli("oauth", "token", "gm")
    assert code == 0
    channel = store.read(channels_dir / "gm.toml").channel
    report = await run_check(retarget(target_for(channel, token.strip()), gmail.simulator))
    assert report.passed, report.to_dict()


async def test_pkce_login_by_pasting_the_redirect_address(
    gmail: Service, channels_dir: Path
) -> None:
    write(channels_dir, GMAIL, "gm", extra=FILE_STORE)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "console", "oauth", "login", "gm", "--signin-url", gmail.url),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **PASSPHRASE},
    )
    assert process.stdout is not None and process.stdin is not None
    url = ""
    while not url:
        line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
        if line.startswith(gmail.url):
            url = line.strip()
    async with httpx.AsyncClient(follow_redirects=False) as browser:  # a browser elsewhere
        landed = (await browser.get(url)).headers["location"]
    process.stdin.write(landed.encode() + b"\n")
    await process.stdin.drain()
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()


async def test_msmtp_signs_in_with_the_channels_token(
    office365: Service, channels_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    msmtp = need("msmtp")
    sim = office365.simulator
    channel = store.read(write(channels_dir, OFFICE365, "o365", extra=FILE_STORE)).channel
    # The login itself, as a program, is the device-code test's; here it only fills the file.
    monkeypatch.setenv(*next(iter(PASSPHRASE.items())))
    await access.login(access.sign_in_for(channel, base=office365.url), RehearsalView(sim))
    helper = " ".join(shlex.quote(p) for p in (sys.executable, "-m", "console", "oauth", "token"))
    config = tmp_path / "msmtprc"
    config.write_text(
        "account o365\n"
        f"host {sim.host}\nport {sim.port}\ntls on\ntls_starttls on\n"
        f"tls_trust_file {sim.ca_file}\ntls_host_override smtp.office365.com\n"
        "auth xoauth2\nuser alice@contoso.com\nfrom alice@contoso.com\n"
        f"passwordeval {helper} o365\n"
    )
    config.chmod(0o600)
    message = b"Subject: OAuth through msmtp\r\n\r\nSent with a token from smtp-console.\r\n"
    process = await asyncio.create_subprocess_exec(
        *(msmtp, "-C", str(config), "-a", "o365", "carol@example.com"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **PASSPHRASE},
    )
    out, err = await asyncio.wait_for(process.communicate(message), 60)
    assert process.returncode == 0, err.decode()
    (delivered,) = await sim.mailbox.wait_for(1)
    assert b"OAuth through msmtp" in delivered.raw and delivered.user == "alice@contoso.com"


def test_rehearsals_sign_in_at_the_embedded_simulator(
    channels_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(channels_dir, OFFICE365, "o365")
    write(channels_dir, GMAIL, "gm", method="oauthbearer")
    assert main(["oauth", "login", "o365", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "devicelogin" in out and "accepted the token: yes" in out
    assert main(["check", "o365", "--simulate", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and any("AUTH XOAUTH2" in x["text"] for x in report["transcript"])
    assert main(["check", "gm", "--simulate", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and any("AUTH OAUTHBEARER" in x["text"] for x in report["transcript"])
    assert main(["burst", "o365", "--count", "3", "--simulate", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["accepted"] == 3
