"""The sign-in service around the flows: lifecycle, plugin fixture, simulate CLI, scenarios."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import httpx
import pytest
from signin_flow import (
    MS_SCOPE,
    aadsts,
    device_code,
    device_login,
    ms_refresh,
    poll,
    post,
    smtp_sign_in,
)

from console.cli import main
from simulator.clock import VirtualClock
from simulator.scenario import ScenarioError, load_scenario
from simulator.server import Simulator
from simulator.signin.app import SigninService
from simulator.state import Account

USER = "alice@contoso.com"


async def test_the_service_starts_and_stops_with_the_simulator() -> None:
    sim = Simulator("office365", accounts=[Account(USER)], clock=VirtualClock(speed=0))
    await sim.start()
    url = sim.signin_url
    async with httpx.AsyncClient() as client:
        assert (await client.get(url + "/_simulator/pending")).json() == []
    await sim.stop()
    with pytest.raises(httpx.ConnectError):
        async with httpx.AsyncClient() as client:
            await client.get(url + "/_simulator/pending")
    relay = Simulator("sendgrid")
    async with relay:
        assert relay.signin is None
        assert relay.signin_url == ""
    off = Simulator("gmail", signin_port=None)
    async with off:
        assert off.signin is None


@pytest.mark.smtp_simulator("office365", accounts=[f"{USER}:pw"], consent="manual", clock_speed=0)
async def test_the_plugin_fixture_approves_as_a_test_asks(
    smtp_simulator: Simulator, smtp_signin: SigninService
) -> None:
    assert smtp_signin.consent == "manual"
    device = await device_code(smtp_simulator)
    assert smtp_signin.pending() == [device["user_code"]]
    smtp_signin.approve(device["user_code"].lower(), USER)
    smtp_simulator.clock.advance(seconds=5)
    tokens = (await poll(smtp_simulator, device["device_code"])).json()
    assert await smtp_sign_in(smtp_simulator, USER, tokens["access_token"]) == (
        "235 2.7.0 Authentication successful"
    )
    with pytest.raises(KeyError):
        smtp_signin.deny(device["user_code"])
    with pytest.raises(ValueError, match="consent must be one of"):
        smtp_signin.consent = "sometimes"


async def test_the_device_login_page_approves_for_a_person() -> None:
    async with Simulator("office365", accounts=[Account(USER)], consent="manual") as sim:
        device = await device_code(sim)
        async with httpx.AsyncClient(base_url=sim.signin_url) as browser:
            page = await browser.get("/devicelogin")
            assert page.status_code == 200 and "Enter code" in page.text
            bad = await browser.post("/devicelogin", data={"user_code": "WRONG", "account": USER})
            assert bad.status_code == 400
            done = await browser.post(
                "/devicelogin", data={"user_code": device["user_code"], "account": USER}
            )
            assert done.status_code == 200 and "signed in" in done.text
        assert sim.signin is not None and sim.signin.pending() == []


async def test_simulate_prints_the_sign_in_service_and_takes_its_port() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "console",
        "simulate",
        "office365",
        "--port",
        "0",
        "--signin-port",
        "0",
        "--json-log",
        "--account",
        f"{USER}:pw",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        facts = json.loads(await asyncio.wait_for(process.stdout.readline(), 20))
        url = facts["signin_url"]
        assert url.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient(base_url=url) as client:
            answer = await client.post(
                "/contoso.com/oauth2/v2.0/devicecode", data={"client_id": "c", "scope": MS_SCOPE}
            )
            assert answer.status_code == 200 and answer.json()["interval"] == 5
    finally:
        process.terminate()
        await process.wait()


def test_simulate_refuses_a_bad_signin_port(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "office365", "--signin-port", "70000"]) == 2
    assert "--signin-port 70000: must be between 0 and 65535" in capsys.readouterr().err


SCENARIO = """
provider = "office365"
clock_speed = 0
consent = "manual"

[[accounts]]
username = "alice@contoso.com"

[[oauth_clients]]
client_id = "contoso-mailer"
tenant = "contoso.com"
single_tenant = true
name = "Contoso mailer"

[[events]]
at = "1h"
action = "refresh_token_idle"
user = "alice@contoso.com"
"""


async def test_a_scenario_registers_clients_and_sets_consent(tmp_path: Path) -> None:
    path = tmp_path / "oauth.toml"
    path.write_text(SCENARIO)
    scenario = load_scenario(path)
    assert [c.client_id for c in scenario.oauth_clients] == ["contoso-mailer"]
    async with Simulator("office365", scenario=scenario) as sim:
        assert sim.signin is not None and sim.signin.consent == "manual"
        sim.signin.consent = "auto"
        unknown = await post(
            sim.signin_url, "/contoso.com/oauth2/v2.0/devicecode", client_id="other", scope=MS_SCOPE
        )
        assert aadsts(unknown)[1] == 700016
        tokens = await device_login(sim, client_id="contoso-mailer")
        sim.clock.advance(hours=1)
        await asyncio.sleep(0.05)  # the scenario task applies the event
        refused = await ms_refresh(sim, tokens["refresh_token"], client_id="contoso-mailer")
        assert aadsts(refused) == ("invalid_grant", 700082)


def test_scenario_errors_name_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(SCENARIO.replace('consent = "manual"', 'consent = "maybe"'))
    with pytest.raises(ScenarioError, match="consent: must be one of auto, manual, deny"):
        load_scenario(path)
    path.write_text(SCENARIO.replace("single_tenant = true", "single_tenant = 1"))
    with pytest.raises(ScenarioError, match=r"oauth_clients\[0\].single_tenant"):
        load_scenario(path)
    path.write_text(SCENARIO + '\n[[oauth_clients]]\nclient_id = "x"\nsecret = 5\n')
    with pytest.raises(ScenarioError) as error:
        load_scenario(path)
    assert "oauth_clients[1].secret: must be a string, not a whole number" in str(error.value)


async def test_the_trainer_toggles_drive_the_identity_provider() -> None:
    from console.tui.rehearsal import PER_USER, TOGGLES, Rehearsal
    from simulator.state import ACCOUNT_CONTROLS, CONTROLS

    for toggle in TOGGLES:
        assert set(toggle.on + toggle.off) <= set(CONTROLS), toggle.id
    assert {a for t in TOGGLES for a in t.on + t.off} & set(ACCOUNT_CONTROLS) <= PER_USER
    rehearsal = Rehearsal(clock_speed=0)
    sim = await rehearsal.start("office365")
    try:
        sim.add_account(Account(USER))
        tokens = await device_login(sim)
        rehearsal.toggle("mailbox-smtp-auth-off", True, USER)
        assert "5.7.139" in await smtp_sign_in(sim, USER, tokens["access_token"])
        rehearsal.toggle("mailbox-smtp-auth-off", False, USER)
        rehearsal.toggle("consent-withdrawn", True, USER)
        assert aadsts(await ms_refresh(sim, tokens["refresh_token"]))[1] == 65001
    finally:
        await rehearsal.stop()


async def test_the_log_says_what_the_identity_provider_did_without_secrets() -> None:
    async with Simulator("office365", accounts=[Account(USER)], clock=VirtualClock(speed=0)) as sim:
        seen: list[str] = []
        sim.subscribe(lambda event: seen.append(event.text) if event.kind == "signin" else None)
        device = await device_code(sim)
        await poll(sim, device["device_code"])
        await poll(sim, device["device_code"])  # too soon: slow_down
        sim.clock.advance(seconds=10)
        tokens = (await poll(sim, device["device_code"])).json()
        await ms_refresh(sim, tokens["refresh_token"])
        sim.control("revoke_refresh_token", USER)
        await ms_refresh(sim, tokens["refresh_token"])
    code = device["user_code"]
    assert seen[0].startswith(f"device code {code} for client")
    assert seen[1].startswith(f"slow_down for {code}")
    assert seen[2] == f"{USER} signed in with device code {code}"
    assert seen[3] == f"token refreshed for {USER}"
    assert seen[4] == "token request refused: invalid_grant AADSTS50173"
    secrets = (tokens["access_token"][20:60], tokens["refresh_token"][20:60], device["device_code"])
    assert not [text for text in seen for secret in secrets if secret in text]
