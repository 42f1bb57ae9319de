"""Helpers for sign-in tests: the OAuth requests a client makes, and SMTP sign-in with a token."""

from __future__ import annotations

import base64
from typing import Any

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
