"""SASL for the simulator: LOGIN, PLAIN, XOAUTH2, OAUTHBEARER and CRAM-MD5, read as credentials."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# Sends a "334 <payload>" challenge and returns the client's answer line, stripped.
Ask = Callable[[str], Awaitable[bytes]]

LOGIN_USERNAME_PROMPT = "VXNlcm5hbWU6"  # base64 "Username:"
LOGIN_PASSWORD_PROMPT = "UGFzc3dvcmQ6"  # base64 "Password:"


class SaslError(Exception):
    """The exchange failed before any credentials could be judged."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key  # a behaviour key: auth_aborted, auth_bad_encoding or syntax_error


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


@dataclass(frozen=True)
class PasswordCredentials:
    """A login name and the password (or app password) the client sent."""

    username: str
    secret: str = field(repr=False)
    kind: str = "password"

    def matches(self, candidate: str) -> bool:
        """True when the client's secret is `candidate`."""
        return _same(self.secret, candidate)


@dataclass(frozen=True)
class TokenCredentials:
    """An OAuth bearer token sent with XOAUTH2 or OAUTHBEARER."""

    username: str
    token: str = field(repr=False)
    kind: str = "token"
    mechanism: str = "XOAUTH2"

    def matches(self, candidate: str) -> bool:
        """True when the client's token is `candidate`."""
        return _same(self.token, candidate)


@dataclass(frozen=True)
class CramCredentials:
    """A CRAM-MD5 answer: checked against a candidate password, never revealing it."""

    username: str
    challenge: bytes
    digest: str = field(repr=False)
    kind: str = "password"

    def matches(self, candidate: str) -> bool:
        """True when the digest is the HMAC-MD5 of the challenge keyed with `candidate`."""
        expected = hmac.new(candidate.encode("utf-8"), self.challenge, hashlib.md5).hexdigest()
        return hmac.compare_digest(expected, self.digest.lower())


Credentials = PasswordCredentials | TokenCredentials | CramCredentials


def decode(line: bytes) -> bytes:
    """Decode one base64 SASL line; '*' cancels and '=' is an empty response."""
    line = line.strip()
    if line == b"*":
        raise SaslError("auth_aborted")
    if line == b"=":
        return b""
    try:
        return base64.b64decode(line, validate=True)
    except (binascii.Error, ValueError):
        raise SaslError("auth_bad_encoding") from None


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


async def _first(initial: str | None, ask: Ask, prompt: str = "") -> bytes:
    """The initial response if the client gave one, else its answer to `prompt`."""
    return decode(initial.encode("ascii", "replace")) if initial else decode(await ask(prompt))


async def read_login(initial: str | None, ask: Ask) -> PasswordCredentials:
    """AUTH LOGIN: username and password, each prompted (or the username given up front)."""
    username = await _first(initial, ask, LOGIN_USERNAME_PROMPT)
    password = decode(await ask(LOGIN_PASSWORD_PROMPT))
    return PasswordCredentials(_text(username), _text(password))


async def read_plain(initial: str | None, ask: Ask) -> PasswordCredentials:
    """AUTH PLAIN: authzid NUL authcid NUL password."""
    parts = (await _first(initial, ask)).split(b"\x00")
    if len(parts) != 3:
        raise SaslError("syntax_error")
    return PasswordCredentials(_text(parts[1]), _text(parts[2]))


def parse_xoauth2(data: bytes) -> TokenCredentials:
    """Parse `user=...^Aauth=Bearer TOKEN^A^A`."""
    fields: dict[str, str] = {}
    for part in _text(data).split("\x01"):
        name, eq, value = part.partition("=")
        if eq:
            fields[name.strip().lower()] = value
    scheme, _, token = fields.get("auth", "").partition(" ")
    if "user" not in fields or scheme.lower() != "bearer" or not token:
        raise SaslError("syntax_error")
    return TokenCredentials(fields["user"], token.strip())


async def read_xoauth2(initial: str | None, ask: Ask) -> TokenCredentials:
    """AUTH XOAUTH2 with the initial response, or after an empty 334."""
    return parse_xoauth2(await _first(initial, ask))


def parse_oauthbearer(data: bytes) -> TokenCredentials:
    """Parse RFC 7628's `n,a=USER,^Ahost=...^Aport=...^Aauth=Bearer TOKEN^A^A`."""
    header, sep, rest = _text(data).partition("\x01")
    gs2 = header.split(",")
    if not sep or len(gs2) < 3 or gs2[0] not in ("n", "y") and not gs2[0].startswith("p="):
        raise SaslError("syntax_error")
    user = next((part[2:] for part in gs2[1:] if part.startswith("a=")), "")
    user = user.replace("=2C", ",").replace("=3D", "=")  # RFC 5801 saslname escapes
    fields: dict[str, str] = {}
    for part in rest.split("\x01"):
        name, eq, value = part.partition("=")
        if eq:
            fields[name.strip().lower()] = value
    scheme, _, token = fields.get("auth", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise SaslError("syntax_error")
    return TokenCredentials(user, token.strip(), mechanism="OAUTHBEARER")


async def read_oauthbearer(initial: str | None, ask: Ask) -> TokenCredentials:
    """AUTH OAUTHBEARER with the initial response, or after an empty 334."""
    return parse_oauthbearer(await _first(initial, ask))


async def read_cram_md5(challenge: bytes, ask: Ask) -> CramCredentials:
    """AUTH CRAM-MD5: send the challenge, read `username digest`."""
    answer = _text(decode(await ask(base64.b64encode(challenge).decode("ascii"))))
    username, _, digest = answer.rpartition(" ")
    if not username or len(digest) != 32:
        raise SaslError("syntax_error")
    return CramCredentials(username, challenge, digest)


async def read_credentials(
    mechanism: str, initial: str | None, ask: Ask, challenge: bytes = b""
) -> Credentials:
    """Run the exchange for one mechanism and return what the client presented."""
    mechanism = mechanism.upper()
    if mechanism == "LOGIN":
        return await read_login(initial, ask)
    if mechanism == "PLAIN":
        return await read_plain(initial, ask)
    if mechanism == "XOAUTH2":
        return await read_xoauth2(initial, ask)
    if mechanism == "OAUTHBEARER":
        return await read_oauthbearer(initial, ask)
    if mechanism == "CRAM-MD5":
        if initial:
            raise SaslError("syntax_error")
        return await read_cram_md5(challenge, ask)
    raise ValueError(f"unsupported mechanism {mechanism}")
