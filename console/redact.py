"""Masking secrets in transcripts: plain, base64 in any form, and every AUTH payload."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MASK = "********"
_BASE64_TOKEN = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_AUTH = re.compile(r"^(AUTH\s+\S+)(\s+\S.*)?$", re.IGNORECASE)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def base64_cores(secret: str) -> set[str]:
    """The base64 text the secret produces wherever it sits inside an encoded blob."""
    raw = secret.encode("utf-8")
    cores = set()
    for offset in range(3):
        encoded = _b64(b"\0" * offset + raw)
        # Drop the characters shared with the bytes before the secret, and the last
        # group, which also depends on the bytes after it.
        start = -(-offset * 4 // 3)
        end = ((offset + len(raw)) // 3) * 4
        core = encoded[start:end]
        if len(core) >= 4:
            cores.add(core)
    return cores


@dataclass
class Redactor:
    """Masks the given secrets, and anything encoding them, in any line of text."""

    secrets: Iterable[str] = ()
    _plain: list[str] = field(init=False, default_factory=list)
    _cores: set[str] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        for secret in self.secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        """Start masking one more secret (ignored when empty)."""
        if not secret:
            return
        self._plain.append(secret)
        self._plain.sort(key=len, reverse=True)
        self._cores |= base64_cores(secret)
        self._cores.add(_b64(secret.encode("utf-8")))

    def mask(self, text: str) -> str:
        """The text with every secret, and every base64 token that hides one, masked."""
        for secret in self._plain:
            text = text.replace(secret, MASK)
        return _BASE64_TOKEN.sub(self._mask_token, text)

    def _mask_token(self, match: re.Match[str]) -> str:
        token = match.group(0)
        if any(core in token for core in self._cores) or self._decodes_to_secret(token):
            return MASK
        return token

    def _decodes_to_secret(self, token: str) -> bool:
        try:
            decoded = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        except (binascii.Error, ValueError):
            return False
        text = decoded.decode("utf-8", "replace")
        return any(secret in text for secret in self._plain)


@dataclass
class TranscriptMasker:
    """Masks a dialogue line by line: secrets anywhere, and every AUTH payload a client sends."""

    redactor: Redactor = field(default_factory=Redactor)
    _in_auth: bool = False

    def client(self, line: str) -> str:
        """A line the client sent, masked."""
        auth = _AUTH.match(line.strip())
        if auth:
            self._in_auth = True
            return auth.group(1) + (f" {MASK}" if auth.group(2) else "")
        if self._in_auth:
            return MASK if line.strip() else line
        return self.redactor.mask(line)

    def server(self, line: str) -> str:
        """A line the server sent, masked; any reply but 334 ends an AUTH exchange."""
        if not line.startswith("334"):
            self._in_auth = False
        return self.redactor.mask(line)
