"""Office 365 sign-in by authorization code (PKCE, loopback) end to end: CLI, store, SMTP."""

from __future__ import annotations

import asyncio
import json
import os
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
from console.oauth.tokens import KEYRING_SERVICE, MemoryStore
from console.rehearse import retarget
from simulator.server import Simulator
from simulator.signin.tokens import Client
from simulator.state import Account
from tests.conftest import MemoryKeyring
from tests.oauth_channels import FILE_STORE, OFFICE365

USER = "alice@contoso.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
PASSPHRASE = {"TOKENS_PASSPHRASE": "auth code passphrase"}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator("office365", accounts=[Account(USER, send_as=[USER])]) as simulator:
        yield simulator


def write(folder: Path, extra: str = "") -> Path:
    """An Office 365 channel that signs in by authorization code."""
    path = folder / "o365.toml"
    text = OFFICE365.format(name="o365", method="xoauth2", extra=extra)
    path.write_text(text.replace('flow = "device_code"', 'flow = "auth_code"'))
    return path


async def test_cli_login_by_browser_then_token_status_and_check(
    sim: Simulator, channels_dir: Path
) -> None:
    write(channels_dir, FILE_STORE)
    argv = ("oauth", "login", "o365", "--signin-url", sim.signin_url)
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "console", *argv),
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
        if line.startswith(sim.signin_url):
            url = line.strip()
    assert "/contoso.onmicrosoft.com/oauth2/v2.0/authorize?" in url
    assert "code_challenge_method=S256" in url and "login_hint=alice%40contoso.com" in url
    async with httpx.AsyncClient(follow_redirects=True) as browser:  # the test plays the browser
        page = await browser.get(url)
    assert "Signed in" in page.text
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert "signed in as alice@contoso.com" in out.decode()
    env = {**os.environ, **PASSPHRASE}
    status = await _cli(env, "oauth", "status", "o365", "--json")
    data = json.loads(status)
    assert data["flow"] == "auth_code" and data["refresh_token"] and data["account"] == USER
    token = (await _cli(env, "oauth", "token", "o365")).strip()
    assert len(token) > 1500 and token not in status
    channel = store.read(channels_dir / "o365.toml").channel
    report = await run_check(retarget(target_for(channel, token), sim))
    assert report.passed, report.to_dict()
    assert any("AUTH XOAUTH2" in line.text for line in report.transcript)


async def _cli(env: dict[str, str], *argv: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "console", *argv),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_the_refresh_token_goes_to_the_keyring(
    sim: Simulator, channels_dir: Path, memory_keyring: MemoryKeyring
) -> None:
    channel = store.read(write(channels_dir)).channel
    signin = access.sign_in_for(channel, base=sim.signin_url, clock=sim.clock.now)
    view = RehearsalView(sim)
    try:
        tokens = await access.login(signin, view)
    finally:
        await view.close()
    kept = memory_keyring.passwords[(KEYRING_SERVICE, f"o365:{USER}")]
    assert tokens.refresh_token and tokens.refresh_token in kept and tokens.flow == "auth_code"
    sim.clock.advance(hours=1)
    token, fresh = await access.access_token(signin)
    assert fresh and (await run_check(retarget(target_for(channel, token), sim))).passed


def test_rehearsals_sign_in_by_code(channels_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(channels_dir)
    assert main(["oauth", "login", "o365", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "/oauth2/v2.0/authorize?" in out and "accepted the token: yes" in out
    argv = ["check", "o365", "--simulate", "--send", "--to", "carol@example.com", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and any("AUTH XOAUTH2" in x["text"] for x in report["transcript"])
    data = next(s for s in report["stages"] if s["name"] == "data")
    assert data["status"] == "ok" and "queued" in data["detail"]


async def _refused(sim: Simulator, channels_dir: Path) -> SignInError:
    channel = store.read(write(channels_dir)).channel
    signin = access.sign_in_for(
        channel, base=sim.signin_url, store=MemoryStore(), clock=sim.clock.now
    )
    view = RehearsalView(sim)
    try:
        with pytest.raises(SignInError) as refused:
            await asyncio.wait_for(access.login(signin, view), 30)
    finally:
        await view.close()
    return refused.value


async def test_a_declined_consent_is_explained(sim: Simulator, channels_dir: Path) -> None:
    assert sim.signin is not None
    sim.signin.consent = "deny"
    refused = await _refused(sim, channels_dir)
    assert "access_denied: AADSTS65004: User declined to consent" in str(refused)
    assert refused.diagnosis is not None and refused.diagnosis.id == "aadsts65004-consent-declined"


async def test_an_unregistered_redirect_stops_at_the_sign_in_page(
    sim: Simulator, channels_dir: Path
) -> None:
    web_only = Client(CLIENT_ID, redirect_uris=["https://mailer.contoso.com/signin"])
    sim.state.oauth.add_client(web_only)
    refused = await _refused(sim, channels_dir)
    assert "the browser stopped at: AADSTS50011: The redirect URI 'http://127.0.0.1:" in str(
        refused
    )
    assert refused.diagnosis is not None and refused.diagnosis.id == "aadsts50011-redirect-uri"
