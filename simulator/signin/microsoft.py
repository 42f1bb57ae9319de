"""The Microsoft identity platform v2.0 endpoints: device code, token (three grants), its errors."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiohttp import web

from simulator.signin.devices import DEVICE_LIFETIME
from simulator.signin.forms import form_fields
from simulator.signin.tokens import (
    EXCHANGE_RESOURCE,
    MICROSOFT,
    Client,
    Issued,
    Refused,
    normal_scopes,
    tenant_id,
)

if TYPE_CHECKING:
    from simulator.signin.app import SigninService

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
GENERIC_TENANTS = ("common", "organizations")

# error, AADSTS code, message (the Entra error-code reference's wording), suberror
_ERRORS: dict[str, tuple[str, int, str, str]] = {
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
}
_STATUS = {"invalid_client": 401}


class MicrosoftError(Exception):
    """A refusal in the Microsoft identity platform's words."""

    def __init__(self, key: str, **values: object) -> None:
        super().__init__(key)
        self.key, self.values = key, values


class Microsoft:
    """Handlers for login.microsoftonline.com/{tenant}/oauth2/v2.0/..."""

    def __init__(self, service: SigninService) -> None:
        self.service = service
        self.oauth = service.state.oauth

    def routes(self) -> list[web.RouteDef]:
        """The endpoints, under BASE/{tenant}/oauth2/v2.0/."""
        return [
            web.post("/{tenant}/oauth2/v2.0/devicecode", self.devicecode),
            web.post("/{tenant}/oauth2/v2.0/token", self.token),
        ]

    # Errors

    def error(self, key: str, **values: object) -> web.Response:
        """A JSON error body in Microsoft's shape."""
        name, code, message, suberror = _ERRORS[key]
        now = self.oauth.clock.datetime()
        stamp = now.strftime("%Y-%m-%d %H:%M:%SZ")
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        values = {"now": _iso(now.timestamp()), **values}
        text = message.format_map(_Values(values))
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
        if key != "pending":  # a pending poll every few seconds is not news
            self.service.note(f"token request refused: {name} AADSTS{code}")
        return web.json_response(body, status=_STATUS.get(name, 400))

    @staticmethod
    def _required(form: Mapping[str, str], name: str) -> str:
        value = form.get(name, "")
        if not value:
            raise MicrosoftError("missing", name=name)
        return value

    def _client(self, client_id: str, tenant: str) -> Client:
        """The registration for client_id as seen from this tenant, or a refusal."""
        client = self.oauth.client(client_id)
        lowered = tenant.lower()
        if client is None:
            raise MicrosoftError("not_in_tenant", client_id=client_id, tenant=tenant)
        if lowered == "consumers":  # Office 365 mailboxes are work accounts
            raise MicrosoftError("not_in_tenant", client_id=client_id, tenant="Microsoft Accounts")
        if client.single_tenant and lowered in GENERIC_TENANTS:
            raise MicrosoftError("not_multi_tenant", client_id=client_id, name=client.name)
        home = (client.tenant or "").lower()
        if client.single_tenant and home and lowered not in (home, tenant_id(home)):
            raise MicrosoftError("not_in_tenant", client_id=client_id, tenant=tenant)
        return client

    @staticmethod
    def _public(client: Client, form: Mapping[str, str], *, user_flow: bool = True) -> bool:
        """Check the client's credentials; True when none was presented (a public flow)."""
        secret = form.get("client_secret", "")
        if not secret and "client_assertion" not in form:
            if not (user_flow and client.public_flows):
                raise MicrosoftError("secret_required")
            return True
        if client.secret is None:
            raise MicrosoftError("public_client")
        if not client.secret_matches(secret):
            raise MicrosoftError("bad_secret", client_id=client.client_id)
        return False

    # Endpoints

    async def devicecode(self, request: web.Request) -> web.Response:
        """Start a device authorization (RFC 8628 3.1)."""
        tenant = request.match_info["tenant"]
        fields = await form_fields(request)
        try:
            client_id = self._required(fields, "client_id")
            scopes = normal_scopes(MICROSOFT, self._required(fields, "scope"))
            self._client(client_id, tenant)
        except MicrosoftError as refusal:
            return self.error(refusal.key, **refusal.values)
        device = self.oauth.devices.create(
            MICROSOFT, client_id, tenant, scopes, public=True, now=self.oauth.clock.now()
        )
        self.service.note(f"device code {device.user_code} for client {client_id} at {tenant}")
        uri = self.service.url + "/devicelogin"
        return web.json_response(
            {
                "user_code": device.user_code,
                "device_code": device.device_code,
                "verification_uri": uri,
                "expires_in": DEVICE_LIFETIME,
                "interval": device.interval,
                "message": f"To sign in, use a web browser to open the page {uri} and enter "
                f"the code {device.user_code} to authenticate.",
            }
        )

    async def token(self, request: web.Request) -> web.Response:
        """The token endpoint: device_code, refresh_token and client_credentials grants."""
        tenant = request.match_info["tenant"]
        fields = await form_fields(request)
        try:
            grant_type = self._required(fields, "grant_type")
            client = self._client(self._required(fields, "client_id"), tenant)
            if grant_type == DEVICE_GRANT:
                return self._device(client, tenant, fields)
            if grant_type == "refresh_token":
                self._public(client, fields)
                token = self._required(fields, "refresh_token")
                try:
                    issued = self.oauth.refresh(MICROSOFT, token, client.client_id, tenant)
                except Refused as refused:
                    raise _refusal(refused, client) from None
                self.service.note(f"token refreshed for {issued.account}")
                return _answer(issued)
            if grant_type == "client_credentials":
                return self._app_only(client, tenant, fields)
            raise MicrosoftError("grant_type", grant_type=grant_type)
        except MicrosoftError as refusal:
            return self.error(refusal.key, **refusal.values)

    def _device(self, client: Client, tenant: str, fields: Mapping[str, str]) -> web.Response:
        device = self.oauth.devices.get(self._required(fields, "device_code"))
        if device is None or device.provider != MICROSOFT:
            raise MicrosoftError("malformed")
        if device.client_id != client.client_id:
            raise MicrosoftError("other_client")
        public = self._public(client, fields)
        outcome = self.oauth.devices.poll(
            device,
            self.oauth.clock.now(),
            consent=self.oauth.consent,
            default_account=self.service.default_account(),
        )
        if outcome == "slow_down":
            self.service.note(f"slow_down for {device.user_code}: interval now {device.interval}s")
            return web.json_response(
                {"error": "slow_down", "error_description": "Polling too frequently."},
                status=400,
            )
        if outcome != "approved":
            raise MicrosoftError(outcome)
        assert device.account is not None
        home = tenant if tenant.lower() not in GENERIC_TENANTS else None
        grant_tenant = home or client.tenant or device.account.rpartition("@")[2]
        try:
            issued = self.oauth.sign_in(
                MICROSOFT,
                device.account,
                client,
                grant_tenant,
                device.scopes,
                public=public,
                offline="offline_access" in {s.lower() for s in device.scopes},
            )
        except Refused as refused:
            raise _refusal(refused, client) from None
        self.service.note(f"{device.account} signed in with device code {device.user_code}")
        return _answer(issued)

    def _app_only(self, client: Client, tenant: str, fields: Mapping[str, str]) -> web.Response:
        if self._public(client, fields, user_flow=False):
            raise MicrosoftError("secret_required")
        scope = self._required(fields, "scope")
        scopes = normal_scopes(MICROSOFT, scope)
        if not all(s.endswith("/.default") for s in scopes):
            raise MicrosoftError("default_scope", scope=scope)
        if self.oauth.conditional_access:
            raise MicrosoftError("conditional_access")
        self.service.note(f"app-only token for client {client.client_id}")
        return _answer(self.oauth.app_only(client, tenant, scopes))


class _Values(dict[str, object]):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"


def _refusal(refused: Refused, client: Client) -> MicrosoftError:
    reason = refused.reason if refused.reason in _ERRORS else "malformed"
    if reason == "unknown":
        reason = "malformed"
    return MicrosoftError(
        reason, issued=_iso(refused.issued), client_id=client.client_id, name=client.name
    )


def _answer(issued: Issued) -> web.Response:
    body: dict[str, object] = {
        "token_type": "Bearer",
        "scope": issued.scope,
        "expires_in": issued.expires_in,
        "ext_expires_in": issued.expires_in,
        "access_token": issued.access_token,
    }
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    if issued.id_token:
        body["id_token"] = issued.id_token
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


def _iso(moment: float) -> str:
    """A time as Entra writes it: 2019-01-28T08:58:16.7135740Z."""
    text = datetime.fromtimestamp(moment, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text + "0Z"
