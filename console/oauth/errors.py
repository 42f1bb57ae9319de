"""The sign-in's error, light to import: check and burst catch it without loading authlib."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.channel import Channel
from console.secrets import SecretError

if TYPE_CHECKING:
    from console.diagnosis import Diagnosis


class OAuthFailure(Exception):
    """The identity provider refused, or could not be reached; the text is safe to print."""

    def __init__(self, error: str, description: str = "") -> None:
        self.error, self.description = error, description
        super().__init__(f"{error}: {description}" if description else error)


class SignInError(SecretError):
    """The sign-in failed: what the provider said, and the plain-language diagnosis."""

    def __init__(self, message: str, diagnosis: Diagnosis | None = None) -> None:
        self.diagnosis = diagnosis
        super().__init__(message)


def refused_token_hint(channel: Channel) -> str:
    """What to do when the server refused a token from the channel's own sign-in."""
    name = channel.name
    return (
        f"The token came from this channel's OAuth sign-in (smtp-console oauth status {name}). "
        f"Get a new one with `smtp-console oauth token {name} --refresh`, or sign in again with "
        f"`smtp-console oauth login {name}`. If a fresh token is refused too, the mailbox may "
        "lack SMTP AUTH or the app the SMTP.Send / https://mail.google.com/ permission."
    )
