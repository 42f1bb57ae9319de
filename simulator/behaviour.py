"""A provider's dialogue rules, derived from its profile: what it says, when, and to whom."""

from __future__ import annotations

import random
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import getaddresses
from functools import cached_property

from simulator.auth import Credentials
from simulator.profile import Limits, Profile
from simulator.state import Account, State

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_ENHANCED = re.compile(r"^(\d{3}[ -])[245]\.\d{1,3}\.\d{1,3} ", re.MULTILINE)
_SIMPLE_FROM = re.compile(r'^\s*(?:"[^"\\]*"\s*|[^"<>,@;:\\]*)<([^<>\s,"]+@[^<>\s,"]+)>\s*$')
_BARE_FROM = re.compile(r"^\s*([^<>\s,\"]+@[^<>\s,\"]+)\s*$")

_ID_ALPHABETS = {
    "#": string.digits,
    "~": string.ascii_lowercase,
    "%": "0123456789ABCDEF",
    "*": string.ascii_letters + string.digits,
}

# The dialogue stages a transaction refusal can wait for, in the order they come.
TRANSACTION_STAGES = ("mail", "rcpt", "data", "dot")

# RFC replies for commands the behaviour vocabulary does not cover; a profile may override them.
_EXTRA_REPLIES = {
    "rset_ok": "250 2.0.0 Resetting",
    "noop_ok": "250 2.0.0 OK",
    "bdat_ok": "250 2.0.0 {size} octets received",
    "vrfy": "252 2.1.5 Cannot VRFY user, but will accept message and attempt delivery",
    "not_implemented": "502 5.5.1 Command not implemented",
    "auth_aborted": "501 5.7.0 Authentication aborted",
    "auth_bad_encoding": "501 5.5.2 Cannot Base64-decode Client responses",
    "auth_line_too_long": "500 5.5.6 Authentication Exchange line is too long",
    "local_error": "451 4.3.0 Requested action aborted: local error in processing",
}


@dataclass(frozen=True)
class AuthDecision:
    """The behaviour key to answer an AUTH with, and the account when it succeeded."""

    key: str
    account: Account | None = None

    @property
    def ok(self) -> bool:
        """True when the client is now authenticated."""
        return self.key == "auth_ok"


class Behaviour:
    """Everything the server needs to speak as one provider."""

    def __init__(self, profile: Profile, limits: Limits | None = None, seed: int = 0) -> None:
        self.profile = profile
        self.limits = limits or profile.limits
        self.seed = seed
        self._texts: dict[str, str] = {}  # a profile's texts never change while it runs

    # Replies

    def speaks(self, key: str) -> bool:
        """True when the profile gives its own text for this key (not the RFC fallback)."""
        reply = self.profile.replies.get(key)
        return reply is not None and not reply.is_default

    def text(self, key: str) -> str:
        """The raw reply text for a key (profile first, then the RFC extras).

        An RFC stand-in loses its enhanced status code at a provider that does not
        advertise ENHANCEDSTATUSCODES (RFC 2034); the provider's own texts stay as seen.
        """
        text = self._texts.get(key)
        if text is None:
            reply = self.profile.replies.get(key)
            text = reply.text if reply else _EXTRA_REPLIES[key]
            if (reply is None or reply.is_default) and not self.enhanced_codes:
                text = _ENHANCED.sub(r"\1", text)
            self._texts[key] = text
        return text

    @cached_property
    def enhanced_codes(self) -> bool:
        """True when the provider advertises ENHANCEDSTATUSCODES."""
        return self.advertises("ENHANCEDSTATUSCODES", tls=False) or self.advertises(
            "ENHANCEDSTATUSCODES", tls=True
        )

    def render(self, key: str, values: Mapping[str, object]) -> str:
        """The reply for a key with its placeholders filled (unknown ones left as written)."""
        text = self.text(key)
        if "{" not in text:
            return text

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            if name == "host":
                return self.profile.host_token
            try:
                return str(values[name])
            except KeyError:
                return match.group(0)

        return _PLACEHOLDER.sub(fill, text)

    def stage(self, key: str) -> str:
        """The dialogue stage at which the provider sends this reply."""
        return self.profile.reply(key).stage

    def refusal_stage(self, key: str) -> str:
        """The transaction stage at which a refusal is sent (earlier stages mean MAIL)."""
        stage = self.stage(key)
        return stage if stage in TRANSACTION_STAGES else "mail"

    def session_rng(self, number: int) -> random.Random:
        """The random source for one session, the same for the same seed and session."""
        return random.Random(f"{self.seed}/{self.profile.id}/{number}")

    def session_id(self, rng: random.Random) -> str:
        """A session token in the shape the profile gives (e.g. Gmail's o13sm2119833lfg.90)."""
        return "".join(
            rng.choice(_ID_ALPHABETS[c]) if c in _ID_ALPHABETS else c
            for c in self.profile.session_id
        )

    # EHLO and TLS

    @property
    def tls_required(self) -> bool:
        """True when mail may only be sent after TLS is up."""
        return self.profile.tls_required

    @property
    def auth_required(self) -> bool:
        """True when the provider only takes mail from authenticated clients."""
        return bool(self.profile.mechanisms)

    @cached_property
    def size_limit(self) -> int | None:
        """The largest message accepted, in bytes, or None."""
        return self.limits.max_message_bytes or _advertised_size(self.profile.ehlo_after_tls)

    def _listed(self, *, tls: bool) -> tuple[str, ...]:
        """The EHLO extension lines exactly as the profile gives them for this TLS state."""
        return self.profile.ehlo_after_tls if tls else self.profile.ehlo_before_tls

    def advertises(self, keyword: str, *, tls: bool) -> bool:
        """True when the profile's EHLO lists this keyword in this TLS state."""
        return any(line.split(" ", 1)[0].upper() == keyword for line in self._listed(tls=tls))

    def extensions(self, *, tls: bool, starttls_offered: bool) -> list[str]:
        """The EHLO keywords as the provider lists them, SIZE set to the enforced limit."""
        lines = []
        for line in self._listed(tls=tls):
            keyword = line.split(" ", 1)[0].upper()
            if keyword == "STARTTLS" and not starttls_offered:
                continue
            if keyword == "SIZE" and self.limits.max_message_bytes:
                line = f"SIZE {self.limits.max_message_bytes}"
            lines.append(line)
        return lines

    def ehlo(self, values: Mapping[str, object], *, tls: bool, starttls_offered: bool) -> str:
        """The whole multi-line EHLO reply."""
        first = self.render("ehlo", values).split("\r\n")[0]
        code, greeting = first[:3], first[4:]
        lines = [greeting, *self.extensions(tls=tls, starttls_offered=starttls_offered)]
        return "\r\n".join(
            f"{code}{' ' if n == len(lines) - 1 else '-'}{line}" for n, line in enumerate(lines)
        )

    def helo(self, values: Mapping[str, object]) -> str:
        """The one-line HELO reply."""
        first = self.render("ehlo", values).split("\r\n")[0]
        return first[:3] + " " + first[4:]

    def advertised_mechanisms(self, *, tls: bool) -> tuple[str, ...]:
        """The SASL mechanisms listed in EHLO in this TLS state."""
        found: list[str] = []
        for line in self._listed(tls=tls):
            upper = line.upper()
            if upper.startswith(("AUTH ", "AUTH=")):
                found.extend(m for m in upper[5:].split() if m not in found)
        return tuple(found)

    def auth_allowed(self, *, tls: bool) -> bool:
        """True when AUTH may be attempted in this TLS state."""
        return tls or not self.tls_required or bool(self.advertised_mechanisms(tls=False))

    def usable_mechanism(self, mechanism: str) -> bool:
        """True when the provider accepts this mechanism."""
        return mechanism.upper() in self.profile.mechanisms

    # Decisions

    def authenticate(self, state: State, credentials: Credentials) -> AuthDecision:
        """Judge a sign-in against the accounts and the tenant's switches."""
        password = credentials.kind == "password"
        if password and state.basic_auth_retired:
            return AuthDecision("auth_retired")
        account = state.account(credentials.username)
        if not password:
            static = account is not None and any(credentials.matches(t) for t in account.tokens)
            issued = account is not None and state.oauth.accepts(
                getattr(credentials, "token", ""), account.username
            )
            if account is None or not (static or issued):
                return AuthDecision("auth_token_invalid")
        else:
            rules = self.profile.credentials
            secret = getattr(credentials, "secret", None)
            if account is None or not rules.username_fits(credentials.username, secret):
                return AuthDecision("auth_failed")
            by_app = bool(account.app_password) and credentials.matches(account.app_password or "")
            by_password = bool(account.password) and credentials.matches(account.password or "")
            if not (by_app or by_password):
                return AuthDecision("auth_failed")
            if by_password and not by_app and not rules.password_sign_in and not account.legacy:
                key = "auth_app_password_required" if account.two_step else "auth_failed"
                return AuthDecision(key)
            if account.two_step and not by_app:
                return AuthDecision("auth_app_password_required")
            if by_app and not account.two_step and not rules.password_sign_in:
                return AuthDecision("auth_failed")  # an app password needs 2-Step on
        if not state.smtp_auth_enabled:
            return AuthDecision("auth_disabled")
        if not state.smtp_auth_allowed(account.username):
            return AuthDecision("auth_disabled_mailbox")
        if password and not state.basic_auth_enabled:
            return AuthDecision("auth_basic_disabled")
        if password and state.security_defaults:
            return AuthDecision("auth_security_defaults")
        return AuthDecision("auth_ok", account)

    def sender_refusal(
        self, state: State, account: Account | None, addresses: list[str]
    ) -> tuple[str, str] | None:
        """The behaviour key refusing one of these senders, and that sender; None if all may."""
        for address in addresses:
            key = self._refuse_sender(state, account, address)
            if key:
                return key, address
        return None

    def unverified_recipients(
        self, state: State, account: Account | None, recipients: list[str]
    ) -> list[str]:
        """In the sandbox: the recipients that are not the account's verified identities."""
        if not state.sandbox or account is None:
            return []
        domains = {d.lower() for d in account.verified_domains}
        return [
            r
            for r in recipients
            if not account.may_send_as(r) and r.rpartition("@")[2].lower() not in domains
        ]

    def _refuse_sender(self, state: State, account: Account | None, address: str) -> str | None:
        if state.send_as_denied:
            return "send_as_denied"
        policy = self.profile.sender_policy
        if account is None or policy in ("any", "rewrite") or account.may_send_as(address):
            return None
        if policy == "mailbox":
            return "send_as_denied"
        if not account.verified_domains and not account.send_as:
            return None  # an account set up without identities may send as anyone
        domain = address.rpartition("@")[2].lower()
        verified = domain in {d.lower() for d in account.verified_domains}
        return None if verified else "sender_unverified"


def as_provider_holds(account: Account, profile: Profile) -> Account:
    """The account as the provider keeps it (a lone app-password-shaped secret: app password)."""
    rules = profile.credentials
    plain = not rules.password_sign_in and not account.app_password and not account.legacy
    if plain and rules.is_app_password(account.password):
        account.app_password, account.password = account.password, None
        account.two_step = True
    elif account.app_password and not rules.password_sign_in and not account.legacy:
        account.two_step = True  # the provider issues app passwords only with 2-Step on
    return account


def rewrite_sender(raw: bytes, account: Account) -> bytes | None:
    """The message with a From the account may not use replaced by its own address; or None."""
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        head, sep, body = raw.partition(b"\n\n")
    lines = head.splitlines(keepends=True)
    kept: list[bytes] = []
    found = changed = False
    for line in lines:
        folded = line[:1] in (b" ", b"\t")
        if folded and found:
            continue  # a continuation of the From header being replaced
        found = line[:5].lower() == b"from:"
        if found:
            text = line[5:].decode("utf-8", "replace").strip()
            if all(account.may_send_as(a) for a in header_senders(text)):
                found = False
            else:
                changed = True
                line = f"From: {account.username}\r\n".encode()
        kept.append(line)
    return b"".join(kept) + sep + body if changed else None


def header_senders(from_header: str | None) -> list[str]:
    """The addresses in a From header."""
    if not from_header:
        return []
    simple = _SIMPLE_FROM.match(from_header) or _BARE_FROM.match(from_header)
    if simple:
        return [simple.group(1)]
    return [address for _, address in getaddresses([from_header]) if address]


def _advertised_size(extensions: tuple[str, ...]) -> int | None:
    for line in extensions:
        keyword, _, value = line.partition(" ")
        if keyword.upper() == "SIZE" and value.strip().isdigit():
            return int(value)
    return None
