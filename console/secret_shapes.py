"""Well-known secret shapes, so that a key typed into an ordinary field never reaches a file."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

from console.channel import Channel

_SHAPES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a SendGrid API key", re.compile(r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    ("a Google OAuth access token", re.compile(r"ya29\.[A-Za-z0-9_.-]{20,}")),
    ("a JSON Web Token", re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")),
    ("a Google refresh token", re.compile(r"1//0[A-Za-z0-9_-]{30,}")),
    (
        "an AWS secret access key",
        re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
    ),
    ("a private key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY")),
)
# Postmark's Server API token is a UUID and doubles as the user name: in a file it is a secret.
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]{28,}")
_HOST_LIKE = re.compile(r"^[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})+\.?$")

# The fields a channel file holds, as the form and the command line name them.
FIELDS = (
    "name",
    "server.host",
    "auth.username",
    "auth.secret",
    "sender.from",
    "sender.display_name",
)


@dataclass(frozen=True)
class SecretShape:
    """A value in a non-secret field that looks like a secret."""

    field: str
    kind: str
    value: str  # the secret-shaped part only, for moving it to the secret store

    @property
    def reason(self) -> str:
        """Why the field is refused, without repeating the value."""
        return (
            f"looks like {self.kind}; a secret never goes into the channel file "
            "(keep it in the secret store instead)"
        )


def find(text: str, *, uuid_is_secret: bool = False) -> tuple[str, str] | None:
    """The kind and the secret-shaped part of text, or None when it looks harmless."""
    for kind, pattern in _SHAPES:
        match = pattern.search(text)
        if match and (kind != "an AWS secret access key" or _mixed(match.group())):
            return kind, match.group()
    if uuid_is_secret and (match := _UUID.search(text)):
        return "a Postmark server token (it is the password too)", match.group()
    for word in _TOKEN.findall(text):
        if _high_entropy(word):
            return "a long random key or token", word
    return None


def field_values(channel: Channel) -> Iterator[tuple[str, str]]:
    """Each non-secret text field of a channel, by its dotted name."""
    yield "name", channel.name
    yield "server.host", channel.server.host
    yield "auth.username", channel.auth.username
    yield "auth.secret", channel.auth.secret.partition(":")[2]
    yield "sender.from", channel.sender.address
    yield "sender.display_name", channel.sender.display_name


def scan(channel: Channel, *, token_as_username: bool = False) -> list[SecretShape]:
    """Every field of the channel that holds a secret-shaped value."""
    found = []
    for field, value in field_values(channel):
        hit = find(value, uuid_is_secret=token_as_username and field == "auth.username")
        if hit:
            found.append(SecretShape(field, *hit))
    return found


def _mixed(word: str) -> bool:
    lower = any(c.islower() for c in word)
    upper = any(c.isupper() for c in word)
    return lower and upper and any(c.isdigit() for c in word)


def _entropy(word: str) -> float:
    counts = Counter(word).values()
    return -sum(n / len(word) * math.log2(n / len(word)) for n in counts)


def _high_entropy(word: str) -> bool:
    """Long and random-looking, without the look of a host name or an address."""
    if _HOST_LIKE.match(word) and max(len(label) for label in word.split(".")) < 24:
        return False
    letters_and_digits = any(c.isalpha() for c in word) and any(c.isdigit() for c in word)
    if _class_changes(word) < len(word) * 2 // 5:
        return False  # words and numbers run in long stretches; random keys switch often
    entropy = _entropy(word)
    return (_mixed(word) and entropy >= 4.0) or (letters_and_digits and entropy >= 4.3)


def _class_changes(word: str) -> int:
    kinds = ["l" if c.islower() else "u" if c.isupper() else "d" for c in word if c.isalnum()]
    return sum(a != b for a, b in zip(kinds, kinds[1:], strict=False))
