"""The simulated Google OAuth endpoints over real HTTP (the test plays the browser), then SMTP."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from authlib.integrations.httpx_client import AsyncOAuth2Client
from signin_flow import (
    Loopback,
    authorize_url,
    browse,
    pkce,
    pkce_login,
    post,
    smtp_sign_in,
)

from simulator.clock import VirtualClock
from simulator.server import Simulator
from simulator.signin.tokens import Client
from simulator.state import Account
from tests.clients import need

USER = "ana@example.com"
CLIENT_ID = "1234-desktop.apps.googleusercontent.com"
SCOPE = "https://mail.google.com/"
OK = "235 2.7.0 Accepted"
REFUSED = "535 5.7.8 Username and Password not accepted."
EXPIRED = {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    async with Simulator("gmail", accounts=[Account(USER)], clock=VirtualClock(speed=0)) as sim:
        yield sim


async def refresh(sim: Simulator, token: str, **extra: str) -> httpx.Response:
    return await post(
        sim.signin_url,
        "/token",
        grant_type="refresh_token",
        client_id=CLIENT_ID,
        refresh_token=token,
        **extra,
    )


async def test_the_whole_pkce_flow_with_authlib_then_both_mechanisms(sim: Simulator) -> None:
    async with Loopback() as loopback:
        client = AsyncOAuth2Client(
            CLIENT_ID,
            scope=SCOPE,
            redirect_uri=loopback.redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="none",
        )
        verifier = base64.urlsafe_b64encode(os.urandom(40)).rstrip(b"=").decode()
        url, state = client.create_authorization_url(
            sim.signin_url + "/o/oauth2/v2/auth", code_verifier=verifier, access_type="offline"
        )
        landed = await browse(url)
        assert landed.status_code == 200 and landed.text == "Signed in"
        query = loopback.queries.get_nowait()
        assert query["state"] == state and query["scope"] == SCOPE
        callback = f"{loopback.redirect_uri}?{urlencode(query)}"
        token = await client.fetch_token(
            sim.signin_url + "/token", authorization_response=callback, code_verifier=verifier
        )
        await client.aclose()
    assert token["token_type"] == "Bearer" and token["expires_in"] == 3599
    assert 1500 <= len(token["access_token"]) <= 3072
    assert token["refresh_token"].startswith("1//")
    for mechanism in ("XOAUTH2", "OAUTHBEARER"):
        assert await smtp_sign_in(sim, USER, token["access_token"], mechanism) == OK

    sim.clock.advance(seconds=3599)
    assert (await smtp_sign_in(sim, USER, token["access_token"])).startswith(REFUSED)
    renewed = await refresh(sim, token["refresh_token"])
    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert "refresh_token" not in body  # Google keeps the same refresh token
    assert await smtp_sign_in(sim, USER, body["access_token"], "OAUTHBEARER") == OK
    assert (await refresh(sim, token["refresh_token"])).status_code == 200


async def test_oauthbearer_failure_follows_rfc_7628(sim: Simulator) -> None:
    from smtp_wire import Wire

    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    ehlo = await wire.ask("EHLO client.test")
    assert "250-AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH" in ehlo
    payload = f"n,a={USER},\x01host=smtp.gmail.com\x01port=587\x01auth=Bearer stale\x01\x01"
    challenge = await wire.ask("AUTH OAUTHBEARER " + base64.b64encode(payload.encode()).decode())
    code, _, data = challenge.partition(" ")
    assert code == "334"
    assert json.loads(base64.b64decode(data)) == {
        "status": "400",
        "schemes": "Bearer",
        "scope": "https://mail.google.com/",
    }
    final = await wire.ask(base64.b64encode(b"\x01").decode())
    assert final.startswith("535-5.7.8 Username and Password not accepted.")
    assert final.endswith(" - gsmtp")
    await wire.close()


async def test_a_token_for_another_account_or_scope_is_refused(sim: Simulator) -> None:
    tokens = await pkce_login(sim)
    assert (await smtp_sign_in(sim, "bo@example.com", tokens["access_token"])).startswith(REFUSED)
    other = await pkce_login(sim, scope="openid email")
    assert (await smtp_sign_in(sim, USER, other["access_token"])).startswith(REFUSED)
    assert "refresh_token" not in await pkce_login(sim, access_type="online")


async def test_code_exchange_checks(sim: Simulator) -> None:
    verifier, challenge = pkce()
    async with Loopback() as loopback:
        await browse(authorize_url(sim, loopback.redirect_uri, challenge))
        code = loopback.queries.get_nowait()["code"]
        base = {"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID}
        wrong_uri = await post(
            sim.signin_url, "/token", **base, redirect_uri="http://127.0.0.1:9/x"
        )
        assert wrong_uri.json() == {
            "error": "redirect_uri_mismatch",
            "error_description": "Bad Request",
        }
        form = {**base, "redirect_uri": loopback.redirect_uri}
        missing = await post(sim.signin_url, "/token", **form)
        assert missing.json()["error_description"] == "Missing code verifier."
        wrong = await post(sim.signin_url, "/token", **form, code_verifier="x" * 43)
        assert wrong.json() == {
            "error": "invalid_grant",
            "error_description": "Invalid code verifier.",
        }
        good = await post(sim.signin_url, "/token", **form, code_verifier=verifier)
        assert good.status_code == 200
        again = await post(sim.signin_url, "/token", **form, code_verifier=verifier)
        assert again.json()["error"] == "invalid_grant"
    garbage = await post(
        sim.signin_url, "/token", grant_type="authorization_code", code="x", client_id=CLIENT_ID
    )
    assert garbage.json() == {"error": "invalid_grant", "error_description": "Malformed auth code."}


async def test_authorize_refusals(sim: Simulator) -> None:
    _, challenge = pkce()
    oob = await browse(authorize_url(sim, "urn:ietf:wg:oauth:2.0:oob", challenge))
    assert oob.status_code == 400 and "Error 400: invalid_request" in oob.text
    remote = await browse(authorize_url(sim, "https://app.example/cb", challenge))
    assert remote.status_code == 400 and "redirect_uri_mismatch" in remote.text
    assert sim.signin is not None
    sim.signin.consent = "deny"
    async with Loopback() as loopback:
        await browse(authorize_url(sim, loopback.redirect_uri, challenge))
        assert loopback.queries.get_nowait() == {"error": "access_denied", "state": "st-1"}


async def test_manual_consent_page(sim: Simulator) -> None:
    assert sim.signin is not None
    sim.signin.consent = "manual"
    verifier, challenge = pkce()
    async with Loopback() as loopback, httpx.AsyncClient(follow_redirects=True) as browser:
        page = await browser.get(authorize_url(sim, loopback.redirect_uri, challenge))
        assert page.status_code == 200 and "wants to access your Google Account" in page.text
        request_id = page.text.split('name="request" value="')[1].split('"')[0]
        await browser.post(
            sim.signin_url + "/o/oauth2/v2/auth/consent",
            data={"request": request_id, "account": "new@example.com", "decision": "allow"},
        )
        assert "code" in loopback.queries.get_nowait()
    assert sim.state.account("new@example.com") is not None


@pytest.mark.parametrize(
    ("client", "status", "error"),
    [
        (Client(CLIENT_ID, org_internal=True), 403, "org_internal"),
        (Client(CLIENT_ID, admin_blocked=True), 400, "admin_policy_enforced"),
        (Client(CLIENT_ID, testing_mode=True, test_users=["x@example.com"]), 403, "access_denied"),
        (Client("someone-else"), 401, "invalid_client"),
    ],
)
async def test_client_registration_pages(
    sim: Simulator, client: Client, status: int, error: str
) -> None:
    sim.state.oauth.add_client(client)
    _, challenge = pkce()
    page = await browse(authorize_url(sim, "http://127.0.0.1:9/cb", challenge))
    assert page.status_code == status and f"Error {status}: {error}" in page.text


async def test_desktop_client_secret_is_checked(sim: Simulator) -> None:
    sim.state.oauth.add_client(Client(CLIENT_ID, secret="GOCSPX-desktop"))
    tokens_missing = await refresh(sim, "1//0x")
    assert tokens_missing.json() == {
        "error": "invalid_request",
        "error_description": "client_secret is missing.",
    }
    wrong = await refresh(sim, "1//0x", client_secret="nope")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    assert (await refresh(sim, "1//0x", client_secret="GOCSPX-desktop")).json() == {
        "error": "invalid_grant",
        "error_description": "Bad Request",
    }


@pytest.mark.parametrize(
    "control",
    ["revoke_refresh_token", "rotate_password", "withdraw_consent", "testing_mode_expiry"],
)
async def test_refresh_failures_from_controls(sim: Simulator, control: str) -> None:
    tokens = await pkce_login(sim)
    sim.control(control, USER)
    refused = await refresh(sim, tokens["refresh_token"])
    assert refused.status_code == 400 and refused.json() == EXPIRED


async def test_testing_mode_refresh_tokens_die_after_seven_days(sim: Simulator) -> None:
    sim.state.oauth.add_client(Client(CLIENT_ID, testing_mode=True))
    tokens = await pkce_login(sim)
    sim.clock.advance(days=6)
    assert (await refresh(sim, tokens["refresh_token"])).status_code == 200
    sim.clock.advance(days=2)
    assert (await refresh(sim, tokens["refresh_token"])).json() == EXPIRED


async def test_revoke_ends_the_grant(sim: Simulator) -> None:
    seen: list[str] = []
    sim.subscribe(lambda event: seen.append(event.text) if event.kind == "signin" else None)
    tokens = await pkce_login(sim)
    revoked = await post(sim.signin_url, "/revoke", token=tokens["refresh_token"])
    assert revoked.status_code == 200
    assert (await refresh(sim, tokens["refresh_token"])).json() == EXPIRED
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])).startswith(REFUSED)
    again = await post(sim.signin_url, "/revoke", token=tokens["refresh_token"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_token"
    assert seen[:2] == [
        f"consent given as {USER} to client {CLIENT_ID}",
        "tokens issued (authorization_code)",
    ]
    assert "a token was revoked, and its grant with it" in seen
    assert not [t for t in seen if tokens["refresh_token"] in t or tokens["access_token"] in t]


async def test_the_device_flow_refuses_the_gmail_scope(sim: Simulator) -> None:
    answer = await post(sim.signin_url, "/device/code", client_id=CLIENT_ID, scope=SCOPE)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_scope"
    other = await post(sim.signin_url, "/device/code", client_id=CLIENT_ID, scope="email")
    assert other.status_code == 200 and "verification_url" in other.json()


async def test_curl_signs_in_with_oauthbearer(sim: Simulator, tmp_path: Path) -> None:
    curl = need("curl")
    commands: list[str] = []
    sim.subscribe(lambda event: commands.append(event.text) if event.kind == "command" else None)
    tokens = await pkce_login(sim)
    message = tmp_path / "message.txt"
    message.write_text("From: ana@example.com\r\nSubject: t\r\n\r\nbody\r\n")
    # The token and user go in a config read from standard input, never in the arguments.
    config = f'oauth2-bearer = "{tokens["access_token"]}"\nuser = "{USER}:"\n'
    process = await asyncio.create_subprocess_exec(
        curl,
        "--silent",
        "--show-error",
        "--ssl-reqd",
        "--cacert",
        str(sim.ca_file),
        "--url",
        f"smtp://127.0.0.1:{sim.port}",
        "--mail-from",
        USER,
        "--mail-rcpt",
        "bo@example.org",
        "--upload-file",
        str(message),
        "--config",
        "-",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(config.encode()), 30)
    assert process.returncode == 0, stderr.decode()
    assert any(c.startswith("AUTH OAUTHBEARER") for c in commands)
    assert not [c for c in commands if tokens["access_token"][10:50] in c]
    assert sim.mailbox.messages[0].user == USER
