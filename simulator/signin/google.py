"""Google's OAuth 2.0 endpoints: authorization with PKCE and a loopback redirect, token, revoke."""

from __future__ import annotations

import html
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from simulator.signin.browser import is_loopback as _loopback
from simulator.signin.browser import redirect as _redirect
from simulator.signin.browser import verifies as _verifies
from simulator.signin.forms import form_fields
from simulator.signin.tokens import GMAIL_SCOPE, GOOGLE, Client, Issued, Refused, normal_scopes

if TYPE_CHECKING:
    from simulator.signin.app import SigninService

CODE_LIFETIME = 600  # seconds an authorization code may wait for its exchange
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
OOB_REDIRECTS = ("urn:ietf:wg:oauth:2.0:oob", "urn:ietf:wg:oauth:2.0:oob:auto", "oob")
EXPIRED = "Token has been expired or revoked."


@dataclass
class Authorization:
    """One authorization request: waiting for consent, then its code until exchanged."""

    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    challenge: str | None
    method: str
    offline: bool
    login_hint: str | None
    created: float
    account: str | None = None
    code: str | None = field(default=None, repr=False)
    used: bool = False


class GoogleError(Exception):
    """A token-endpoint refusal: Google's {error, error_description}."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error, self.description, self.status = error, description, status


class Google:
    """Handlers for accounts.google.com and oauth2.googleapis.com."""

    def __init__(self, service: SigninService) -> None:
        self.service = service
        self.oauth = service.state.oauth
        self.waiting: dict[str, Authorization] = {}  # request id -> authorization (manual)
        self.codes: dict[str, Authorization] = {}

    def routes(self) -> list[web.RouteDef]:
        """The endpoints at their real paths under BASE."""
        return [
            web.get("/o/oauth2/v2/auth", self.authorize),
            web.post("/o/oauth2/v2/auth/consent", self.consent_form),
            web.post("/token", self.token),
            web.post("/revoke", self.revoke),
            web.post("/device/code", self.device_code),
        ]

    # The browser side

    async def authorize(self, request: web.Request) -> web.StreamResponse:
        """The consent screen: a 302 back to the loopback redirect, or Google's error page."""
        return self._noted(await self._authorize(request))

    async def consent_form(self, request: web.Request) -> web.StreamResponse:
        """The consent screen's buttons: Allow (as the account typed) or Cancel."""
        return self._noted(await self._consent_form(request))

    def _noted(self, response: web.StreamResponse) -> web.StreamResponse:
        """Log what the browser was answered (the redirect's code is never shown)."""
        location = response.headers.get("Location", "")
        if response.status >= 400 and isinstance(response, web.Response):
            error = (response.text or "").rpartition("Error ")[2].split("<")[0]
            self.service.note(f"authorization refused: Error {error}")
        elif "error=" in location:
            error = location.partition("error=")[2].split("&")[0]
            self.service.note(f"authorization refused: {error} (redirected)")
        return response

    async def _authorize(self, request: web.Request) -> web.StreamResponse:
        query = request.query
        client = self.oauth.client(query.get("client_id", ""))
        if client is None:
            return _page(401, "invalid_client", "The OAuth client was not found.")
        redirect = query.get("redirect_uri", "")
        if redirect in OOB_REDIRECTS:
            return _page(
                400,
                "invalid_request",
                "The out-of-band (OOB) flow has been blocked in order to keep users secure.",
            )
        if not _loopback(redirect):
            return _page(
                400,
                "redirect_uri_mismatch",
                "You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
                "policy. A desktop app must redirect to a loopback address.",
            )
        state = query.get("state")
        if query.get("response_type") != "code":
            return _redirect(redirect, error="unsupported_response_type", state=state)
        method = query.get("code_challenge_method", "plain" if "code_challenge" in query else "")
        if method not in ("", "plain", "S256"):
            return _page(400, "invalid_request", "Invalid code_challenge_method.")
        scopes = normal_scopes(GOOGLE, query.get("scope", ""))
        if not scopes:
            return _page(400, "invalid_request", "Missing required parameter: scope")
        refusal = _client_refusal(client, query.get("login_hint") or self.service.default_account())
        if refusal is not None:
            return refusal
        pending = Authorization(
            client.client_id,
            redirect,
            scopes,
            state,
            query.get("code_challenge"),
            method,
            query.get("access_type") == "offline",
            query.get("login_hint"),
            self.oauth.clock.now(),
        )
        consent = self.oauth.consent
        if consent == "deny":
            return _redirect(redirect, error="access_denied", state=state)
        account = self._account(pending.login_hint)
        if consent == "manual" or account is None:
            request_id = secrets.token_urlsafe(16)
            self.waiting[request_id] = pending
            return _consent_page(request_id, client, scopes, account)
        return self._approved(pending, account)

    async def _consent_form(self, request: web.Request) -> web.StreamResponse:
        form = await request.post()
        pending = self.waiting.pop(str(form.get("request", "")), None)
        if pending is None:
            return _page(400, "invalid_request", "This sign-in request is no longer valid.")
        if form.get("decision") != "allow":
            return _redirect(pending.redirect_uri, error="access_denied", state=pending.state)
        account = str(form.get("account", "")).strip() or self.service.default_account()
        if not account:
            return _page(400, "invalid_request", "Choose an account to continue.")
        client = self.oauth.client(pending.client_id)
        refusal = _client_refusal(client, account) if client else None
        if refusal is not None:
            return refusal
        return self._approved(pending, self.service.ensure_account(account))

    def _account(self, hint: str | None) -> str | None:
        if hint and self.service.state.account(hint):
            return hint
        return self.service.default_account()

    def _approved(self, pending: Authorization, account: str) -> web.StreamResponse:
        self.service.note(f"consent given as {account} to client {pending.client_id}")
        pending.account = account
        pending.code = "4/0" + secrets.token_urlsafe(54)
        self.codes[pending.code] = pending
        scope = " ".join(pending.scopes)
        return _redirect(pending.redirect_uri, state=pending.state, code=pending.code, scope=scope)

    # The token endpoint

    async def token(self, request: web.Request) -> web.Response:
        """authorization_code (with PKCE), refresh_token and device_code grants."""
        fields = await form_fields(request)
        response = self._token(fields)
        grant = fields.get("grant_type", "")
        if response.status >= 400:
            body = response.text or ""
            if "authorization_pending" not in body:
                self.service.note(f"token request ({grant}) refused: {body}")
        elif grant != DEVICE_GRANT:
            self.service.note(f"tokens issued ({grant})")
        return response

    def _token(self, fields: Mapping[str, str]) -> web.Response:
        try:
            client = self._client(fields)
            grant_type = fields.get("grant_type", "")
            if grant_type == "authorization_code":
                return _answer(self._exchange(client, fields))
            if grant_type == "refresh_token":
                try:
                    issued = self.oauth.refresh(
                        GOOGLE, fields.get("refresh_token", ""), client.client_id
                    )
                except Refused as refused:
                    description = "Bad Request" if refused.reason == "unknown" else EXPIRED
                    raise GoogleError("invalid_grant", description) from None
                return _answer(issued)
            if grant_type == DEVICE_GRANT:
                return self._device(client, fields)
            if not grant_type:
                raise GoogleError("unsupported_grant_type", "Invalid grant_type: ")
            raise GoogleError("unsupported_grant_type", f"Invalid grant_type: {grant_type}")
        except GoogleError as refusal:
            return _error(refusal)

    def _client(self, fields: Mapping[str, str]) -> Client:
        client_id = fields.get("client_id", "")
        if not client_id:
            raise GoogleError("invalid_request", "Could not determine client ID from request.")
        client = self.oauth.client(client_id)
        if client is None:
            raise GoogleError("invalid_client", "The OAuth client was not found.", 401)
        secret = fields.get("client_secret")
        if client.secret is not None:
            if not secret:
                raise GoogleError("invalid_request", "client_secret is missing.")
            if not client.secret_matches(secret):
                raise GoogleError("invalid_client", "Unauthorized", 401)
        return client

    def _exchange(self, client: Client, fields: Mapping[str, str]) -> Issued:
        code = fields.get("code", "")
        pending = self.codes.get(code)
        if pending is None:
            raise GoogleError("invalid_grant", "Malformed auth code.")
        now = self.oauth.clock.now()
        if pending.used or now - pending.created > CODE_LIFETIME:
            raise GoogleError("invalid_grant", "Bad Request")
        if pending.client_id != client.client_id:
            raise GoogleError("unauthorized_client", "Unauthorized")
        if fields.get("redirect_uri", "") != pending.redirect_uri:
            raise GoogleError("redirect_uri_mismatch", "Bad Request")
        verifier = fields.get("code_verifier")
        if pending.challenge:
            if not verifier:
                raise GoogleError("invalid_grant", "Missing code verifier.")
            if not _verifies(verifier, pending.challenge, pending.method):
                raise GoogleError("invalid_grant", "Invalid code verifier.")
        pending.used = True
        assert pending.account is not None
        return self.oauth.sign_in(
            GOOGLE,
            pending.account,
            client,
            "google",
            pending.scopes,
            public=client.secret is None,
            offline=pending.offline,
        )

    def _device(self, client: Client, fields: Mapping[str, str]) -> web.Response:
        device = self.oauth.devices.get(fields.get("device_code", ""))
        if device is None or device.provider != GOOGLE or device.client_id != client.client_id:
            raise GoogleError("invalid_grant", "Malformed device code.")
        outcome = self.oauth.devices.poll(
            device,
            self.oauth.clock.now(),
            consent=self.oauth.consent,
            default_account=self.service.default_account(),
        )
        if outcome == "approved":
            assert device.account is not None
            return _answer(
                self.oauth.sign_in(
                    GOOGLE,
                    device.account,
                    client,
                    "google",
                    device.scopes,
                    public=True,
                    offline=True,
                )
            )
        refusals = {
            "pending": ("authorization_pending", "Precondition Required", 428),
            "slow_down": ("slow_down", "Forbidden", 403),
            "declined": ("access_denied", "Forbidden", 403),
            "expired": ("expired_token", "Bad Request", 400),
        }
        error, description, status = refusals.get(outcome, ("invalid_grant", "Bad Request", 400))
        raise GoogleError(error, description, status)

    # Revocation and the device flow

    async def revoke(self, request: web.Request) -> web.Response:
        """Revoke a refresh or access token, and with it the whole grant."""
        form = await request.post()
        token = str(form.get("token", "")) or request.query.get("token", "")
        if not self.oauth.revoke(token):
            return _error(GoogleError("invalid_token", "Token expired or revoked"))
        self.service.note("a token was revoked, and its grant with it")
        return web.Response(status=200, content_type="application/json", text="{}")

    async def device_code(self, request: web.Request) -> web.Response:
        """The device flow ("TVs and limited-input devices"): it does not allow the Gmail scope."""
        fields = await form_fields(request)
        client = self.oauth.client(fields.get("client_id", ""))
        if client is None:
            return _error(GoogleError("invalid_client", "The OAuth client was not found.", 401))
        scopes = normal_scopes(GOOGLE, fields.get("scope", ""))
        if GMAIL_SCOPE in scopes:
            return _error(
                GoogleError(
                    "invalid_scope",
                    f"Some requested scopes were invalid. {{invalid=[{GMAIL_SCOPE}]}}",
                )
            )
        device = self.oauth.devices.create(
            GOOGLE,
            client.client_id,
            "google",
            scopes,
            public=True,
            now=self.oauth.clock.now(),
            lifetime=1800,
        )
        return web.json_response(
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "expires_in": 1800,
                "interval": device.interval,
                "verification_url": self.service.url + "/devicelogin",
            }
        )


def _client_refusal(client: Client, account: str | None) -> web.Response | None:
    """Google's error page for a client this user may not use, or None."""
    if client.org_internal:
        return _page(
            403, "org_internal", "This client is restricted to users within its organization."
        )
    if client.admin_blocked:
        return _page(
            400,
            "admin_policy_enforced",
            f"{account or 'This account'} is not allowed to access {client.name}: your "
            "administrator has blocked access to it.",
        )
    testers = {u.lower() for u in client.test_users}
    if client.testing_mode and testers and (account or "").lower() not in testers:
        return _page(
            403,
            "access_denied",
            f"{client.name} has not completed the Google verification process. The app is "
            "currently being tested, and can only be accessed by developer-approved testers.",
        )
    return None


def _page(status: int, error: str, text: str) -> web.Response:
    """Google's error page as the browser shows it."""
    body = (
        "<!doctype html><title>Error</title>"
        f"<h1>Access blocked: authorization error</h1><p>{html.escape(text)}</p>"
        f"<p>Error {status}: {html.escape(error)}</p>"
    )
    return web.Response(status=status, text=body, content_type="text/html")


def _consent_page(
    request_id: str, client: Client, scopes: tuple[str, ...], account: str | None
) -> web.Response:
    listed = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    body = (
        "<!doctype html><title>Sign in - Google Accounts</title>"
        f"<h1>{html.escape(client.name)} wants to access your Google Account</h1>"
        f"<ul>{listed}</ul>"
        '<form method="post" action="/o/oauth2/v2/auth/consent">'
        f'<input type="hidden" name="request" value="{request_id}">'
        f'<label>Account <input name="account" value="{html.escape(account or "")}"></label>'
        '<button name="decision" value="allow">Allow</button>'
        '<button name="decision" value="deny">Cancel</button></form>'
    )
    return web.Response(text=body, content_type="text/html")


def _error(refusal: GoogleError) -> web.Response:
    body = {"error": refusal.error, "error_description": refusal.description}
    return web.json_response(body, status=refusal.status)


def _answer(issued: Issued) -> web.Response:
    body: dict[str, object] = {
        "access_token": issued.access_token,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
        "token_type": "Bearer",
    }
    if issued.refresh_token:
        body["refresh_token"] = issued.refresh_token
    if issued.id_token:
        body["id_token"] = issued.id_token
    return web.json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})
