"""Microsoft's authorize endpoint and authorization code grant (PKCE), over real HTTP and SMTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from signin_flow import CLIENT_ID, MS_SCOPE, Loopback, aadsts, pkce, post, smtp_sign_in

from simulator.clock import VirtualClock
from simulator.server import Simulator
from simulator.signin.tokens import Client
from simulator.state import Account

USER = "alice@contoso.com"
OK = "235 2.7.0 Authentication successful"
TOKEN_PATH = "/contoso.com/oauth2/v2.0/token"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    account = Account(USER, send_as=[USER])
    async with Simulator("office365", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        yield sim


def authorize_url(sim: Simulator, redirect_uri: str, challenge: str, **extra: str) -> str:
    query = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "scope": MS_SCOPE,
        "state": "st-7",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{sim.signin_url}/contoso.com/oauth2/v2.0/authorize?{urlencode(query)}"


async def landed(url: str) -> dict[str, str]:
    """Open the authorize URL without following: the query Microsoft redirects with."""
    async with httpx.AsyncClient() as browser:
        answer = await browser.get(url)
    assert answer.status_code == 302, answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


async def redeem(sim: Simulator, code: str, redirect_uri: str, verifier: str) -> httpx.Response:
    return await post(
        sim.signin_url,
        TOKEN_PATH,
        grant_type="authorization_code",
        client_id=CLIENT_ID,
        code=code,
        redirect_uri=redirect_uri,
        code_verifier=verifier,
        scope=MS_SCOPE,
    )


async def test_code_with_pkce_over_the_loopback_then_xoauth2(sim: Simulator) -> None:
    verifier, challenge = pkce()
    async with Loopback() as loopback:
        redirect_uri = loopback.redirect_uri
        async with httpx.AsyncClient(follow_redirects=True) as browser:
            page = await browser.get(authorize_url(sim, redirect_uri, challenge))
        assert page.text == "Signed in"
        query = loopback.queries.get_nowait()
    assert query["state"] == "st-7" and query["code"].startswith("0.A")
    answer = await redeem(sim, query["code"], redirect_uri, verifier)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    assert tokens["scope"] == "https://outlook.office.com/SMTP.Send" and tokens["refresh_token"]
    assert (await smtp_sign_in(sim, USER, tokens["access_token"])) == OK
    again = await redeem(sim, query["code"], redirect_uri, verifier)
    assert aadsts(again) == ("invalid_grant", 54005)


async def test_a_declined_consent_comes_back_on_the_redirect(sim: Simulator) -> None:
    assert sim.signin is not None
    sim.signin.consent = "deny"
    _, challenge = pkce()
    query = await landed(authorize_url(sim, "http://127.0.0.1:4567/", challenge))
    assert query["error"] == "access_denied" and query["error_subcode"] == "cancel"
    assert query["error_description"].startswith("AADSTS65004: User declined to consent")
    assert query["state"] == "st-7" and "code" not in query


async def test_a_wrong_code_verifier_is_refused(sim: Simulator) -> None:
    _, challenge = pkce()
    other, _ = pkce()
    redirect_uri = "http://127.0.0.1:4567/"
    query = await landed(authorize_url(sim, redirect_uri, challenge))
    refused = await redeem(sim, query["code"], redirect_uri, other)
    assert aadsts(refused) == ("invalid_grant", 501481)
    assert "Code_Verifier does not match the code_challenge" in refused.json()["error_description"]


async def test_redirect_uri_mismatches(sim: Simulator) -> None:
    verifier, challenge = pkce()
    query = await landed(authorize_url(sim, "http://127.0.0.1:4567/", challenge))
    switched = await redeem(sim, query["code"], "http://127.0.0.1:4568/", verifier)
    assert aadsts(switched) == ("invalid_grant", 500112)
    # An address the app registration does not list: an error page, no redirect at all.
    sim.state.oauth.add_client(Client(CLIENT_ID, redirect_uris=["https://app.example.com/cb"]))
    async with httpx.AsyncClient() as browser:
        page = await browser.get(authorize_url(sim, "http://127.0.0.1:4567/", challenge))
    assert page.status_code == 400 and "location" not in page.headers
    assert "AADSTS50011: The redirect URI &#x27;http://127.0.0.1:4567/&#x27;" in page.text
    web = await landed(authorize_url(sim, "https://app.example.com/cb", challenge))
    assert web["code"]


async def test_codes_expire_and_need_their_client(sim: Simulator) -> None:
    verifier, challenge = pkce()
    redirect_uri = "http://localhost:4567/"
    query = await landed(authorize_url(sim, redirect_uri, challenge))
    stranger = await post(
        sim.signin_url,
        TOKEN_PATH,
        grant_type="authorization_code",
        client_id="another-app",
        code=query["code"],
        redirect_uri=redirect_uri,
        code_verifier=verifier,
    )
    assert aadsts(stranger) == ("invalid_grant", 70000)
    sim.clock.advance(minutes=11)
    assert aadsts(await redeem(sim, query["code"], redirect_uri, verifier)) == (
        "invalid_grant",
        70008,
    )


async def test_manual_consent_shows_a_page_that_signs_in_as_typed(sim: Simulator) -> None:
    assert sim.signin is not None
    sim.signin.consent = "manual"
    verifier, challenge = pkce()
    redirect_uri = "http://127.0.0.1:4567/"
    async with httpx.AsyncClient(base_url=sim.signin_url) as browser:
        page = await browser.get(authorize_url(sim, redirect_uri, challenge))
        assert "Permissions requested" in page.text
        request_id = page.text.split('name="request" value="')[1].split('"')[0]
        answer = await browser.post(
            "/contoso.com/oauth2/v2.0/authorize/consent",
            data={"request": request_id, "account": "bob@contoso.com", "decision": "allow"},
        )
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    tokens = (await redeem(sim, code, redirect_uri, verifier)).json()
    assert (await smtp_sign_in(sim, "bob@contoso.com", tokens["access_token"])) == OK
