"""Helpers for sign-in tests: the OAuth requests a client makes, and SMTP sign-in with a token."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiosmtplib
import httpx

from simulator.server import Simulator

MS_SCOPE = "https://outlook.office.com/SMTP.Send offline_access openid profile"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
CLIENT_ID = "9e5f94bc-e8a4-4e73-b8be-63364c29d753"


async def post(base: str, path: str, **form: str) -> httpx.Response:
    """A form POST to the sign-in service."""
    async with httpx.AsyncClient(base_url=base) as client:
        return await client.post(path, data=form)


async def device_code(
    sim: Simulator, tenant: str = "contoso.com", client_id: str = CLIENT_ID, scope: str = MS_SCOPE
) -> dict[str, Any]:
    """Start a Microsoft device code sign-in; the JSON answer."""
    answer = await post(
        sim.signin_url, f"/{tenant}/oauth2/v2.0/devicecode", client_id=client_id, scope=scope
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def poll(
    sim: Simulator, code: str, tenant: str = "contoso.com", client_id: str = CLIENT_ID, **extra: str
) -> httpx.Response:
    """One poll of the Microsoft token endpoint for a device code."""
    return await post(
        sim.signin_url,
        f"/{tenant}/oauth2/v2.0/token",
        grant_type=DEVICE_GRANT,
        client_id=client_id,
        device_code=code,
        **extra,
    )


async def device_login(
    sim: Simulator, tenant: str = "contoso.com", client_id: str = CLIENT_ID
) -> dict[str, Any]:
    """A whole device code sign-in with auto consent on the virtual clock; the tokens."""
    device = await device_code(sim, tenant, client_id)
    sim.clock.advance(seconds=device["interval"])
    answer = await poll(sim, device["device_code"], tenant, client_id)
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def ms_refresh(
    sim: Simulator, refresh_token: str, tenant: str = "contoso.com", client_id: str = CLIENT_ID
) -> httpx.Response:
    """A Microsoft refresh_token grant."""
    return await post(
        sim.signin_url,
        f"/{tenant}/oauth2/v2.0/token",
        grant_type="refresh_token",
        client_id=client_id,
        refresh_token=refresh_token,
        scope=MS_SCOPE,
    )


def aadsts(answer: httpx.Response) -> tuple[str, int]:
    """The error and AADSTS code of a Microsoft error answer, checked for its shape."""
    body = answer.json()
    code = body["error_codes"][0]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= set(body)
    return body["error"], code


async def smtp_sign_in(sim: Simulator, user: str, token: str, mechanism: str = "XOAUTH2") -> str:
    """Sign in over SMTP (STARTTLS) with a bearer token; the final reply as 'CODE text'."""
    client = aiosmtplib.SMTP(
        hostname="127.0.0.1", port=sim.port, tls_context=sim.client_ssl_context()
    )
    await client.connect()
    await client.ehlo()
    try:
        if mechanism == "XOAUTH2":
            payload = f"user={user}\x01auth=Bearer {token}\x01\x01"
        else:
            payload = (
                f"n,a={user},\x01host=127.0.0.1\x01port={sim.port}\x01auth=Bearer {token}\x01\x01"
            )
        encoded = base64.b64encode(payload.encode()).decode()
        reply = await client.execute_command(b"AUTH", mechanism.encode(), encoded.encode())
        if reply.code == 334:  # the provider's error challenge: answer it, read the final reply
            answer = b"" if mechanism == "XOAUTH2" else base64.b64encode(b"\x01")
            reply = await client.execute_command(answer)
        return f"{reply.code} {reply.message}"
    finally:
        client.close()


GOOGLE_CLIENT_ID = "1234-desktop.apps.googleusercontent.com"
GMAIL_SCOPE = "https://mail.google.com/"


class Loopback:
    """The console's loopback redirect listener: records the query of the first request."""

    def __init__(self) -> None:
        self.queries: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Loopback:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    @property
    def redirect_uri(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}/callback"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        request_line = (await reader.readline()).decode()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        target = request_line.split(" ")[1]
        query = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        await self.queries.put(query)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nSigned in")
        await writer.drain()
        writer.close()


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(os.urandom(40)).rstrip(b"=").decode()
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


async def browse(url: str) -> httpx.Response:
    """The browser: open the authorize URL and follow the redirect to the loopback listener."""
    async with httpx.AsyncClient(follow_redirects=True) as browser:
        return await browser.get(url)


def authorize_url(sim: Simulator, redirect_uri: str, challenge: str, **extra: str) -> str:
    query = {
        "response_type": "code",
        "client_id": GOOGLE_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": GMAIL_SCOPE,
        "state": "st-1",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        **extra,
    }
    return f"{sim.signin_url}/o/oauth2/v2/auth?{urlencode(query)}"


async def pkce_login(sim: Simulator, **extra: str) -> dict[str, Any]:
    """A whole PKCE sign-in with auto consent; the token answer."""
    verifier, challenge = pkce()
    async with Loopback() as loopback:
        await browse(authorize_url(sim, loopback.redirect_uri, challenge, **extra))
        query = loopback.queries.get_nowait()
        answer = await post(
            sim.signin_url,
            "/token",
            grant_type="authorization_code",
            code=query["code"],
            client_id=GOOGLE_CLIENT_ID,
            redirect_uri=loopback.redirect_uri,
            code_verifier=verifier,
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
