"""Provider profiles: the TOML files in profiles/, loaded into typed, validated data."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from simulator.tomlsource import SourceError, entry_line, find_line, read_toml

Security = Literal["starttls", "tls", "none"]
Scope = Literal["mailbox", "domain", "account"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
SECURITY_WORDS = {"starttls": "STARTTLS", "tls": "implicit TLS", "none": "no TLS"}
SCOPES: tuple[Scope, ...] = ("mailbox", "domain", "account")
STAGES = ("connect", "ehlo", "starttls", "auth", "mail", "rcpt", "data", "dot", "quit", "any")
CONFIDENCES = ("DOC", "OBS", "SEC", "RFC")
MECHANISMS = ("LOGIN", "PLAIN", "XOAUTH2", "OAUTHBEARER", "CRAM-MD5")
SENDER_POLICIES = ("mailbox", "domain", "any", "rewrite")
RATE_MODES = ("delay", "refuse")
DEFAULTS_FILE = "defaults.toml"
# A {id} shape: # a digit, ~ a lowercase letter, % an uppercase hex digit, * a letter or
# digit; any other character stands for itself. The default is 16 hex digits.
SESSION_ID_SYMBOLS = "#~%*"
DEFAULT_SESSION_ID = "%" * 16


class ProfileError(SourceError):
    """A profile that cannot be used, with the file, line and field at fault."""


@dataclass(frozen=True)
class Endpoint:
    """One address a provider accepts submissions on."""

    host: str
    port: int
    security: Security
    recommended: bool = False


@dataclass(frozen=True)
class Reply:
    """A reply the provider sends, and the dialogue stage it answers."""

    key: str
    text: str
    stage: str
    confidence: str
    source: str

    @property
    def code(self) -> int:
        """The three-digit reply code."""
        return int(self.text[:3])

    @property
    def is_default(self) -> bool:
        """True when the provider's own text is unknown and the RFC text stands in."""
        return self.confidence == "RFC"

    def render(self, **values: object) -> str:
        """The reply with its placeholders filled; unknown ones are left as written."""
        return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), self.text)


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Limits:
    """A provider's sending limits; None means no limit."""

    messages_per_minute: int | None = None
    rate_mode: str = "refuse"
    messages_per_second: int | None = None
    messages_per_day: int | None = None
    recipients_per_day: int | None = None
    recipients_per_message: int | None = None
    max_message_bytes: int | None = None
    connections_per_user: int | None = None
    failed_logins_per_10_minutes: int | None = None  # from one client address


@dataclass(frozen=True)
class CredentialRules:
    """The shape a provider's sign-in must have; anything else gets its bad-credentials reply."""

    username_pattern: str | None = None  # a regular expression the whole user name matches
    username_expected: str = ""  # the same rule in words, for `channels validate`
    username_is_secret: bool = False  # Postmark: the server token is user name and password
    password_sign_in: bool = True  # False: only app passwords (and tokens) sign in (Gmail)
    app_password_pattern: str | None = None  # the shape of an app password

    def username_fits(self, username: str, secret: str | None = None) -> bool:
        """True when the user name has the shape the provider issues."""
        if self.username_pattern and not re.fullmatch(self.username_pattern, username):
            return False
        return not (self.username_is_secret and secret is not None and username != secret)

    def is_app_password(self, secret: str | None) -> bool:
        """True when the secret has the shape of the provider's app passwords."""
        pattern = self.app_password_pattern
        return bool(pattern and secret and re.fullmatch(pattern, secret))


@dataclass(frozen=True)
class Guide:
    """What the guide says about choosing this provider."""

    pros: tuple[str, ...] = ()
    cons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """Everything known about one provider's submission service."""

    id: str
    name: str
    summary: str
    scope: Scope
    shareable: bool
    host_token: str
    endpoints: tuple[Endpoint, ...]
    mechanisms: tuple[str, ...]
    username_hint: str
    fixed_username: str | None
    secret_kind: str
    tls_required: bool
    sender_policy: str
    limits: Limits
    ehlo_before_tls: tuple[str, ...]
    ehlo_after_tls: tuple[str, ...]
    guide: Guide
    replies: Mapping[str, Reply] = field(repr=False)
    path: Path = field(repr=False, compare=False)
    # Postmark: with an empty user name, the secret is sent as the user name too.
    secret_as_username: bool = False
    session_id: str = DEFAULT_SESSION_ID  # the shape of the {id} token (SESSION_ID_SYMBOLS)
    credentials: CredentialRules = field(default_factory=lambda: CredentialRules())

    def offers(self, port: int | None, security: str) -> bool:
        """True when one of the provider's endpoints has this security (and port, if given)."""
        return any(
            e.security == security and (port is None or e.port == port) for e in self.endpoints
        )

    def missing_endpoint(self, port: int, security: str) -> str | None:
        """Why the provider does not serve this port and security, and what to use; or None."""
        if self.offers(port, security):
            return None
        use = next((e for e in self.endpoints if e.recommended), self.endpoints[0])
        advice = f"use {use.port} with {SECURITY_WORDS[use.security]}"
        there = next((e for e in self.endpoints if e.port == port), None)
        if there is not None:
            if there != use:  # the same port with its own security is a fix too
                advice = f"use {port} with {SECURITY_WORDS[there.security]}, or {advice[4:]}"
            return f"{self.name} has no {SECURITY_WORDS[security]} on port {port}: {advice}"
        return f"{self.name} has no port {port}: {advice}"

    @property
    def endpoint(self) -> Endpoint:
        """The recommended endpoint (the first one when none is marked)."""
        return next((e for e in self.endpoints if e.recommended), self.endpoints[0])

    def reply(self, key: str) -> Reply:
        """The provider's reply for a behaviour key."""
        return self.replies[key]


class _Reader:
    """Typed access to a parsed TOML table that reports errors with their line."""

    def __init__(self, path: Path, text: str, data: Mapping[str, Any]) -> None:
        self.path, self.text, self.data = path, text, data

    def fail(self, dotted: str, reason: str) -> ProfileError:
        return ProfileError(self.path, find_line(self.text, dotted), dotted, reason)

    def get(self, dotted: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                if default is ...:
                    raise self.fail(dotted, "is missing")
                return default
            node = node[part]
        if isinstance(node, bool) and kind is int or not isinstance(node, kind):
            kinds = kind if isinstance(kind, tuple) else (kind,)
            names = " or ".join(k.__name__ for k in kinds)
            raise self.fail(dotted, f"must be {_article(names)}, not {node!r}")
        return node

    def choice(self, dotted: str, choices: tuple[str, ...], default: Any = ...) -> Any:
        value = self.get(dotted, str, default)
        if value is not default and value not in choices:
            raise self.fail(dotted, f"must be one of {', '.join(choices)}, not {value!r}")
        return value

    def strings(self, dotted: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(dotted, list, default)
        if values is default:
            return cast(tuple[str, ...], default)
        if not all(isinstance(v, str) for v in values):
            raise self.fail(dotted, "must be a list of strings")
        return tuple(values)


def _article(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _parse(path: Path) -> tuple[str, dict[str, Any]]:
    return read_toml(path, ProfileError)


def _replies(reader: _Reader, defaults: Mapping[str, Reply]) -> dict[str, Reply]:
    replies = dict(defaults)
    table = reader.get("replies", dict, {})
    for key in table:
        if key not in defaults:
            raise reader.fail(f"replies.{key}", f"is not a known behaviour ({', '.join(defaults)})")
        base = defaults[key]
        text = reader.get(f"replies.{key}.text", str, base.text)
        if not re.match(r"^[2-5]\d\d[ -]", text):
            raise reader.fail(f"replies.{key}.text", "must start with a three-digit reply code")
        replies[key] = Reply(
            key=key,
            text=text.replace("\r\n", "\n").replace("\n", "\r\n"),
            stage=reader.choice(f"replies.{key}.stage", STAGES, base.stage),
            confidence=reader.choice(f"replies.{key}.confidence", CONFIDENCES),
            source=reader.get(f"replies.{key}.source", str),
        )
    return replies


def load_defaults(directory: Path) -> dict[str, Reply]:
    """The RFC fallback replies from defaults.toml."""
    path = directory / DEFAULTS_FILE
    text, data = _parse(path)
    reader = _Reader(path, text, data)
    return {
        key: Reply(
            key=key,
            text=reader.get(f"replies.{key}.text", str),
            stage=reader.choice(f"replies.{key}.stage", STAGES),
            confidence="RFC",
            source=reader.get(f"replies.{key}.source", str),
        )
        for key in reader.get("replies", dict)
    }


def _endpoint(path: Path, text: str, raw: Any) -> Endpoint:
    e = _Reader(path, text, raw if isinstance(raw, Mapping) else {})
    port = e.get("port", int)
    if not 0 < port < 65536:
        raise e.fail("port", f"must be between 1 and 65535, not {port}")
    return Endpoint(
        e.get("host", str),
        port,
        e.choice("security", SECURITIES),
        e.get("recommended", bool, False),
    )


def load_profile(path: Path, defaults: Mapping[str, Reply] | None = None) -> Profile:
    """Read and validate one profile file; raise ProfileError naming file, line and field."""
    if defaults is None:
        defaults = load_defaults(path.parent)
    text, data = _parse(path)
    r = _Reader(path, text, data)
    endpoints = []
    raw_endpoints = r.get("endpoints", list)
    if not raw_endpoints:
        raise r.fail("endpoints", "needs at least one [[endpoints]] entry")
    for index, raw in enumerate(raw_endpoints):
        try:
            endpoints.append(_endpoint(path, text, raw))
        except ProfileError as error:
            line = entry_line(text, "endpoints", index, error.field) or find_line(text, "endpoints")
            raise ProfileError(
                path, line, f"endpoints[{index}].{error.field}", error.reason
            ) from None
    mechanisms = r.strings("auth.mechanisms")
    for mechanism in mechanisms:
        if mechanism not in MECHANISMS:
            raise r.fail("auth.mechanisms", f"{mechanism!r} is not one of {', '.join(MECHANISMS)}")
    limits = Limits(
        **{
            name: r.get(f"limits.{name}", int, None)
            for name in Limits.__dataclass_fields__
            if name != "rate_mode"
        },
        rate_mode=r.choice("limits.rate_mode", RATE_MODES, "refuse"),
    )
    return Profile(
        id=r.get("id", str),
        name=r.get("name", str),
        summary=r.get("summary", str),
        scope=r.choice("scope", SCOPES),
        shareable=r.get("shareable", bool),
        host_token=r.get("host_token", str),
        endpoints=tuple(endpoints),
        mechanisms=mechanisms,
        username_hint=r.get("auth.username", str),
        fixed_username=r.get("auth.fixed_username", str, None),
        secret_kind=r.get("auth.secret", str),
        tls_required=r.get("auth.tls_required", bool, True),
        sender_policy=r.choice("sender.policy", SENDER_POLICIES),
        limits=limits,
        ehlo_before_tls=r.strings("ehlo.before_tls"),
        ehlo_after_tls=r.strings("ehlo.after_tls"),
        guide=Guide(
            r.strings("guide.pros", ()),
            r.strings("guide.cons", ()),
            r.strings("guide.warnings", ()),
        ),
        replies=_replies(r, defaults),
        path=path,
        secret_as_username=r.get("auth.secret_as_username", bool, False),
        session_id=_session_id(r),
        credentials=_credential_rules(r),
    )


def _credential_rules(reader: _Reader) -> CredentialRules:
    rules = CredentialRules(
        username_pattern=reader.get("auth.username_pattern", str, None),
        username_expected=reader.get("auth.username_expected", str, ""),
        username_is_secret=reader.get("auth.username_is_secret", bool, False),
        password_sign_in=reader.get("auth.password_sign_in", bool, True),
        app_password_pattern=reader.get("auth.app_password_pattern", str, None),
    )
    for name in ("username_pattern", "app_password_pattern"):
        try:
            re.compile(getattr(rules, name) or "")
        except re.error as error:
            raise reader.fail(f"auth.{name}", f"is not a regular expression: {error}") from None
    return rules


def _session_id(reader: _Reader) -> str:
    shape: str = reader.get("session_id", str, DEFAULT_SESSION_ID)
    if not any(symbol in shape for symbol in SESSION_ID_SYMBOLS):
        raise reader.fail("session_id", f"needs at least one of {' '.join(SESSION_ID_SYMBOLS)}")
    if not shape.isprintable() or " " in shape:
        raise reader.fail("session_id", "must be printable, without spaces")
    return shape


def profiles_dir() -> Path:
    """Where the profiles are: inside the installed package, or at the repository root."""
    here = Path(__file__).resolve().parent
    installed = here / "profiles"
    return installed if installed.is_dir() else here.parent / "profiles"


def load_all(directory: Path | None = None) -> dict[str, Profile]:
    """Every profile in the directory, keyed by id; the first bad file raises."""
    directory = directory or profiles_dir()
    defaults = load_defaults(directory)
    profiles: dict[str, Profile] = {}
    for path in sorted(directory.glob("*.toml")):
        if path.name == DEFAULTS_FILE:
            continue
        profile = load_profile(path, defaults)
        if profile.id != path.stem:
            text = path.read_text(encoding="utf-8")
            raise ProfileError(
                path,
                find_line(text, "id"),
                "id",
                f"must match the file name {path.stem!r}, not {profile.id!r}",
            )
        profiles[profile.id] = profile
    return profiles


def load(provider_id: str, directory: Path | None = None) -> Profile:
    """One profile by id; KeyError names the known ids."""
    directory = directory or profiles_dir()
    path = directory / f"{provider_id}.toml"
    if not path.is_file() or provider_id == DEFAULTS_FILE.removesuffix(".toml"):
        known = ", ".join(sorted(load_all(directory)))
        raise KeyError(f"unknown provider {provider_id!r} (known: {known})")
    return load_profile(path)
