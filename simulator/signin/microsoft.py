"""The Microsoft identity platform v2.0 endpoints: device code, token (three grants), its errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from aiohttp import web

from simulator.signin.devices import DEVICE_LIFETIME
from simulator.signin.entra import (
    ERRORS,
    GENERIC_TENANTS,
    STATUS,
    MicrosoftError,
    error_body,
    iso,
)
from simulator.signin.forms import form_fields
from simulator.signin.microsoft_code import AuthorizationCodes
from simulator.signin.tokens import (
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


class Microsoft:
    """Handlers for login.microsoftonline.com/{tenant}/oauth2/v2.0/..."""

    def __init__(self, service: SigninService) -> None:
        self.service = service
        self.oauth = service.state.oauth
        self.codes = AuthorizationCodes(self)

    def routes(self) -> list[web.RouteDef]:
        """The endpoints, under BASE/{tenant}/oauth2/v2.0/."""
        return [
            web.post("/{tenant}/oauth2/v2.0/devicecode", self.devicecode),
            web.post("/{tenant}/oauth2/v2.0/token", self.token),
            *self.codes.routes(),
        ]

    # Errors

    def error_body(self, key: str, **values: object) -> dict[str, object]:
        """A refusal's JSON body, stamped with the virtual clock."""
        return error_body(key, self.oauth.clock.datetime(), **values)

    def error(self, key: str, **values: object) -> web.Response:
        """A JSON error body in Microsoft's shape."""
        body = self.error_body(key, **values)
        name, code = body["error"], ERRORS[key][1]
        if key != "pending":  # a pending poll every few seconds is not news
            self.service.note(f"token request refused: {name} AADSTS{code}")
        return web.json_response(body, status=STATUS.get(str(name), 400))

    @staticmethod
    def _required(form: Mapping[str, str], name: str) -> str:
        value = form.get(name, "")
        if not value:
            raise MicrosoftError("missing", name=name)
        return value

    def client_for(self, client_id: str, tenant: str) -> Client:
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
    def credentials(client: Client, form: Mapping[str, str], *, public_ok: bool) -> bool:
        """Check the client's credentials; True when none was presented (a public client)."""
        secret = form.get("client_secret", "")
        if not secret and "client_assertion" not in form:
            if not public_ok:
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
            self.client_for(client_id, tenant)
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
        """The token endpoint: authorization code, device code, refresh and client credentials."""
        tenant = request.match_info["tenant"]
        fields = await form_fields(request)
        try:
            grant_type = self._required(fields, "grant_type")
            client = self.client_for(self._required(fields, "client_id"), tenant)
            if grant_type == "authorization_code":
                return _answer(self.codes.redeem(client, tenant, fields))
            if grant_type == DEVICE_GRANT:
                return self._device(client, tenant, fields)
            if grant_type == "refresh_token":
                self.credentials(client, fields, public_ok=client.public_flows)
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
        public = self.credentials(client, fields, public_ok=client.public_flows)
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
        issued = self.issue(client, device.account, grant_tenant, device.scopes, public)
        self.service.note(f"{device.account} signed in with device code {device.user_code}")
        return _answer(issued)

    def issue(
        self, client: Client, account: str, tenant: str, scopes: tuple[str, ...], public: bool
    ) -> Issued:
        """Tokens for an interactive sign-in (a refresh token only with offline_access)."""
        try:
            return self.oauth.sign_in(
                MICROSOFT,
                account,
                client,
                tenant,
                scopes,
                public=public,
                offline="offline_access" in {s.lower() for s in scopes},
            )
        except Refused as refused:
            raise _refusal(refused, client) from None

    def _app_only(self, client: Client, tenant: str, fields: Mapping[str, str]) -> web.Response:
        if self.credentials(client, fields, public_ok=False):
            raise MicrosoftError("secret_required")
        scope = self._required(fields, "scope")
        scopes = normal_scopes(MICROSOFT, scope)
        if not all(s.endswith("/.default") for s in scopes):
            raise MicrosoftError("default_scope", scope=scope)
        if self.oauth.conditional_access:
            raise MicrosoftError("conditional_access")
        self.service.note(f"app-only token for client {client.client_id}")
        return _answer(self.oauth.app_only(client, tenant, scopes))


def _refusal(refused: Refused, client: Client) -> MicrosoftError:
    reason = refused.reason if refused.reason in ERRORS else "malformed"
    if reason == "unknown":
        reason = "malformed"
    return MicrosoftError(
        reason, issued=iso(refused.issued), client_id=client.client_id, name=client.name
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
