"""The OAuth 2.0 grants, over authlib's httpx client: one code path for every provider."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from authlib import deprecate
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError

from console.oauth.errors import OAuthFailure
from console.oauth.presets import Endpoints

with warnings.catch_warnings():
    # authlib 1.9 nudges towards httpx2 on import; httpx is this project's HTTP library.
    warnings.simplefilter("ignore", deprecate.AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
HTTP_TIMEOUT = 30.0
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


@dataclass(frozen=True)
class Client:
    """Who signs in: the app registration and what it asks for."""

    client_id: str
    scopes: tuple[str, ...]
    client_secret: str = ""

    def session(self, **extra: Any) -> Any:
        """An authlib client over httpx for this app registration."""
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self.client_secret or None,
            scope=" ".join(self.scopes),
            timeout=HTTP_TIMEOUT,
            **extra,
        )


@dataclass(frozen=True)
class DeviceCode:
    """What the person signing in must see: the code, where to enter it, and for how long."""

    user_code: str
    verification_uri: str
    expires_in: int
    interval: int
    message: str


async def device_code(
    endpoints: Endpoints,
    client: Client,
    show: Callable[[DeviceCode], None],
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> dict[str, Any]:
    """RFC 8628: ask for a code, show it, poll at the server's interval until signed in."""
    async with client.session() as session:
        answer = await _post(
            session,
            endpoints.device,
            {"client_id": client.client_id, "scope": " ".join(client.scopes)},
        )
        code = DeviceCode(
            str(answer["user_code"]),
            str(answer.get("verification_uri") or answer.get("verification_url", "")),
            int(answer.get("expires_in", 900)),
            int(answer.get("interval", 5)),
            str(answer.get("message", "")),
        )
        show(code)
        interval, deadline = code.interval, clock() + code.expires_in
        while True:
            await sleep(interval)
            try:
                return dict(
                    await session.fetch_token(
                        endpoints.token, grant_type=DEVICE_GRANT, device_code=answer["device_code"]
                    )
                )
            except OAuthError as error:
                if error.error == "authorization_pending" and clock() < deadline:
                    continue
                if error.error == "slow_down":
                    interval += 5
                    continue
                raise OAuthFailure(str(error.error), str(error.description or "")) from None
            except httpx.HTTPError as error:
                raise _unreachable(endpoints.token, error) from None


async def authorization_code(
    endpoints: Endpoints,
    client: Client,
    show: Callable[[str], None],
    redirect: Callable[[], Awaitable[str]],
    redirect_uri: str,
    extra: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The authorization code grant with PKCE (S256): show the URL, take the redirect, exchange."""
    verifier = generate_token(64)
    async with client.session(redirect_uri=redirect_uri, code_challenge_method="S256") as session:
        url, state = session.create_authorization_url(
            endpoints.authorize, code_verifier=verifier, **(extra or {})
        )
        show(url)
        answer = await redirect()
        _check_redirect(answer, state)
        try:
            return dict(
                await session.fetch_token(
                    endpoints.token,
                    authorization_response=answer,
                    code_verifier=verifier,
                    state=state,
                )
            )
        except OAuthError as error:
            raise OAuthFailure(str(error.error), str(error.description or "")) from None
        except httpx.HTTPError as error:
            raise _unreachable(endpoints.token, error) from None


async def client_credentials(endpoints: Endpoints, client: Client) -> dict[str, Any]:
    """App-only sign-in of a confidential client with its secret."""
    async with client.session(token_endpoint_auth_method="client_secret_post") as session:
        return await _token(session, endpoints.token, grant_type="client_credentials")


async def refresh(endpoints: Endpoints, client: Client, refresh_token: str) -> dict[str, Any]:
    """A new access token for a refresh token (the answer may carry a rotated refresh token)."""
    async with client.session() as session:
        try:
            return dict(await session.refresh_token(endpoints.token, refresh_token=refresh_token))
        except OAuthError as error:
            raise OAuthFailure(str(error.error), str(error.description or "")) from None
        except httpx.HTTPError as error:
            raise _unreachable(endpoints.token, error) from None


async def revoke(endpoints: Endpoints, client: Client, token: str) -> None:
    """Ask the provider to revoke a token (RFC 7009)."""
    async with client.session() as session:
        try:
            response = await session.revoke_token(endpoints.revoke, token=token)
        except httpx.HTTPError as error:
            raise _unreachable(endpoints.revoke, error) from None
        if response.status_code >= 400:
            body = _json(response)
            raise OAuthFailure(
                str(body.get("error", f"HTTP {response.status_code}")),
                str(body.get("error_description", "")),
            )


async def _token(session: Any, url: str, **form: str) -> dict[str, Any]:
    try:
        return dict(await session.fetch_token(url, **form))
    except OAuthError as error:
        raise OAuthFailure(str(error.error), str(error.description or "")) from None
    except httpx.HTTPError as error:
        raise _unreachable(url, error) from None


async def _post(session: Any, url: str, form: dict[str, str]) -> dict[str, Any]:
    try:
        response = await session.request(
            "POST", url, data=form, headers={"Accept": "application/json"}, withhold_token=True
        )
    except httpx.HTTPError as error:
        raise _unreachable(url, error) from None
    body = _json(response)
    if response.status_code >= 400 or "error" in body:
        raise OAuthFailure(
            str(body.get("error", f"HTTP {response.status_code}")),
            str(body.get("error_description", "")),
        )
    return body


def _check_redirect(url: str, state: str) -> None:
    """OAuthFailure when the redirect carries a refusal, or is not the answer to this request."""
    query = dict(parse_qsl(urlsplit(url.strip()).query))
    if "error" in query:
        raise OAuthFailure(query["error"], query.get("error_description", ""))
    if "code" not in query:
        raise OAuthFailure(
            "invalid_redirect", "the address has no code= in it: paste the whole address"
        )
    if query.get("state") != state:
        raise OAuthFailure(
            "invalid_state", "the address answers another sign-in (its state differs): start again"
        )


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _unreachable(url: str, error: httpx.HTTPError) -> OAuthFailure:
    where = httpx.URL(url)
    return OAuthFailure(
        "unreachable",
        f"the sign-in service at {where.scheme}://{where.host}"
        f"{':' + str(where.port) if where.port else ''} could not be reached "
        f"({type(error).__name__})",
    )
