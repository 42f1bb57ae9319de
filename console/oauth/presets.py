"""What each provider's identity platform expects: endpoints, scopes and flows."""

from __future__ import annotations

from dataclasses import dataclass

Flow = str  # "device_code" | "auth_code" | "client_credentials"
FLOWS = ("device_code", "auth_code", "client_credentials")
MICROSOFT_AUTHORITY = "https://login.microsoftonline.com/{tenant}"
OFFICE365_SCOPES = ("https://outlook.office.com/SMTP.Send", "offline_access")
OFFICE365_APP_SCOPES = ("https://outlook.office365.com/.default",)
GMAIL_SCOPE = "https://mail.google.com/"
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
GOOGLE_TOKEN_URL = "https://oauth2.googleapis.com/token"
GOOGLE_REVOKE_URL = "https://oauth2.googleapis.com/revoke"
GOOGLE_DEVICE_URL = "https://oauth2.googleapis.com/device/code"
MICROSOFT_SHARED_TENANTS = ("common", "organizations", "consumers")


@dataclass(frozen=True)
class Preset:
    """One provider's sign-in facts."""

    provider: str
    name: str
    flows: tuple[Flow, ...]
    default_flow: Flow
    scopes: tuple[str, ...]


PRESETS = {
    "office365": Preset(
        "office365",
        "Microsoft identity platform",
        ("device_code", "auth_code", "client_credentials"),
        "device_code",
        OFFICE365_SCOPES,
    ),
    "gmail": Preset("gmail", "Google OAuth", ("auth_code",), "auth_code", (GMAIL_SCOPE,)),
}


@dataclass(frozen=True)
class Endpoints:
    """Where one sign-in talks to; empty when the provider has no such endpoint."""

    token: str
    device: str = ""
    authorize: str = ""
    revoke: str = ""


def preset(provider: str) -> Preset | None:
    """The provider's preset, or None when it does not sign in with OAuth here."""
    return PRESETS.get(provider)


def default_scopes(provider: str, flow: Flow) -> tuple[str, ...]:
    """The scopes a flow asks for when the channel names none."""
    if provider == "office365" and flow == "client_credentials":
        return OFFICE365_APP_SCOPES
    found = PRESETS.get(provider)
    return found.scopes if found else ()


def microsoft_endpoints(authority: str) -> Endpoints:
    """The v2.0 endpoints under a Microsoft authority (live or simulated)."""
    base = authority.rstrip("/") + "/oauth2/v2.0"
    return Endpoints(
        token=f"{base}/token", device=f"{base}/devicecode", authorize=f"{base}/authorize"
    )


def google_endpoints(base: str | None = None) -> Endpoints:
    """Google's endpoints, or the same paths under a simulated service's base URL."""
    if base is None:
        return Endpoints(GOOGLE_TOKEN_URL, GOOGLE_DEVICE_URL, GOOGLE_AUTH_URL, GOOGLE_REVOKE_URL)
    root = base.rstrip("/")
    return Endpoints(
        f"{root}/token", f"{root}/device/code", f"{root}/o/oauth2/v2/auth", f"{root}/revoke"
    )
