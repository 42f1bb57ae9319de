"""Tokens the simulated identity providers issue, on the virtual clock, and what SMTP accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from simulator.clock import VirtualClock
from simulator.signin.devices import DeviceCodes

MICROSOFT, GOOGLE = "microsoft", "google"
ACCESS_LIFETIME = 3599  # seconds, both providers
DAY = 86400.0
MICROSOFT_IDLE_LIMIT = 90 * DAY  # a refresh token unused this long is dead (AADSTS700082)
GOOGLE_IDLE_LIMIT = 183 * DAY  # six months unused
TESTING_LIFETIME = 7 * DAY  # Google: refresh tokens of an app still in "Testing"
GMAIL_SCOPE = "https://mail.google.com/"
SMTP_SEND_SCOPES = (
    "https://outlook.office.com/smtp.send",
    "https://outlook.office365.com/smtp.send",
)
APP_ONLY_SCOPES = ("https://outlook.office365.com/.default", "https://outlook.office.com/.default")
OIDC_SCOPES = frozenset({"openid", "profile", "email", "offline_access"})
EXCHANGE_RESOURCE = "00000002-0000-0ff1-ce00-000000000000"  # Office 365 Exchange Online


@dataclass
class Client:
    """An app registration: Entra (Microsoft) or a Google Cloud OAuth client."""

    client_id: str
    tenant: str | None = None  # Microsoft: the tenant it is registered in (None: any)
    public_flows: bool = True  # Microsoft: "Allow public client flows"
    secret: str | None = field(default=None, repr=False)  # None: a public client
    single_tenant: bool = False  # Microsoft: "accounts in this organisational directory only"
    testing_mode: bool = False  # Google: publishing status "Testing"
    test_users: list[str] = field(default_factory=list)  # Google, testing: who may sign in
    org_internal: bool = False  # Google: internal to an organisation the user is not in
    admin_blocked: bool = False  # Google Workspace admin blocks the app
    redirect_uris: list[str] = field(default_factory=list)  # Microsoft; empty: any loopback
    name: str = "smtp-console"

    def secret_matches(self, given: str) -> bool:
        """True when `given` is this client's secret."""
        return self.secret is not None and hmac.compare_digest(given.encode(), self.secret.encode())


@dataclass
class Grant:
    """One interactive sign-in (or app-only credential) and the consent it carries."""

    provider: str
    account: str | None  # None: app-only (client credentials)
    client_id: str
    tenant: str
    scopes: tuple[str, ...]
    public: bool  # no client secret was presented
    signed_in: float  # virtual time of the interactive sign-in
    testing: bool = False  # Google: the app was in "Testing" when consent was given
    revoked: bool = False
    needs_mfa: bool = False  # Microsoft: MFA demanded since this sign-in


@dataclass
class RefreshToken:
    """A refresh token of a grant, with its issue and last-use times for the idle rules."""

    grant: Grant
    issued: float
    last_used: float
    revoked: bool = False


@dataclass(frozen=True)
class AccessToken:
    """A bearer token SMTP accepts until it expires."""

    grant: Grant
    expires: float


@dataclass(frozen=True)
class Issued:
    """What a token endpoint answers on success (the provider module shapes the JSON)."""

    access_token: str = field(repr=False)
    expires_in: int
    scope: str
    refresh_token: str | None = field(default=None, repr=False)
    id_token: str | None = field(default=None, repr=False)
    account: str | None = None  # None: an app-only token


class Refused(Exception):
    """A token request refused; `reason` names the rule, the provider module words it."""

    def __init__(self, reason: str, *, issued: float = 0.0, grant: Grant | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.issued = issued
        self.grant = grant


def normal_scopes(provider: str, scope: str) -> tuple[str, ...]:
    """The requested scopes as the provider reads them (Microsoft: bare names mean Graph)."""
    found: list[str] = []
    for name in scope.split():
        if provider == MICROSOFT and "://" not in name and name.lower() not in OIDC_SCOPES:
            name = f"https://graph.microsoft.com/{name}"
        if name not in found:
            found.append(name)
    return tuple(found)


def granted_scope(scopes: tuple[str, ...]) -> str:
    """The scope string a token answer carries: the resource scopes (OpenID ones left out)."""
    return " ".join(s for s in scopes if s.lower() not in OIDC_SCOPES)


def allows_smtp(grant: Grant) -> bool:
    """True when a token of this grant may sign in over SMTP."""
    lowered = {s.lower() for s in grant.scopes}
    if grant.provider == GOOGLE:
        return GMAIL_SCOPE in lowered
    if grant.account is None:
        return bool(lowered & set(APP_ONLY_SCOPES))
    return bool(lowered & set(SMTP_SEND_SCOPES))


class OAuthState:
    """Clients, grants, tokens, device codes and the identity provider's switches."""

    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock or VirtualClock()
        self.clients: dict[str, Client] = {}  # empty: every client id is a public client
        self.devices = DeviceCodes()
        self.consent = "auto"  # auto | manual | deny
        self.conditional_access = False  # Microsoft: a policy blocks token issuance
        self.consent_withdrawn: set[str] = set()  # accounts (lowercase) that withdrew consent
        self._access: dict[str, AccessToken] = {}
        self._refresh: dict[str, RefreshToken] = {}

    # Clients

    def add_client(self, client: Client) -> None:
        """Register an app; once any is registered, unknown client ids are refused."""
        self.clients[client.client_id] = client

    def client(self, client_id: str) -> Client | None:
        """The registration of client_id; None when the registered clients do not include it."""
        if not self.clients:
            return Client(client_id)
        return self.clients.get(client_id)

    # Issuing

    def sign_in(
        self,
        provider: str,
        account: str,
        client: Client,
        tenant: str,
        scopes: tuple[str, ...],
        *,
        public: bool,
        offline: bool,
    ) -> Issued:
        """Tokens for an interactive sign-in the user just approved (device code or browser)."""
        if provider == MICROSOFT and self.conditional_access:
            raise Refused("conditional_access")
        self.consent_withdrawn.discard(account.lower())
        now = self.clock.now()
        grant = Grant(
            provider, account, client.client_id, tenant, scopes, public, now, client.testing_mode
        )
        return self._issue(grant, refresh=offline)

    def app_only(self, client: Client, tenant: str, scopes: tuple[str, ...]) -> Issued:
        """An app-only access token (client credentials): no user, no refresh token."""
        grant = Grant(MICROSOFT, None, client.client_id, tenant, scopes, False, self.clock.now())
        return self._issue(grant, refresh=False)

    def refresh(
        self, provider: str, value: str, client_id: str, tenant: str | None = None
    ) -> Issued:
        """A new access token for a refresh token; Microsoft rotates the refresh token."""
        now = self.clock.now()
        token = self._refresh.get(value)
        if token is None or token.grant.provider != provider:
            raise Refused("unknown")
        grant = token.grant
        if grant.client_id != client_id:
            raise Refused("other_client", grant=grant)
        if token.revoked or grant.revoked:
            raise Refused("revoked", issued=token.issued, grant=grant)
        idle_limit = MICROSOFT_IDLE_LIMIT if provider == MICROSOFT else GOOGLE_IDLE_LIMIT
        if now - token.last_used > idle_limit:
            raise Refused("idle", issued=token.issued, grant=grant)
        if grant.testing and now - grant.signed_in > TESTING_LIFETIME:
            raise Refused("testing_expired", issued=token.issued, grant=grant)
        if grant.account and grant.account.lower() in self.consent_withdrawn:
            raise Refused("consent", issued=token.issued, grant=grant)
        if provider == MICROSOFT:
            if tenant is not None and not _same_tenant(tenant, grant):
                raise Refused("other_tenant", issued=token.issued, grant=grant)
            if self.conditional_access:
                raise Refused("conditional_access", grant=grant)
            if grant.needs_mfa:
                raise Refused("mfa", grant=grant)
        token.last_used = now
        return self._issue(grant, refresh=provider == MICROSOFT)

    def _issue(self, grant: Grant, *, refresh: bool) -> Issued:
        now = self.clock.now()
        access = mint_access(grant, now)
        self._access[access] = AccessToken(grant, now + ACCESS_LIFETIME)
        refresh_value = None
        if refresh:
            refresh_value = mint_refresh(grant.provider)
            self._refresh[refresh_value] = RefreshToken(grant, now, now)
        id_token = mint_id_token(grant, now) if "openid" in grant.scopes else None
        scope = granted_scope(grant.scopes)
        return Issued(access, ACCESS_LIFETIME, scope, refresh_value, id_token, grant.account)

    # The SMTP side

    def accepts(self, token: str, username: str) -> bool:
        """True when `token` is an issued, unexpired, unrevoked token that may send as username."""
        found = self._access.get(token)
        if found is None or found.grant.revoked or self.clock.now() >= found.expires:
            return False
        if not allows_smtp(found.grant):
            return False
        account = found.grant.account
        return account is None or account.lower() == username.lower()

    def access_expiry(self, token: str) -> float | None:
        """When an issued access token expires (virtual time), or None if it was never issued."""
        found = self._access.get(token)
        return found.expires if found else None

    # Revocation and the controls

    def revoke(self, value: str) -> bool:
        """Google's revoke endpoint: an access or refresh token, and with it its whole grant."""
        found: RefreshToken | AccessToken | None = self._refresh.get(value) or self._access.get(
            value
        )
        if found is None or found.grant.revoked:
            return False
        found.grant.revoked = True
        return True

    def _grants(self, account: str | None) -> list[Grant]:
        tokens: list[RefreshToken | AccessToken] = [*self._refresh.values(), *self._access.values()]
        grants = {id(t.grant): t.grant for t in tokens}
        return [
            g
            for g in grants.values()
            if account is None or (g.account or "").lower() == account.lower()
        ]

    def _refresh_tokens(self, account: str | None) -> list[RefreshToken]:
        return [
            t
            for t in self._refresh.values()
            if account is None or (t.grant.account or "").lower() == account.lower()
        ]

    def revoke_all(self, account: str | None) -> None:
        """Every access and refresh token of the account (all accounts for None) stops working."""
        for grant in self._grants(account):
            grant.revoked = True

    def revoke_refresh(self, account: str | None) -> None:
        """Refresh tokens are revoked; access tokens already issued run until they expire."""
        for token in self._refresh_tokens(account):
            token.revoked = True

    def password_changed(self, account: str | None) -> None:
        """Public-client refresh tokens (Microsoft) and Gmail-scope ones (Google) are revoked."""
        for token in self._refresh_tokens(account):
            if token.grant.public or token.grant.provider == GOOGLE:
                token.revoked = True

    def make_idle(self, account: str | None, days: float = 91) -> None:
        """Refresh tokens look unused for `days` (issued and last used that long ago)."""
        then = self.clock.now() - days * DAY
        for token in self._refresh_tokens(account):
            token.issued = min(token.issued, then)
            token.last_used = min(token.last_used, then)

    def testing_expired(self, account: str | None) -> None:
        """Google: the app is in "Testing" and the refresh tokens are over 7 days old."""
        then = self.clock.now() - TESTING_LIFETIME - 60
        for grant in self._grants(account):
            if grant.provider == GOOGLE:
                grant.testing = True
                grant.signed_in = min(grant.signed_in, then)

    def require_mfa(self, required: bool = True) -> None:
        """Sign-ins made so far need multi-factor authentication (a new sign-in satisfies it)."""
        for grant in self._grants(None):
            grant.needs_mfa = required

    def withdraw_consent(self, account: str | None, accounts: list[str]) -> None:
        """The user (or an admin) withdraws consent: refresh tokens stop working."""
        for name in [account] if account else accounts:
            self.consent_withdrawn.add(name.lower())

    def give_consent(self, account: str | None) -> None:
        """Consent is given again (as an interactive sign-in does)."""
        if account is None:
            self.consent_withdrawn.clear()
        else:
            self.consent_withdrawn.discard(account.lower())


def _same_tenant(requested: str, grant: Grant) -> bool:
    """True when a refresh at `requested` reaches the tenant the grant was issued in."""
    requested = requested.lower()
    if requested in ("common", "organizations"):
        return True
    domain = (grant.account or "").rpartition("@")[2].lower()
    return requested in (grant.tenant.lower(), domain)


def tenant_id(tenant: str) -> str:
    """A stable tenant GUID for a tenant name or domain."""
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, tenant.lower()))


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt(
    header: Mapping[str, object], claims: Mapping[str, object], signature_bytes: int = 256
) -> str:
    parts = [json.dumps(p, separators=(",", ":")).encode() for p in (header, claims)]
    return ".".join([*map(_b64url, parts), _b64url(secrets.token_bytes(signature_bytes))])


def _kid() -> str:
    return _b64url(hashlib.sha1(b"smtp-console simulator signing key").digest())


def mint_access(grant: Grant, now: float) -> str:
    """An access token of realistic shape and length (1.5-3 KB)."""
    if grant.provider == GOOGLE:
        return "ya29.a0" + secrets.token_urlsafe(1140)
    iat = int(now)
    tid = tenant_id(grant.tenant)
    resource_scopes = [s for s in grant.scopes if s.lower() not in OIDC_SCOPES]
    audience = (
        resource_scopes[0].rsplit("/", 1)[0] if resource_scopes else "https://outlook.office.com"
    )
    claims: dict[str, object] = {
        "aud": audience,
        "iss": f"https://sts.windows.net/{tid}/",
        "iat": iat,
        "nbf": iat,
        "exp": iat + ACCESS_LIFETIME,
        "aio": secrets.token_urlsafe(90),
        "app_displayname": "smtp-console",
        "appid": grant.client_id,
        "appidacr": "0" if grant.public else "1",
        "idp": f"https://sts.windows.net/{tid}/",
        "oid": str(uuid.uuid4()),
        "rh": secrets.token_urlsafe(40) + ".",
        "sub": secrets.token_urlsafe(32),
        "tid": tid,
        "uti": secrets.token_urlsafe(16),
        "ver": "1.0",
        "xms_ftd": secrets.token_urlsafe(48),
        "xms_idrel": "1 20",
    }
    if grant.account is None:
        claims.update(idtyp="app", roles=["SMTP.SendAsApp"])
    else:
        local = grant.account.partition("@")[0]
        claims.update(
            acct=0,
            acr="1",
            amr=["pwd", "mfa"],
            family_name=local.title(),
            given_name=local.title(),
            idtyp="user",
            ipaddr="127.0.0.1",
            name=local.title(),
            platf="14",
            puid=secrets.token_hex(8).upper(),
            scp=" ".join(s.rsplit("/", 1)[-1] for s in resource_scopes),
            sid=str(uuid.uuid4()),
            signin_state=["kmsi"],
            unique_name=grant.account,
            upn=grant.account,
            wids=["b79fbf4d-3ef9-4689-8143-76b194e85509"],
        )
    header = {"typ": "JWT", "nonce": secrets.token_urlsafe(32), "alg": "RS256", "kid": _kid()}
    return _jwt(header, claims)


def mint_refresh(provider: str) -> str:
    """A refresh token in the provider's shape."""
    if provider == GOOGLE:
        return "1//0" + secrets.token_urlsafe(75)
    return "1.AQ" + secrets.token_urlsafe(900)


def mint_id_token(grant: Grant, now: float) -> str:
    """An OpenID Connect ID token naming the account (only when openid was asked for)."""
    account = grant.account or ""
    claims: dict[str, object] = {"aud": grant.client_id, "iat": int(now), "exp": int(now) + 3600}
    if grant.provider == GOOGLE:
        claims.update(
            iss="https://accounts.google.com",
            sub=str(uuid.uuid5(uuid.NAMESPACE_URL, account.lower()).int)[:21],
            email=account,
            email_verified=True,
        )
    else:
        tid = tenant_id(grant.tenant)
        claims.update(
            iss=f"https://login.microsoftonline.com/{tid}/v2.0",
            tid=tid,
            preferred_username=account,
            name=account.partition("@")[0].title(),
            oid=str(uuid.uuid5(uuid.NAMESPACE_URL, account.lower())),
            ver="2.0",
        )
    return _jwt({"typ": "JWT", "alg": "RS256", "kid": _kid()}, claims)
