"""The two OAuth lessons tell the story their descriptions promise, on a frozen clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiosmtplib
import pytest
from signin_flow import device_login, ms_refresh, pkce_login, post, smtp_sign_in

from simulator.clock import VirtualClock
from simulator.scenario import load_scenario, resolve_scenario
from simulator.server import Simulator


async def started(name: str) -> Simulator:
    scenario = load_scenario(resolve_scenario(name))
    sim = Simulator(scenario.provider, scenario=scenario, clock=VirtualClock(speed=0))
    await sim.start()
    return sim


@pytest.fixture
async def office() -> AsyncIterator[Simulator]:
    sim = await started("office365-move-to-oauth")
    yield sim
    await sim.stop()


@pytest.fixture
async def gmail() -> AsyncIterator[Simulator]:
    sim = await started("gmail-oauth-testing-app")
    yield sim
    await sim.stop()


async def password(sim: Simulator, user: str, secret: str) -> str:
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=sim.port, tls_context=sim.client_ssl_context()
    )
    await client.connect()
    try:
        return f"{(await client.login(user, secret)).code}"
    except aiosmtplib.SMTPAuthenticationError as refused:
        return f"{refused.code} {refused.message}"
    finally:
        client.close()


async def until(sim: Simulator, applied: int) -> None:
    """Wait for the scenario to apply its events now due."""
    for _ in range(100):
        if sum(1 for e in sim.events.recent if e.kind == "control") >= applied:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the scenario event did not come")


async def test_office365_moves_to_oauth(office: Simulator) -> None:
    user = "alice@contoso.com"
    assert await password(office, user, "Winter-2026") == "235"
    office.clock.advance(minutes=10)
    await until(office, 1)
    refused = await password(office, user, "Winter-2026")
    assert refused.startswith("535 5.7.139 Authentication unsuccessful, basic authentication")
    tokens = await device_login(office)
    assert await smtp_sign_in(office, user, tokens["access_token"]) == (
        "235 2.7.0 Authentication successful"
    )
    office.clock.advance(days=1)
    await until(office, 2)
    assert (await ms_refresh(office, tokens["refresh_token"])).json()["error_codes"] == [50076]
    again = await device_login(office)
    assert (await ms_refresh(office, again["refresh_token"])).status_code == 200


async def test_gmail_testing_app_loses_its_refresh_token(gmail: Simulator) -> None:
    user = "ana@example.com"
    assert (await password(gmail, user, "ana-google-password")).startswith("534 5.7.9")
    tokens = await pkce_login(gmail)
    for mechanism in ("XOAUTH2", "OAUTHBEARER"):
        assert await smtp_sign_in(gmail, user, tokens["access_token"], mechanism) == (
            "235 2.7.0 Accepted"
        )
    gmail.clock.advance(days=7)
    await until(gmail, 1)
    refused = await post(
        gmail.signin_url,
        "/token",
        grant_type="refresh_token",
        client_id="1234-desktop.apps.googleusercontent.com",
        refresh_token=tokens["refresh_token"],
    )
    assert refused.json() == {
        "error": "invalid_grant",
        "error_description": "Token has been expired or revoked.",
    }
