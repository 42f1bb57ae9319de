"""The simulated Microsoft identity platform over real HTTP, and its tokens over real SMTP."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import pytest
from signin_flow import (
    CLIENT_ID,
    aadsts,
    device_code,
    device_login,
    ms_refresh,
    poll,
    post,
    smtp_sign_in,
)

from simulator.clock import VirtualClock
from simulator.server import Simulator
from simulator.signin.tokens import Client
from simulator.state import Account

USER = "alice@contoso.com"
OK = "235 2.7.0 Authentication successful"
REFUSED = "535 5.7.3 Authentication unsuccessful"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    account = Account(USER, password="Winter-2026")
    async with Simulator("office365", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        yield sim


def claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(payload + "=" * 4))
    return decoded


async def test_the_whole_device_code_flow_then_xoauth2_then_refresh(sim: Simulator) -> None:
    assert sim.signin_url.startswith("http://127.0.0.1:")
    device = await device_code(sim)
    assert device["expires_in"] == 900 and device["interval"] == 5
    assert device["user_code"] in device["message"]
    assert device["verification_uri"] == sim.signin_url + "/devicelogin"
    first = await poll(sim, device["device_code"])
    assert first.status_code == 400 and aadsts(first) == ("authorization_pending", 70016)
    assert sim.signin is not None and sim.signin.pending() == [device["user_code"]]
    sim.clock.advance(seconds=5)  # one interval: auto consent signs in as the first account
    answer = await poll(sim, device["device_code"])
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 3599
    assert tokens["scope"] == "https://outlook.office.com/SMTP.Send"
    assert 1500 <= len(tokens["access_token"]) <= 3072
    assert claims(tokens["access_token"])["upn"] == USER
    assert claims(tokens["id_token"])["preferred_username"] == USER
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])) == OK
    assert (await smtp_sign_in(sim, "bob@contoso.com", tokens["access_token"])).startswith(REFUSED)
    # The device code is spent.
    assert aadsts(await poll(sim, device["device_code"])) == ("invalid_grant", 70000)

    sim.clock.advance(seconds=3599)
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])).startswith(REFUSED)
    refreshed = await ms_refresh(sim, tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    renewed = refreshed.json()
    assert renewed["refresh_token"] != tokens["refresh_token"]  # Microsoft rotates it
    assert (await smtp_sign_in(sim, USER, renewed["access_token"])) == OK


async def test_polling_faster_than_the_interval_gets_slow_down(sim: Simulator) -> None:
    device = await device_code(sim)
    await poll(sim, device["device_code"])
    hurried = await poll(sim, device["device_code"])
    assert hurried.status_code == 400 and hurried.json()["error"] == "slow_down"
    sim.clock.advance(seconds=10)  # the interval grew by five seconds
    assert (await poll(sim, device["device_code"])).status_code == 200


async def test_manual_consent_waits_for_approval_over_http(sim: Simulator) -> None:
    assert sim.signin is not None
    sim.signin.consent = "manual"
    device = await device_code(sim)
    sim.clock.advance(minutes=5)
    assert aadsts(await poll(sim, device["device_code"]))[0] == "authorization_pending"
    pending = await post(sim.signin_url, "/_simulator/pending")
    assert pending.status_code == 405  # pending is a GET
    import httpx

    async with httpx.AsyncClient(base_url=sim.signin_url) as client:
        assert (await client.get("/_simulator/pending")).json() == [device["user_code"]]
        approved = await client.post(
            "/_simulator/approve", data={"user_code": device["user_code"], "account": USER}
        )
        assert approved.status_code == 204
        unknown = await client.post(
            "/_simulator/approve", data={"user_code": "NOPE", "account": USER}
        )
        assert unknown.status_code == 404
    sim.clock.advance(seconds=10)
    tokens = (await poll(sim, device["device_code"])).json()
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])) == OK


async def test_declined_and_expired_device_codes(sim: Simulator) -> None:
    assert sim.signin is not None
    sim.signin.consent = "manual"
    declined = await device_code(sim)
    sim.signin.deny(declined["user_code"])
    assert aadsts(await poll(sim, declined["device_code"])) == ("authorization_declined", 70000)
    late = await device_code(sim)
    sim.clock.advance(seconds=900)
    assert aadsts(await poll(sim, late["device_code"])) == ("expired_token", 70020)
    controlled = await device_code(sim)
    sim.control("expire_device_codes")
    assert aadsts(await poll(sim, controlled["device_code"]))[0] == "expired_token"
    slowed = await device_code(sim)
    sim.clock.advance(seconds=30)
    sim.control("slow_down")
    assert (await poll(sim, slowed["device_code"])).json()["error"] == "slow_down"
    sim.control("approve_sign_in", USER)
    sim.clock.advance(seconds=30)
    assert (await poll(sim, slowed["device_code"])).status_code == 200


async def test_static_scenario_tokens_still_sign_in(sim: Simulator) -> None:
    sim.add_account(Account("bob@contoso.com", tokens=["static-token"]))
    assert (await smtp_sign_in(sim, "bob@contoso.com", "static-token")) == OK
    assert (await smtp_sign_in(sim, USER, "never-issued")).startswith(REFUSED)


async def test_smtp_auth_disabled_refuses_a_valid_token(sim: Simulator) -> None:
    tokens = await device_login(sim)
    sim.control("disable_smtp_auth_mailbox", USER)
    mailbox = await smtp_sign_in(sim, USER, tokens["access_token"])
    assert mailbox.startswith("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication")
    assert "disabled for the Mailbox" in mailbox
    sim.control("enable_smtp_auth_mailbox", USER)
    sim.control("disable_smtp_auth")
    assert "disabled for the Tenant" in await smtp_sign_in(sim, USER, tokens["access_token"])
    sim.control("enable_smtp_auth")
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])) == OK


@pytest.mark.parametrize(
    ("control", "code"),
    [
        ("revoke_refresh_token", 50173),
        ("rotate_password", 50173),
        ("refresh_token_idle", 700082),
        ("withdraw_consent", 65001),
        ("conditional_access_on", 53003),
        ("require_mfa", 50076),
    ],
)
async def test_refresh_failures_from_controls(sim: Simulator, control: str, code: int) -> None:
    tokens = await device_login(sim)
    sim.control(control, USER if control not in ("conditional_access_on", "require_mfa") else None)
    refused = await ms_refresh(sim, tokens["refresh_token"])
    assert refused.status_code == 400
    assert aadsts(refused) == ("invalid_grant", code)
    if control != "revoke_refresh_token":  # the access token runs until it expires
        assert (await smtp_sign_in(sim, USER, tokens["access_token"])) == OK


async def test_ninety_idle_days_on_the_virtual_clock(sim: Simulator) -> None:
    tokens = await device_login(sim)
    sim.clock.advance(days=89)
    kept = await ms_refresh(sim, tokens["refresh_token"])
    assert kept.status_code == 200  # used: the window slides
    sim.clock.advance(days=91)
    stale = await ms_refresh(sim, kept.json()["refresh_token"])
    assert aadsts(stale) == ("invalid_grant", 700082)
    assert "was inactive for 90.00:00:00" in stale.json()["error_description"]


async def test_revoke_token_control_stops_access_tokens_at_once(sim: Simulator) -> None:
    tokens = await device_login(sim)
    sim.control("revoke_token", USER)
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])).startswith(REFUSED)


async def test_mfa_is_satisfied_by_a_new_interactive_sign_in(sim: Simulator) -> None:
    await device_login(sim)
    sim.control("require_mfa")
    tokens = await device_login(sim)
    assert (await ms_refresh(sim, tokens["refresh_token"])).status_code == 200


async def test_conditional_access_blocks_the_device_code_sign_in(sim: Simulator) -> None:
    sim.control("conditional_access_on")
    device = await device_code(sim)
    sim.clock.advance(seconds=5)
    assert aadsts(await poll(sim, device["device_code"])) == ("invalid_grant", 53003)


async def test_client_registration_errors(sim: Simulator) -> None:
    oauth = sim.state.oauth
    oauth.add_client(Client("public-app", public_flows=True))
    oauth.add_client(Client("no-public-flows", public_flows=False))
    oauth.add_client(Client("one-org", tenant="contoso.com", single_tenant=True))
    oauth.add_client(Client("daemon", tenant="contoso.com", secret="s3cret", public_flows=False))
    unknown = await post(
        sim.signin_url, "/contoso.com/oauth2/v2.0/devicecode", client_id=CLIENT_ID, scope="x"
    )
    assert aadsts(unknown) == ("unauthorized_client", 700016)
    device = await device_code(sim, client_id="no-public-flows")
    sim.clock.advance(seconds=5)
    refused = await poll(sim, device["device_code"], client_id="no-public-flows")
    assert refused.status_code == 401 and aadsts(refused) == ("invalid_client", 7000218)
    device = await device_code(sim, client_id="public-app")
    sim.clock.advance(seconds=5)
    secret = await poll(sim, device["device_code"], client_id="public-app", client_secret="x")
    assert aadsts(secret) == ("invalid_client", 700025)
    common = await post(
        sim.signin_url, "/common/oauth2/v2.0/devicecode", client_id="one-org", scope="x"
    )
    assert aadsts(common) == ("invalid_request", 50194)
    consumers = await post(
        sim.signin_url, "/consumers/oauth2/v2.0/devicecode", client_id="public-app", scope="x"
    )
    assert aadsts(consumers) == ("unauthorized_client", 700016)
    assert "'Microsoft Accounts'" in consumers.json()["error_description"]
    tokens = await device_login(sim, "organizations", "public-app")
    other = await ms_refresh(sim, tokens["refresh_token"], "fabrikam.com", "public-app")
    assert aadsts(other) == ("invalid_grant", 7000012)
    assert (await ms_refresh(sim, tokens["refresh_token"], "contoso.com", "public-app")).is_success


async def test_client_credentials_for_app_only_sending(sim: Simulator) -> None:
    sim.state.oauth.add_client(Client("daemon", tenant="contoso.com", secret="s3cret"))
    base, path = sim.signin_url, "/contoso.com/oauth2/v2.0/token"
    scope = "https://outlook.office365.com/.default"
    form = {"grant_type": "client_credentials", "client_id": "daemon", "scope": scope}
    wrong = await post(base, path, **form, client_secret="guess")
    assert aadsts(wrong) == ("invalid_client", 7000215)
    missing = await post(base, path, **form)
    assert aadsts(missing) == ("invalid_client", 7000218)
    bad_scope = await post(base, path, **{**form, "scope": "SMTP.Send"}, client_secret="s3cret")
    assert aadsts(bad_scope) == ("invalid_scope", 1002012)
    answer = await post(base, path, **form, client_secret="s3cret")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert "refresh_token" not in body and claims(body["access_token"])["roles"] == [
        "SMTP.SendAsApp"
    ]
    assert (await smtp_sign_in(sim, USER, body["access_token"])) == OK


async def test_a_graph_token_does_not_sign_in_to_smtp(sim: Simulator) -> None:
    device = await device_code(sim, scope="SMTP.Send offline_access")  # bare name: Graph
    sim.clock.advance(seconds=5)
    tokens = (await poll(sim, device["device_code"])).json()
    assert tokens["scope"] == "https://graph.microsoft.com/SMTP.Send"
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])).startswith(REFUSED)


async def test_without_offline_access_no_refresh_token(sim: Simulator) -> None:
    device = await device_code(sim, scope="https://outlook.office.com/SMTP.Send")
    sim.clock.advance(seconds=5)
    assert "refresh_token" not in (await poll(sim, device["device_code"])).json()


async def test_missing_parameters_and_unknown_grants(sim: Simulator) -> None:
    missing = await post(sim.signin_url, "/contoso.com/oauth2/v2.0/devicecode", scope="x")
    assert aadsts(missing) == ("invalid_request", 900144)
    odd = await post(
        sim.signin_url, "/contoso.com/oauth2/v2.0/token", grant_type="password", client_id="a"
    )
    assert aadsts(odd) == ("unsupported_grant_type", 70003)
    garbage = await ms_refresh(sim, "not-a-token")
    assert aadsts(garbage) == ("invalid_grant", 9002313)
