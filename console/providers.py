"""Provider profiles as the console presents them: ordered, described, limits with units."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from simulator.profile import Limits, Profile, Reply, load, load_all

# The order the console lists providers in; any other profile follows by id.
ORDER = (
    "office365",
    "gmail",
    "sparkpost",
    "sendgrid",
    "mailgun",
    "amazon-ses",
    "postmark",
    "custom",
)

SCOPE_TEXT = {
    "mailbox": "one mailbox: a person's own sign-in",
    "domain": "one sending domain",
    "account": "the whole account",
}

SENDER_TEXT = {
    "mailbox": "the signed-in mailbox and the aliases it may send as",
    "domain": "any address on a verified domain (or a verified single address)",
    "any": "whatever the server's administrator allows",
    "rewrite": "the signed-in account and its verified aliases; another sender is replaced "
    "with the account's address, not refused (reported, unverified)",
}

SECRET_TEXT = {
    "password": "the account's password",
    "app-password": "an app password, or an OAuth token with XOAUTH2",
    "api-key": "an API key",
    "smtp-password": "the password of that SMTP user",
    "server-token": "a Server API token, or an SMTP token's secret key",
}

# Limit field -> (singular unit, plural unit).
_UNITS: dict[str, tuple[str, str]] = {
    "messages_per_minute": ("message per minute", "messages per minute"),
    "messages_per_second": ("message per second", "messages per second"),
    "messages_per_day": ("message per 24 hours", "messages per 24 hours"),
    "recipients_per_day": ("recipient per rolling 24 hours", "recipients per rolling 24 hours"),
    "recipients_per_message": ("recipient per message", "recipients per message"),
    "max_message_bytes": ("byte per message at most", "bytes per message at most"),
    "connections_per_user": (
        "simultaneous connection per user",
        "simultaneous connections per user",
    ),
    "failed_logins_per_10_minutes": (
        "failed sign-in per client per 10 minutes, then 'too many login attempts'",
        "failed sign-ins per client per 10 minutes, then 'too many login attempts'",
    ),
}


class UnknownProviderError(LookupError):
    """A provider id with no profile; the message names the known ones."""

    def __str__(self) -> str:
        return str(self.args[0])


def _rank(profile: Profile) -> tuple[int, str]:
    return (ORDER.index(profile.id) if profile.id in ORDER else len(ORDER), profile.id)


def all_profiles(directory: Path | None = None) -> list[Profile]:
    """Every profile, in the console's order; a malformed one raises ProfileError."""
    return sorted(load_all(directory).values(), key=_rank)


def get_profile(provider_id: str, directory: Path | None = None) -> Profile:
    """One profile by id; UnknownProviderError names the known ids."""
    try:
        return load(provider_id.strip().lower(), directory)
    except KeyError as error:
        raise UnknownProviderError(error.args[0]) from None


def is_own(reply: Reply) -> bool:
    """True when the reply text is the provider's own, not the RFC default."""
    return not reply.is_default


def limit_value(limits: Limits, name: str) -> int | None:
    """One limit by its field name."""
    value: int | None = getattr(limits, name)
    return value


def limit_text(limits: Limits, name: str) -> str:
    """One limit in words with its unit, e.g. '30 messages per minute'."""
    value = limit_value(limits, name)
    if value is None:
        return ""
    singular, plural = _UNITS[name]
    text = f"{value:,} {singular if value == 1 else plural}"
    if name == "max_message_bytes":
        text += f" ({value / 1024 / 1024:.1f} MiB)"
    if name == "messages_per_minute":
        outcome = "held back and sent later" if limits.rate_mode == "delay" else "refused"
        text += f"; the excess is {outcome}"
    return text


def limit_texts(limits: Limits) -> list[str]:
    """Every limit that is set, in words with units."""
    return [limit_text(limits, name) for name in _UNITS if limit_value(limits, name) is not None]


def describe_limits(limits: Limits) -> dict[str, Any]:
    """The limits that are set, as JSON-ready values with their units."""
    described: dict[str, Any] = {
        name: {"value": value, "unit": _UNITS[name][1], "text": limit_text(limits, name)}
        for name in _UNITS
        if (value := limit_value(limits, name)) is not None
    }
    if limits.messages_per_minute is not None:
        described["rate_mode"] = limits.rate_mode
    return described


def describe_reply(reply: Reply) -> dict[str, Any]:
    """One reply as JSON-ready data, saying whose text it is."""
    return {
        "key": reply.key,
        "text": reply.text,
        "stage": reply.stage,
        "origin": "provider" if is_own(reply) else "rfc-default",
        "confidence": reply.confidence,
        "source": reply.source,
    }


def describe(profile: Profile) -> dict[str, Any]:
    """Everything the console shows about a provider, as JSON-ready data."""
    return {
        "id": profile.id,
        "name": profile.name,
        "summary": profile.summary,
        "scope": profile.scope,
        "shareable": profile.shareable,
        "endpoints": [
            {
                "host": e.host,
                "port": e.port,
                "security": e.security,
                "recommended": e is profile.endpoint,
            }
            for e in profile.endpoints
        ],
        "auth": {
            "mechanisms": list(profile.mechanisms),
            "username": profile.username_hint,
            "fixed_username": profile.fixed_username,
            "secret_as_username": profile.secret_as_username,
            "secret": profile.secret_kind,
            "tls_required": profile.tls_required,
        },
        "sender_policy": profile.sender_policy,
        "limits": describe_limits(profile.limits),
        "ehlo": {
            "before_tls": list(profile.ehlo_before_tls),
            "after_tls": list(profile.ehlo_after_tls),
        },
        "guide": {
            "pros": list(profile.guide.pros),
            "cons": list(profile.guide.cons),
            "warnings": list(profile.guide.warnings),
        },
        "replies": [describe_reply(reply) for reply in profile.replies.values()],
        "path": str(profile.path),
    }
