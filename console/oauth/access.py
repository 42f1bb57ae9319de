"""One channel's sign-in: log in, hand out a fresh access token, report, log out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from console.channel import Channel
from console.diagnosis import diagnose
from console.oauth.errors import OAuthFailure, SignInError
from console.oauth.presets import Endpoints
from console.oauth.settings import OAuthSettings, endpoints
from console.oauth.tokens import TokenSet, TokenStore, store_for
from console.secrets import read_reference

# The HTTP and OAuth libraries load only when a token must be fetched: a cached token is quick.
if TYPE_CHECKING:
    from console.oauth.flows import Client, DeviceCode
    from console.oauth.loopback import Loopback

Clock = Callable[[], float]

CLIENT_SECRET_SERVICE = "smtp-console:oauth-client"
LEEWAY = 120.0  # refresh this many seconds before the access token runs out


class LoginView(Protocol):
    """What a login shows the person signing in, and how it hears back."""

    def device_code(self, code: DeviceCode) -> None:
        """Show the code and where to enter it."""

    def authorize(self, url: str) -> None:
        """Show (or open) the authorization address."""

    def redirect(self, loopback: Loopback) -> Awaitable[str]:
        """The address the browser came back to (the loopback, or one pasted)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait between polls."""


@dataclass
class SignIn:
    """Everything one channel's sign-in needs."""

    channel: Channel
    store: TokenStore
    endpoints: Endpoints
    clock: Clock = time.time
    settings: OAuthSettings = field(default_factory=OAuthSettings)

    @property
    def provider(self) -> str:
        """The channel's provider id."""
        return self.channel.provider

    @property
    def flow(self) -> str:
        """The flow this sign-in uses."""
        return self.settings.flow_for(self.provider)

    def client(self) -> Client:
        """The app registration, with its secret read from where the channel says."""
        secret = ""
        if self.settings.client_secret:
            secret = read_reference(
                self.settings.client_secret, CLIENT_SECRET_SERVICE, self.settings.client_id
            )
        from console.oauth.flows import Client

        return Client(self.settings.client_id, self.settings.scopes_for(self.provider), secret)


def sign_in_for(
    channel: Channel,
    *,
    base: str | None = None,
    store: TokenStore | None = None,
    clock: Clock = time.time,
) -> SignIn:
    """The channel's sign-in; base points it at a simulated service instead of the provider."""
    settings = channel.oauth or OAuthSettings()
    return SignIn(
        channel,
        store if store is not None else store_for(channel),
        endpoints(settings, channel.provider, base),
        clock,
        settings,
    )


def failure(signin: SignIn, error: OAuthFailure) -> SignInError:
    """A SignInError with the catalogue's diagnosis of what the provider said."""
    said = f"{error.error}: {error.description}" if error.description else error.error
    found = diagnose(said, signin.provider, "signin")
    diagnosis = found if found.source == "catalogue" else None
    lines = [f"The sign-in service refused: {said}"]
    if diagnosis is not None:
        lines += ["", diagnosis.render().replace(" CHANNEL", f" {signin.channel.name}")]
    return SignInError("\n".join(lines), diagnosis)


async def login(signin: SignIn, view: LoginView) -> TokenSet:
    """Run the channel's flow to the end and keep the tokens."""
    from console.oauth import flows
    from console.oauth.loopback import Loopback

    client, flow = signin.client(), signin.flow
    try:
        if flow == "device_code":
            grant = await flows.device_code(
                signin.endpoints, client, view.device_code, sleep=view.sleep
            )
        elif flow == "auth_code":
            async with Loopback() as loopback:
                grant = await flows.authorization_code(
                    signin.endpoints,
                    client,
                    view.authorize,
                    lambda: view.redirect(loopback),
                    loopback.redirect_uri,
                    _authorize_extras(signin),
                )
        else:
            grant = await flows.client_credentials(signin.endpoints, client)
    except OAuthFailure as error:
        raise failure(signin, error) from None
    now = signin.clock()
    tokens = TokenSet(
        account=signin.channel.auth.username,
        flow=flow,
        signed_in_at=now,
        token_url=signin.endpoints.token,
    )
    tokens = tokens.with_grant(grant, now)
    signin.store.save(tokens)
    return tokens


def _authorize_extras(signin: SignIn) -> dict[str, str]:
    extras = {"login_hint": signin.channel.auth.username} if signin.channel.auth.username else {}
    if signin.provider == "gmail":
        # Google hands out a refresh token only for offline access, and again only on consent.
        extras |= {"access_type": "offline", "prompt": "consent"}
    return extras


async def access_token(signin: SignIn, *, refresh: bool = False) -> tuple[str, bool]:
    """A usable access token and whether it was fetched just now; refreshes and rotates."""
    tokens = signin.store.load()
    if tokens is None:
        raise SignInError(
            f"Channel {signin.channel.name!r} is not signed in ({signin.store.where} holds no "
            f"tokens). Sign in with: smtp-console oauth login {signin.channel.name}"
        )
    now = signin.clock()
    if not refresh and tokens.access_token and tokens.expires_at - LEEWAY > now:
        return tokens.access_token, False
    from console.oauth import flows

    where = signin.endpoints
    if tokens.token_url:
        where = replace(where, token=tokens.token_url)
    try:
        if tokens.refresh_token:
            grant = await flows.refresh(where, signin.client(), tokens.refresh_token)
        elif signin.flow == "client_credentials":
            grant = await flows.client_credentials(where, signin.client())
        else:
            raise SignInError(
                f"The access token of channel {signin.channel.name!r} ran out and there is no "
                f"refresh token. Sign in again with: smtp-console oauth login "
                f"{signin.channel.name}"
            )
    except OAuthFailure as error:
        raise failure(signin, error) from None
    fresh = tokens.with_grant(grant, signin.clock())
    signin.store.save(fresh)
    return fresh.access_token, True


def renewal(signin: SignIn) -> Callable[[], Awaitable[str]]:
    """What a check calls when the server refuses the token: a refreshed one, kept."""

    async def renew() -> str:
        return (await access_token(signin, refresh=True))[0]

    return renew


def token_now(channel: Channel) -> str:
    """A fresh access token for the channel, from its own token store (no event loop running)."""
    return asyncio.run(access_token(sign_in_for(channel)))[0]


async def logout(signin: SignIn) -> list[str]:
    """Forget the tokens, revoking them first where the provider offers it; what was done."""
    from console.oauth import flows

    done: list[str] = []
    tokens = signin.store.load()
    if tokens is None:
        return [f"no tokens were stored in {signin.store.where}"]
    token = tokens.refresh_token or tokens.access_token
    where = signin.endpoints
    if tokens.token_url and tokens.token_url != where.token and where.revoke:
        # Revoke at the service that issued the token (a rehearsal's, say), not another.
        where = replace(where, revoke=tokens.token_url.removesuffix("/token") + "/revoke")
    if where.revoke and token:
        try:
            await flows.revoke(where, signin.client(), token)
            done.append("the provider revoked the token")
        except OAuthFailure as error:
            done.append(f"the provider did not revoke the token ({error}); forgotten here only")
    elif signin.provider == "office365":
        done.append(
            "Microsoft offers no revocation of one token: to end every session of the account, "
            "use Revoke-MgUserSignInSession or the Entra admin centre (Revoke sessions)"
        )
    signin.store.forget()
    done.append(f"the tokens were removed from {signin.store.where}")
    return done


def status(signin: SignIn) -> dict[str, Any]:
    """What is stored and what happens next; never a token."""
    tokens = signin.store.load()
    now = signin.clock()
    data: dict[str, Any] = {
        "channel": signin.channel.name,
        "provider": signin.provider,
        "flow": signin.flow,
        "store": signin.store.where,
        "signed_in": tokens is not None,
    }
    if tokens is None:
        data["next"] = f"sign in with: smtp-console oauth login {signin.channel.name}"
        return data
    left = tokens.expires_at - now
    data |= {
        "account": tokens.account,
        "scopes": tokens.scope.split(),
        "access_token_expires_at": _iso(tokens.expires_at),
        "access_token_seconds_left": max(0, round(left)),
        "refresh_token": bool(tokens.refresh_token),
        "refresh_token_age_days": round((now - tokens.refresh_issued_at) / 86400, 2)
        if tokens.refresh_token
        else None,
        "signed_in_at": _iso(tokens.signed_in_at),
        "issuer": tokens.token_url,
    }
    data["next"] = _next_step(signin, tokens, left)
    return data


def _next_step(signin: SignIn, tokens: TokenSet, left: float) -> str:
    if left > LEEWAY:
        return f"the cached access token is used for {round(left / 60)} more minutes"
    if tokens.refresh_token:
        return "the next `oauth token` (or check) gets a new access token with the refresh token"
    if signin.flow == "client_credentials":
        return "the next `oauth token` signs the app in again with its client secret"
    return f"sign in again with: smtp-console oauth login {signin.channel.name}"


def _iso(moment: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(moment)) if moment else ""
