"""Microsoft's authorize endpoint and the authorization code grant (PKCE, loopback redirect)."""

from __future__ import annotations

import html
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from aiohttp import web

from simulator.signin.browser import is_loopback, redirect, verifies
from simulator.signin.entra import GENERIC_TENANTS, MicrosoftError
from simulator.signin.tokens import MICROSOFT, Client, Issued, normal_scopes

if TYPE_CHECKING:
    from simulator.signin.microsoft import Microsoft

CODE_LIFETIME = 600  # seconds: "authorization codes are short lived, about 10 minutes"


@dataclass
class CodeRequest:
    """One authorization request: waiting for consent, then its code until redeemed."""

    client_id: str
    tenant: str
    redirect_uri: str
    scopes: tuple[str, ...]
    state: str | None
    challenge: str | None
    method: str
    login_hint: str | None
    created: float
    account: str | None = None
    code: str | None = field(default=None, repr=False)
    used: bool = False


class AuthorizationCodes:
    """login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize and its code redemption."""

    def __init__(self, microsoft: Microsoft) -> None:
        self.microsoft = microsoft
        self.service, self.oauth = microsoft.service, microsoft.oauth
        self.waiting: dict[str, CodeRequest] = {}  # consent page id -> request (manual)
        self.codes: dict[str, CodeRequest] = {}

    def routes(self) -> list[web.RouteDef]:
        """The browser's endpoints, under BASE/{tenant}/oauth2/v2.0/."""
        return [
            web.get("/{tenant}/oauth2/v2.0/authorize", self.authorize),
            web.post("/{tenant}/oauth2/v2.0/authorize/consent", self.consent_form),
        ]

    # The browser side

    async def authorize(self, request: web.Request) -> web.Response:
        """Sign-in and consent: a 302 to the redirect URI, or Microsoft's error page."""
        tenant, query = request.match_info["tenant"], request.query
        try:
            client_id = _required(query, "client_id")
            client = self.microsoft.client_for(client_id, tenant)
            redirect_uri = _required(query, "redirect_uri")
            if not registered(client, redirect_uri):
                raise MicrosoftError("redirect_unregistered", redirect_uri=redirect_uri)
        except MicrosoftError as refusal:
            return self.page(refusal)
        state = query.get("state")
        try:
            response_type = _required(query, "response_type")
            if response_type != "code":
                raise MicrosoftError("response_type", response_type=response_type)
            scopes = normal_scopes(MICROSOFT, _required(query, "scope"))
        except MicrosoftError as refusal:
            return self.refused(redirect_uri, state, refusal)
        pending = CodeRequest(
            client.client_id,
            tenant,
            redirect_uri,
            scopes,
            state,
            query.get("code_challenge"),
            query.get("code_challenge_method", "plain" if "code_challenge" in query else ""),
            query.get("login_hint"),
            self.oauth.clock.now(),
        )
        if self.oauth.consent == "deny":
            return self.refused(redirect_uri, state, MicrosoftError("declined_consent"))
        account = self._account(pending.login_hint)
        if self.oauth.consent == "manual" or account is None:
            page_id = secrets.token_urlsafe(16)
            self.waiting[page_id] = pending
            return _consent_page(tenant, page_id, client, scopes, pending.login_hint or account)
        return self._approved(pending, account)

    async def consent_form(self, request: web.Request) -> web.Response:
        """The consent page's buttons: Accept (as the account typed) or Cancel."""
        form = await request.post()
        pending = self.waiting.pop(str(form.get("request", "")), None)
        if pending is None:
            return self.page(MicrosoftError("malformed"))
        if form.get("decision") != "allow":
            return self.refused(
                pending.redirect_uri, pending.state, MicrosoftError("declined_consent")
            )
        account = str(form.get("account", "")).strip() or self.service.default_account()
        if not account:
            return self.page(MicrosoftError("missing", name="login_hint"))
        return self._approved(pending, self.service.ensure_account(account))

    def _account(self, hint: str | None) -> str | None:
        if hint and self.service.state.account(hint):
            return hint
        return self.service.default_account()

    def _approved(self, pending: CodeRequest, account: str) -> web.Response:
        self.service.note(f"consent given as {account} to client {pending.client_id}")
        pending.account = account
        pending.code = "0.A" + secrets.token_urlsafe(600)
        self.codes[pending.code] = pending
        return redirect(
            pending.redirect_uri,
            code=pending.code,
            state=pending.state,
            session_state=str(uuid.uuid4()),
        )

    def refused(
        self, redirect_uri: str, state: str | None, refusal: MicrosoftError
    ) -> web.Response:
        """A refusal sent back to the app on its redirect URI, as Microsoft does."""
        body = self.microsoft.error_body(refusal.key, **refusal.values)
        self.service.note(f"authorization refused: {body['error']} (redirected)")
        params = {"error": str(body["error"]), "error_description": str(body["error_description"])}
        if refusal.key == "declined_consent":
            params["error_subcode"] = "cancel"
        return redirect(redirect_uri, **params, state=state)

    def page(self, refusal: MicrosoftError) -> web.Response:
        """Microsoft's sign-in error page: the app never hears of it, the user reads it."""
        body = self.microsoft.error_body(refusal.key, **refusal.values)
        message = str(body["error_description"]).partition(" Trace ID:")[0]
        self.service.note(f"authorization refused: {message.partition(':')[0]} (error page)")
        text = (
            "<!doctype html><title>Sign in to your account</title>"
            "<h1>Sorry, but we're having trouble signing you in.</h1>"
            f"<p>{html.escape(message)}</p>"
            f"<p>Request Id: {body['trace_id']}<br>Correlation Id: {body['correlation_id']}"
            f"<br>Timestamp: {body['timestamp']}</p>"
        )
        return web.Response(status=400, text=text, content_type="text/html")

    # The token endpoint's authorization_code grant

    def redeem(self, client: Client, tenant: str, fields: Mapping[str, str]) -> Issued:
        """Tokens for a code this endpoint issued, when the app proves it asked for it."""
        pending = self.codes.get(_required(fields, "code"))
        if pending is None:
            raise MicrosoftError("malformed")
        if pending.used:
            raise MicrosoftError("code_redeemed")
        if self.oauth.clock.now() - pending.created > CODE_LIFETIME:
            raise MicrosoftError("code_expired")
        if pending.client_id != client.client_id:
            raise MicrosoftError("other_client")
        given = fields.get("redirect_uri", "")
        if given != pending.redirect_uri:
            raise MicrosoftError(
                "reply_mismatch", redirect_uri=given, original=pending.redirect_uri
            )
        public = self.microsoft.credentials(client, fields, public_ok=client.secret is None)
        if pending.challenge:
            verifier = _required(fields, "code_verifier")
            if not verifies(verifier, pending.challenge, pending.method):
                raise MicrosoftError("pkce")
        pending.used = True
        assert pending.account is not None
        home = tenant if tenant.lower() not in GENERIC_TENANTS else None
        grant_tenant = home or client.tenant or pending.account.rpartition("@")[2]
        issued = self.microsoft.issue(client, pending.account, grant_tenant, pending.scopes, public)
        self.service.note(f"{pending.account} signed in with an authorization code")
        return issued


def registered(client: Client, uri: str) -> bool:
    """Whether the app registration lists this redirect URI (a loopback's port is free)."""
    if not client.redirect_uris:
        return is_loopback(uri)  # a desktop app's http://localhost
    wanted = urlsplit(uri)
    for known in client.redirect_uris:
        if uri == known:
            return True
        listed = urlsplit(known)
        same = (listed.scheme, listed.hostname, listed.path.rstrip("/")) == (
            wanted.scheme,
            wanted.hostname,
            wanted.path.rstrip("/"),
        )
        if same and is_loopback(known) and is_loopback(uri):
            return True
    return False


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name, "")
    if not value:
        raise MicrosoftError("missing", name=name)
    return value


def _consent_page(
    tenant: str, page_id: str, client: Client, scopes: tuple[str, ...], account: str | None
) -> web.Response:
    listed = "".join(f"<li>{html.escape(s)}</li>" for s in scopes)
    body = (
        "<!doctype html><title>Permissions requested</title>"
        f"<h1>Permissions requested</h1><p>{html.escape(client.name)} would like to:</p>"
        f"<ul>{listed}</ul>"
        f'<form method="post" action="/{html.escape(tenant)}/oauth2/v2.0/authorize/consent">'
        f'<input type="hidden" name="request" value="{page_id}">'
        f'<label>Account <input name="account" value="{html.escape(account or "")}"></label>'
        '<button name="decision" value="allow">Accept</button>'
        '<button name="decision" value="deny">Cancel</button></form>'
    )
    return web.Response(text=body, content_type="text/html")
