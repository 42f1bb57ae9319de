"""The delivery channel: a typed model of one outgoing SMTP setup, and its validation."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, replace
from dataclasses import field as setting
from email.utils import formataddr
from functools import cache
from typing import TYPE_CHECKING, Literal

from simulator.tomlsource import find_line

# The [oauth] settings are imported where a channel has them: most channels sign in otherwise.
if TYPE_CHECKING:
    from console.oauth.settings import OAuthSettings
    from simulator.profile import Profile

Security = Literal["starttls", "tls", "none"]
AuthMethod = Literal["login", "plain", "xoauth2", "oauthbearer", "none"]
Scope = Literal["personal", "shared"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
AUTH_METHODS: tuple[AuthMethod, ...] = ("login", "plain", "xoauth2", "oauthbearer", "none")
OAUTH_METHODS = ("xoauth2", "oauthbearer")
SCOPES: tuple[Scope, ...] = ("personal", "shared")
SECRET_SOURCES = ("keyring", "env:NAME", "command:CMD", "prompt", "oauth")
DEFAULT_TIMEOUT = 30.0
HIDDEN = "(hidden: not a secret source)"
IMPLICIT_TLS_PORTS = frozenset({465})
STARTTLS_PORTS = frozenset({25, 587})

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
NAME_RULE = "must be 1-64 letters, digits, dots, dashes or underscores"
# Device names Windows reserves (with any extension): a channel so named cannot be shared there.
_RESERVED_NAME = re.compile(r"^(?:CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(?:\.|$)", re.IGNORECASE)
RESERVED_RULE = "is a device name Windows reserves (CON, PRN, AUX, NUL, COM1, LPT1...)"
_ENV_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Written over ASCII: _ascii() first stands a letter in for every other BMP character, which
# matches what classes spanning \u0080-\uffff would, without their costly compilation.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# 1-63 characters, no hyphen first or last (written with lookarounds: far cheaper to compile)
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"


def _ascii(text: str) -> str:
    if text.isascii():
        return text
    return "".join("a" if "\x80" <= c <= "\uffff" else c for c in text)


@cache
def _address_pattern() -> re.Pattern[str]:
    return re.compile(
        rf"^(?P<local>{_ATOM}(?:\.{_ATOM})*)@(?P<domain>{_LABEL}(?:\.{_LABEL})+|\[[0-9.]+\])$"
    )


@cache
def _host_pattern() -> re.Pattern[str]:
    return re.compile(rf"^{_LABEL}(?:\.{_LABEL})*\.?$")


@dataclass(frozen=True)
class ServerSettings:
    """Where the channel connects, and how it secures the connection."""

    host: str
    port: int
    security: Security
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class AuthSettings:
    """How the channel signs in; `secret` names where the secret lives, never the secret."""

    method: AuthMethod
    username: str
    secret: str = "keyring"


@dataclass(frozen=True)
class SenderSettings:
    """Who the mail is from."""

    address: str
    display_name: str = ""
    send_as: bool = False  # the signed-in mailbox has the right to send as this address

    @property
    def header(self) -> str:
        """The From header value, e.g. 'Alice <alice@contoso.com>'."""
        return formataddr((self.display_name, self.address)) if self.display_name else self.address


@dataclass(frozen=True)
class Channel:
    """One outgoing delivery channel: a provider, a server, a sign-in and a sender."""

    name: str
    provider: str
    scope: Scope
    server: ServerSettings
    auth: AuthSettings
    sender: SenderSettings
    messages_per_minute: int | None = None
    oauth: OAuthSettings | None = None

    @property
    def signs_in_with_oauth(self) -> bool:
        """True when the channel's tokens come from its own OAuth sign-in (secret = "oauth")."""
        return self.auth.method in OAUTH_METHODS and self.auth.secret == "oauth"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a channel: the TOML field at fault, why, and its line (0: unknown)."""

    field: str
    reason: str
    line: int = 0
    # The provider itself refuses this (a port it lacks, a user name it never issues):
    # a check still runs, to show where and in what words the provider refuses it.
    provider_refuses: bool = setting(default=False, compare=False)

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def reserved_name(name: str) -> bool:
    """True for a name Windows keeps for a device, so no file there may have it."""
    return _RESERVED_NAME.match(name) is not None


def is_address(text: str) -> bool:
    """True when text is a plain email address (local@domain)."""
    found = _address_pattern().match(_ascii(text))
    return found is not None and len(text) <= 254 and len(found.group("local")) <= 64


def secret_source_problem(source: str) -> str | None:
    """Why a secret source is unusable, or None; never repeats the value, which may be a secret."""
    if source in ("keyring", "prompt", "oauth"):
        return None
    kind, _, rest = source.partition(":")
    if kind == "env":
        return (
            None
            if _ENV_VARIABLE.match(rest)
            else "env: needs a variable name, e.g. env:SMTP_PASSWORD"
        )
    if kind == "command":
        return None if rest.strip() else "command: needs a command that prints the secret"
    return (
        f"must be one of {', '.join(SECRET_SOURCES)}; "
        "it says where the secret is kept, the secret itself never goes in this file"
    )


def as_dict(channel: Channel) -> dict[str, object]:
    """The channel as plain data shaped like its file; an invalid secret source is hidden."""
    secret = channel.auth.secret
    return {
        "name": channel.name,
        "provider": channel.provider,
        "scope": channel.scope,
        "server": {
            "host": channel.server.host,
            "port": channel.server.port,
            "security": channel.server.security,
            "timeout": channel.server.timeout,
        },
        "auth": {
            "method": channel.auth.method,
            "username": channel.auth.username,
            "secret": secret if secret_source_problem(secret) is None else HIDDEN,
        },
        "sender": {
            "from": channel.sender.address,
            "display_name": channel.sender.display_name,
            "send_as": channel.sender.send_as,
        },
        "pacing": {"messages_per_minute": channel.messages_per_minute},
        **({"oauth": oauth_dict(channel.oauth)} if channel.oauth else {}),
    }


def oauth_dict(settings: OAuthSettings) -> dict[str, object]:
    """The [oauth] table as plain data; a client secret that is not a reference is hidden."""
    from console.oauth.settings import is_reference

    data: dict[str, object] = {
        "flow": settings.flow,
        "tenant": settings.tenant,
        "client_id": settings.client_id,
        "scopes": list(settings.scopes),
        "token_store": settings.token_store,
    }
    if settings.client_secret:
        secret = settings.client_secret
        data["client_secret"] = secret if is_reference(secret) else HIDDEN
    return data


def draft(
    profile: Profile,
    name: str,
    *,
    username: str | None = None,
    from_address: str | None = None,
    display_name: str = "",
    host: str | None = None,
    port: int | None = None,
    security: Security | None = None,
    method: AuthMethod | None = None,
    secret: str = "keyring",
    scope: Scope | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    messages_per_minute: int | None = None,
) -> Channel:
    """A new channel filled from the provider's profile; keyword arguments override it."""
    endpoint = profile.endpoint
    if port is not None and port != endpoint.port:
        same_port = [e for e in profile.endpoints if e.port == port]
        endpoint = same_port[0] if same_port else endpoint
        security = security or (same_port[0].security if same_port else _security_for(port))
    user = username if username is not None else (profile.fixed_username or "")
    if from_address is None:
        own = profile.sender_policy in ("mailbox", "rewrite")
        from_address = user if own and is_address(user) else ""
    return Channel(
        name=name,
        provider=profile.id,
        scope=scope or ("shared" if profile.shareable else "personal"),
        server=ServerSettings(
            host=host or endpoint.host,
            port=port if port is not None else endpoint.port,
            security=security or endpoint.security,
            timeout=timeout,
        ),
        auth=AuthSettings(
            method=method or _preferred_method(profile), username=user, secret=secret
        ),
        sender=SenderSettings(address=from_address, display_name=display_name),
        messages_per_minute=messages_per_minute or provider_rate(profile),
    )


def provider_rate(profile: Profile) -> int | None:
    """The provider's messages-per-minute ceiling, from its per-minute or per-second limit."""
    limits = profile.limits
    if limits.messages_per_minute is not None:
        return limits.messages_per_minute
    return limits.messages_per_second * 60 if limits.messages_per_second is not None else None


def _security_for(port: int) -> Security:
    return "tls" if port in IMPLICIT_TLS_PORTS else "starttls"


_PREFERRED_METHODS: tuple[tuple[str, AuthMethod], ...] = (
    ("LOGIN", "login"),
    ("PLAIN", "plain"),
    ("XOAUTH2", "xoauth2"),
)


def _preferred_method(profile: Profile) -> AuthMethod:
    for mechanism, method in _PREFERRED_METHODS:
        if mechanism in profile.mechanisms:
            return method
    return "none"


def _rules_unknown(profile: Profile) -> bool:
    # A company's own server: its endpoints are examples and it may accept mail
    # without sign-in (by IP address); hosted providers state their rules.
    return profile.sender_policy == "any"


def allows_anonymous(profile: Profile) -> bool:
    """True when the provider may take mail from a client that does not sign in."""
    return (
        not profile.mechanisms
        or _rules_unknown(profile)
        or any(e.security == "none" for e in profile.endpoints)
    )


def secret_is_username(channel: Channel, profile: Profile | None = None) -> bool:
    """True when the channel signs in with its secret as the user name too (Postmark's token).

    The channel file leaves the user name empty, so the token never sits in it.
    """
    auth = channel.auth
    if auth.username or auth.method == "none" or auth.method in OAUTH_METHODS:
        return False
    if profile is None:
        profile = _known_profile(channel.provider)
    return profile is not None and profile.secret_as_username


def login_name(channel: Channel, secret: str, profile: Profile | None = None) -> str:
    """The user name the channel signs in with: its own, or its secret where that is the rule."""
    return secret if secret_is_username(channel, profile) else channel.auth.username


def _known_profile(provider: str) -> Profile | None:
    from simulator.profile import ProfileError, load

    try:
        return load(provider)
    except (KeyError, ProfileError, OSError):
        return None


def validate(channel: Channel, profile: Profile, text: str | None = None) -> list[Problem]:
    """Every problem with the channel at once; with the file's text, each problem gets its line."""
    problems = [
        *_check_identity(channel, profile),
        *_check_server(channel.server, profile),
        *_check_auth(channel, profile),
        *_check_sender(channel, profile),
        *_check_pacing(channel, profile),
    ]
    if text is None:
        return problems
    return [replace(p, line=find_line(text, p.field)) for p in problems]


def _check_identity(channel: Channel, profile: Profile) -> list[Problem]:
    problems = []
    if not NAME_PATTERN.match(channel.name):
        problems.append(Problem("name", NAME_RULE))
    elif reserved_name(channel.name):
        problems.append(Problem("name", RESERVED_RULE))
    if channel.provider != profile.id:
        problems.append(Problem("provider", f"is {channel.provider!r}, not {profile.id}"))
    if channel.scope not in SCOPES:
        problems.append(Problem("scope", f"must be one of {', '.join(SCOPES)}"))
    elif channel.scope == "shared" and not profile.shareable:
        problems.append(
            Problem(
                "scope",
                f"{profile.name} credentials belong to one {profile.scope}: "
                "they must not be shared by a team; give each person their own channel",
            )
        )
    return problems


def _check_server(server: ServerSettings, profile: Profile) -> list[Problem]:
    problems = []
    if not _valid_host(server.host):
        problems.append(
            Problem("server.host", "must be a host name or IP address, no scheme or port")
        )
    port_ok = 0 < server.port < 65536
    if not port_ok:
        problems.append(Problem("server.port", f"must be between 1 and 65535, not {server.port}"))
    if server.security not in SECURITIES:
        problems.append(Problem("server.security", f"must be one of {', '.join(SECURITIES)}"))
        return problems
    provider_says = _check_endpoint(server, profile) if port_ok else []
    if provider_says:  # the provider's own ports decide, and a check shows its refusal
        problems.extend(provider_says)
    elif server.port in IMPLICIT_TLS_PORTS and server.security != "tls":
        problems.append(
            Problem(
                "server.security",
                f'port {server.port} expects TLS from the first byte: use security = "tls"',
            )
        )
    elif server.port in STARTTLS_PORTS and server.security == "tls":
        problems.append(
            Problem(
                "server.security",
                f'port {server.port} starts in plain text and upgrades: use security = "starttls"',
            )
        )
    if not server.timeout > 0:
        problems.append(Problem("server.timeout", "must be a positive number of seconds"))
    return problems


def _valid_host(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return bool(_host_pattern().match(_ascii(host))) and len(host) <= 253
    return True


def _check_endpoint(server: ServerSettings, profile: Profile) -> list[Problem]:
    offered = [e for e in profile.endpoints if e.host.lower() == server.host.lower().rstrip(".")]
    if _rules_unknown(profile) or not offered:
        return []
    if any((e.port, e.security) == (server.port, server.security) for e in offered):
        return []
    reason = endpoint_problem(server, profile) or ""
    same_port = any(e.port == server.port for e in offered)
    return [Problem("server.security" if same_port else "server.port", reason, 0, True)]


def endpoint_problem(server: ServerSettings, profile: Profile) -> str | None:
    """What the provider says to this port and security when it has no such endpoint."""
    if server.security not in ("starttls", "tls", "none") or _rules_unknown(profile):
        return None
    if not any(e.host.lower() == server.host.lower().rstrip(".") for e in profile.endpoints):
        return None
    return profile.missing_endpoint(server.port, server.security)


def _check_auth(channel: Channel, profile: Profile) -> list[Problem]:
    auth, problems = channel.auth, []
    if auth.method not in AUTH_METHODS:
        return [Problem("auth.method", f"must be one of {', '.join(AUTH_METHODS)}")]
    if auth.method == "none":
        if not allows_anonymous(profile):
            problems.append(
                Problem("auth.method", f"{profile.name} requires signing in: {_offered(profile)}")
            )
        return problems
    if auth.method.upper() not in profile.mechanisms:
        problems.append(
            Problem(
                "auth.method",
                f"{profile.name} does not offer {auth.method.upper()}: {_offered(profile)}",
            )
        )
    if not auth.username.strip() and not profile.secret_as_username:
        problems.append(Problem("auth.username", f"is empty; {profile.username_hint}"))
    elif profile.fixed_username and auth.username != profile.fixed_username:
        problems.append(
            Problem("auth.username", f"{profile.name} expects exactly {profile.fixed_username!r}")
        )
    elif auth.method != "xoauth2" and _wrong_shape(auth.username, profile):
        expected = profile.credentials.username_expected
        problems.append(Problem("auth.username", f"{profile.name} expects {expected}", 0, True))
    reason = secret_source_problem(auth.secret)
    if auth.secret == "oauth" or (auth.method in OAUTH_METHODS and channel.oauth is not None):
        if auth.method not in OAUTH_METHODS:
            problems.append(
                Problem("auth.secret", 'oauth needs auth.method = "xoauth2" or "oauthbearer"')
            )
        else:
            from console.oauth.settings import OAuthSettings
            from console.oauth.settings import problems as oauth_problems

            settings = channel.oauth or OAuthSettings()
            found = oauth_problems(settings, profile.id, auth.method, auth.secret)
            problems.extend(Problem(field, why) for field, why in found)
    elif reason:
        problems.append(Problem("auth.secret", reason))
    if channel.server.security == "none":
        problems.append(
            Problem(
                "server.security",
                "signing in without TLS sends the secret readable on the network: "
                "use starttls or tls",
            )
        )
    return problems


def _wrong_shape(username: str, profile: Profile) -> bool:
    """True when a user name cannot be one the provider issues (its sign-in would fail)."""
    rules = profile.credentials
    if not username.strip():
        return False
    if rules.username_is_secret and "@" in username:
        return True  # an address where the token belongs
    return not rules.username_fits(username)


def _offered(profile: Profile) -> str:
    methods = [m.lower() for m in profile.mechanisms if m.lower() in AUTH_METHODS]
    return f"use {' or '.join(methods)}" if methods else "no method this console supports"


def _check_sender(channel: Channel, profile: Profile) -> list[Problem]:
    sender, auth = channel.sender, channel.auth
    if not sender.address.strip():
        return [Problem("sender.from", "is empty; it must be an email address")]
    problems = []
    if not is_address(sender.address):
        problems.append(Problem("sender.from", f"{sender.address!r} is not an email address"))
    elif (
        profile.sender_policy in ("mailbox", "rewrite")
        and auth.method != "none"
        and auth.username.strip()
        and sender.address.lower() != auth.username.lower()
        and not sender.send_as
    ):
        outcome = (
            f"another From is replaced with {auth.username} unless it is a verified "
            "'Send mail as' alias of the account"
            if profile.sender_policy == "rewrite"
            else "another From is refused unless that mailbox has Send As rights"
        )  # the rights: Send As at Office 365, a verified alias at Gmail
        problems.append(
            Problem(
                "sender.from",
                f"{profile.name} sends only as the signed-in mailbox {auth.username}; {outcome} "
                "(if it has them, set sender.send_as = true)",
            )
        )
    if any(ord(c) < 32 or c == "\x7f" for c in sender.display_name):
        problems.append(
            Problem("sender.display_name", "must be one line without control characters")
        )
    return problems


def _check_pacing(channel: Channel, profile: Profile) -> list[Problem]:
    rate = channel.messages_per_minute
    if rate is None:
        return []
    if rate < 1:
        return [Problem("pacing.messages_per_minute", "must be at least 1 (or leave it out)")]
    ceiling = provider_rate(profile)
    if ceiling is not None and rate > ceiling:
        outcome = "held back and sent later" if profile.limits.rate_mode == "delay" else "refused"
        return [
            Problem(
                "pacing.messages_per_minute",
                f"{profile.name} allows {ceiling} a minute; the excess is {outcome}",
            )
        ]
    return []
