"""Sign-ins of the shape each provider issues, for tests that go through every profile."""

from __future__ import annotations

SENDER = "user@example.com"
_SHAPED = {
    "sendgrid": ("apikey", "secret"),
    "amazon-ses": ("AKIAIOSFODNN7EXAMPLE", "secret"),  # AWS's documented example key id
    "postmark": ("pm-server-token-1", "pm-server-token-1"),
    "gmail": (SENDER, "abcdefghijklmnop"),
}


def shaped(provider: str) -> tuple[str, str]:
    """A user name and secret the provider would accept (its own shape)."""
    return _SHAPED.get(provider, (SENDER, "secret"))
