"""The Microsoft identity platform's refusals: AADSTS codes, their texts, the JSON they come in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from simulator.signin.tokens import EXCHANGE_RESOURCE

GENERIC_TENANTS = ("common", "organizations")

# error, AADSTS code, message (the Entra error-code reference's wording), suberror
ERRORS: dict[str, tuple[str, int, str, str]] = {
    "missing": (
        "invalid_request",
        900144,
        "The request body must contain the following parameter: '{name}'.",
        "",
    ),
    "pending": (
        "authorization_pending",
        70016,
        "OAuth 2.0 device flow error. Authorization is pending. Continue polling.",
        "",
    ),
    "expired": (
        "expired_token",
        70020,
        "The provided value for the input parameter 'device_code' is not valid. "
        "This device code has expired.",
        "",
    ),
    "declined": (
        "authorization_declined",
        70000,
        "The user declined to authorize the application.",
        "",
    ),
    "malformed": (
        "invalid_grant",
        9002313,
        "Invalid request. Request is malformed or invalid.",
        "",
    ),
    "other_client": ("invalid_grant", 70000, "Provided grant is invalid or malformed.", ""),
    "redeemed": ("invalid_grant", 70000, "Provided grant is invalid or malformed.", ""),
    "revoked": (
        "invalid_grant",
        50173,
        "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
        "The user might have changed or reset their password. The grant was issued on "
        "'{issued}' and the TokensValidFrom date (before which tokens are not valid) for this "
        "user is '{now}'.",
        "bad_token",
    ),
    "idle": (
        "invalid_grant",
        700082,
        "The refresh token has expired due to inactivity. The token was issued on {issued} "
        "and was inactive for 90.00:00:00.",
        "bad_token",
    ),
    "consent": (
        "invalid_grant",
        65001,
        "The user or administrator has not consented to use the application with ID "
        "'{client_id}' named '{name}'. Send an interactive authorization request for this "
        "user and resource.",
        "consent_required",
    ),
    "other_tenant": (
        "invalid_grant",
        7000012,
        "The grant was obtained for a different tenant.",
        "",
    ),
    "conditional_access": (
        "invalid_grant",
        53003,
        "Access has been blocked by Conditional Access policies. "
        "The access policy does not allow token issuance.",
        "message_only",
    ),
    "mfa": (
        "invalid_grant",
        50076,
        "Due to a configuration change made by your administrator, or because you moved to a "
        "new location, you must use multi-factor authentication to access "
        f"'{EXCHANGE_RESOURCE}'.",
        "basic_action",
    ),
    "testing_expired": ("invalid_grant", 70000, "Provided grant is invalid or malformed.", ""),
    "not_in_tenant": (
        "unauthorized_client",
        700016,
        "Application with identifier '{client_id}' was not found in the directory '{tenant}'. "
        "This can happen if the application has not been installed by the administrator of "
        "the tenant or consented to by any user in the tenant. You may have sent your "
        "authentication request to the wrong tenant.",
        "",
    ),
    "not_multi_tenant": (
        "invalid_request",
        50194,
        "Application '{client_id}'({name}) is not configured as a multi-tenant application. "
        "Usage of the /common endpoint is not supported for such applications created after "
        "'10/15/2018'. Use a tenant-specific endpoint or configure the application to be "
        "multi-tenant.",
        "",
    ),
    "secret_required": (
        "invalid_client",
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or "
        "'client_secret'.",
        "",
    ),
    "public_client": (
        "invalid_client",
        700025,
        "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
        "",
    ),
    "bad_secret": (
        "invalid_client",
        7000215,
        "Invalid client secret provided. Ensure the secret being sent in the request is the "
        "client secret value, not the client secret ID, for a secret added to app "
        "'{client_id}'.",
        "",
    ),
    "default_scope": (
        "invalid_scope",
        1002012,
        "The provided value for scope {scope} is not valid. Client credential flows must have "
        "a scope value with /.default suffixed to the resource identifier (application ID URI).",
        "",
    ),
    "grant_type": (
        "unsupported_grant_type",
        70003,
        "The app requested an unsupported grant type '{grant_type}'.",
        "",
    ),
    # The authorization code grant (authorize endpoint, code redemption, PKCE). None of these
    # texts is in shared/reference/providers.md: the JSON shape is Microsoft's, the codes and
    # wording are ASSUMED from the Entra error-code reference and unverified (see UNVERIFIED).
    "declined_consent": (
        "access_denied",
        65004,
        "User declined to consent to access the app.",
        "",
    ),
    "redirect_unregistered": (
        "invalid_request",
        50011,
        "The redirect URI '{redirect_uri}' specified in the request does not match the "
        "redirect URIs configured for the application '{client_id}'. Make sure the redirect "
        "URI sent in the request matches one added to your application in the Azure portal. "
        "Navigate to https://aka.ms/redirectUriMismatchError to learn more about how to fix "
        "this.",
        "",
    ),
    "reply_mismatch": (
        "invalid_grant",
        500112,
        "The reply address '{redirect_uri}' does not match the reply address '{original}' "
        "provided when requesting Authorization code.",
        "",
    ),
    "pkce": (
        "invalid_grant",
        501481,
        "The Code_Verifier does not match the code_challenge supplied in the authorization "
        "request.",
        "",
    ),
    "code_redeemed": (
        "invalid_grant",
        54005,
        "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
        "or use an existing refresh token.",
        "",
    ),
    "code_expired": (
        "invalid_grant",
        70008,
        "The provided authorization code or refresh token has expired due to inactivity. "
        "Send a new interactive authorization request for this user and resource.",
        "",
    ),
    "response_type": (
        "unsupported_response_type",
        700051,
        "response_type '{response_type}' is not enabled for the application.",
        "",
    ),
}
STATUS = {"invalid_client": 401}
# Refusals whose code and text are not in providers.md: the shape is real, the words assumed.
UNVERIFIED = frozenset(
    {
        "declined_consent",
        "redirect_unregistered",
        "reply_mismatch",
        "pkce",
        "code_redeemed",
        "code_expired",
        "response_type",
    }
)


class MicrosoftError(Exception):
    """A refusal in the Microsoft identity platform's words."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


def error_body(key: str, now: datetime, **values: object) -> dict[str, object]:
    """The JSON error body Microsoft sends for a refusal (at the token endpoint or a redirect)."""
    name, code, message, suberror = ERRORS[key]
    stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    text = message.format_map(_Values({"now": iso(now.timestamp()), **values}))
    body: dict[str, object] = {
        "error": name,
        "error_description": f"AADSTS{code}: {text} Trace ID: {trace} "
        f"Correlation ID: {correlation} Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    if suberror:
        body["suberror"] = suberror
    return body


def iso(moment: float) -> str:
    """A time as Entra writes it: 2019-01-28T08:58:16.7135740Z."""
    text = datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + "0Z"


class _Values(dict[str, object]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"
