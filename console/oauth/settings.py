"""A channel's [oauth] table: the public settings of its sign-in, and what is wrong with them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from console.oauth import presets
from console.oauth.presets import Endpoints

TOKEN_STORES = ("keyring", "file")
# Keys a pasted token would sit under; the file must never hold one.
TOKEN_KEYS = ("token", "access_token", "refresh_token", "id_token", "bearer")
KEYS = (
    "flow",
    "tenant",
    "client_id",
    "scopes",
    "client_secret",
    "single_tenant",
    "authority",
    "auth_url",
    "token_url",
    "revoke_url",
    "device_url",
    "token_store",
    "passphrase",
)
_ENV = re.compile(r"^env:[A-Za-z_][A-Za-z0-9_]*$")
_TENANT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,253}$")


@dataclass(frozen=True)
class OAuthSettings:
    """How a channel signs in with OAuth; never a token or a literal secret."""

    flow: str = ""
    tenant: str = "organizations"
    client_id: str = ""
    scopes: tuple[str, ...] = ()
    client_secret: str = ""
    single_tenant: bool = False
    authority: str = ""
    auth_url: str = ""
    token_url: str = ""
    revoke_url: str = ""
    device_url: str = ""
    token_store: str = "keyring"
    passphrase: str = ""

    def flow_for(self, provider: str) -> str:
        """The flow named, else the provider's usual one."""
        found = presets.preset(provider)
        return self.flow or (found.default_flow if found else "")

    def scopes_for(self, provider: str) -> tuple[str, ...]:
        """The scopes named, else the flow's defaults."""
        return self.scopes or presets.default_scopes(provider, self.flow_for(provider))


def endpoints(settings: OAuthSettings, provider: str, base: str | None = None) -> Endpoints:
    """The endpoints a sign-in uses; base (a simulated service) wins over the overrides."""
    if provider == "office365":
        if base is not None:
            authority = f"{base.rstrip('/')}/{settings.tenant}"
        else:
            authority = settings.authority or presets.MICROSOFT_AUTHORITY
            authority = authority.replace("{tenant}", settings.tenant)
        found = presets.microsoft_endpoints(authority)
    else:
        found = presets.google_endpoints(base)
    if base is not None:
        return found
    return Endpoints(
        token=settings.token_url or found.token,
        device=settings.device_url or found.device,
        authorize=settings.auth_url or found.authorize,
        revoke=settings.revoke_url or found.revoke,
    )


def is_reference(value: str) -> bool:
    """True when a client secret is given by reference (where it lives), not as the value."""
    kind, _, rest = value.partition(":")
    return (
        value == "keyring"
        or (kind == "env" and bool(_ENV.match(value)))
        or (kind == "command" and bool(rest.strip()))
    )


def problems(
    settings: OAuthSettings, provider: str, method: str, secret: str
) -> list[tuple[str, str]]:
    """Every (field, reason) wrong with the sign-in settings; never repeats a secret value."""
    found: list[tuple[str, str]] = []
    preset = presets.preset(provider)
    if preset is None:
        return [("auth.method", f"{provider} offers no OAuth sign-in this console knows")]
    if secret != "oauth":
        found.append(
            ("auth.secret", f'an {method} channel signs in with OAuth: use secret = "oauth"')
        )
    flow = settings.flow_for(provider)
    if flow not in presets.FLOWS:
        found.append(("oauth.flow", f"must be one of {', '.join(presets.FLOWS)}"))
    elif flow not in preset.flows:
        found.append(("oauth.flow", _flow_refusal(provider, flow)))
    if not settings.client_id.strip():
        found.append(("oauth.client_id", _client_id_hint(provider)))
    if settings.client_secret and not is_reference(settings.client_secret):
        found.append(
            (
                "oauth.client_secret",
                "give it by reference (env:NAME, keyring or command:CMD), never the value itself",
            )
        )
    if provider == "office365":
        found += _microsoft(settings, flow)
    else:
        found += _google(settings)
    found += _urls(settings)
    found += _store(settings)
    return found


def _flow_refusal(provider: str, flow: str) -> str:
    if provider == "gmail" and flow == "device_code":
        return (
            "Google's device flow does not allow the Gmail scope (https://mail.google.com/): "
            'use flow = "auth_code"'
        )
    if provider == "gmail":
        return 'Gmail signs a person in with flow = "auth_code" (a desktop-app client)'
    return f"is not offered for {provider}"


def _client_id_hint(provider: str) -> str:
    if provider == "office365":
        return "is empty: the Application (client) ID of your Entra app registration"
    return "is empty: the client ID of your Google Cloud desktop-app OAuth client"


def _microsoft(settings: OAuthSettings, flow: str) -> list[tuple[str, str]]:
    found = []
    tenant = settings.tenant
    if not _TENANT.match(tenant):
        found.append(("oauth.tenant", "must be a tenant ID, a domain, or organizations"))
    elif settings.single_tenant and tenant in presets.MICROSOFT_SHARED_TENANTS:
        found.append(
            (
                "oauth.tenant",
                f"{tenant!r} is for apps open to many organisations; a single-organisation app "
                "needs your tenant ID or domain (e.g. contoso.onmicrosoft.com)",
            )
        )
    elif tenant == "consumers":
        found.append(
            (
                "oauth.tenant",
                "consumers is for personal Microsoft accounts (outlook.com); Office 365 mailboxes "
                "sign in through organizations or your tenant (AADSTS7000012 otherwise)",
            )
        )
    if flow == "client_credentials":
        if tenant in presets.MICROSOFT_SHARED_TENANTS:
            found.append(("oauth.tenant", "app-only sign-in needs your tenant ID or domain"))
        if not settings.client_secret:
            found.append(
                ("oauth.client_secret", "app-only sign-in needs the client secret, by reference")
            )
        if settings.scopes and settings.scopes != presets.OFFICE365_APP_SCOPES:
            found.append(
                ("oauth.scopes", f'app-only sign-in asks for ["{presets.OFFICE365_APP_SCOPES[0]}"]')
            )
        return found
    scopes = settings.scopes
    if scopes and not any(s.endswith("SMTP.Send") for s in scopes):
        found.append(("oauth.scopes", f"must include {presets.OFFICE365_SCOPES[0]}"))
    elif scopes and "offline_access" not in scopes:
        found.append(
            (
                "oauth.scopes",
                "add offline_access, or no refresh token comes and every hour needs a new sign-in",
            )
        )
    if settings.client_secret:
        found.append(
            (
                "oauth.client_secret",
                "a public client sends no secret (AADSTS700025 otherwise): remove it",
            )
        )
    return found


def _google(settings: OAuthSettings) -> list[tuple[str, str]]:
    found = []
    if settings.scopes and settings.scopes != (presets.GMAIL_SCOPE,):
        found.append(
            (
                "oauth.scopes",
                f'Gmail over SMTP needs exactly ["{presets.GMAIL_SCOPE}"]; narrower scopes '
                "(gmail.send and the like) are refused by smtp.gmail.com",
            )
        )
    if settings.tenant != "organizations" or settings.single_tenant:
        found.append(("oauth.tenant", "is a Microsoft setting; Google has no tenant: remove it"))
    return found


def _urls(settings: OAuthSettings) -> list[tuple[str, str]]:
    found = []
    for key in ("authority", "auth_url", "token_url", "revoke_url", "device_url"):
        value = getattr(settings, key)
        if not value:
            continue
        parts = urlsplit(value.replace("{tenant}", "t"))
        loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            found.append((f"oauth.{key}", "must be an https:// URL (http:// only on this machine)"))
    return found


def _store(settings: OAuthSettings) -> list[tuple[str, str]]:
    if settings.token_store not in TOKEN_STORES:
        return [("oauth.token_store", "must be keyring or file")]
    found = []
    if (
        settings.passphrase
        and settings.passphrase != "prompt"
        and not _ENV.match(settings.passphrase)
    ):
        found.append(
            ("oauth.passphrase", "must be prompt or env:NAME, never the passphrase itself")
        )
    if settings.token_store == "file" and not settings.passphrase:
        found.append(
            ("oauth.passphrase", 'the encrypted file store needs one: "prompt" or "env:NAME"')
        )
    return found
