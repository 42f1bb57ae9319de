"""The editor's OAuth line: signed in or not, read from the token store without HTTP libraries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.channel import Channel

if TYPE_CHECKING:
    from console.oauth.tokens import TokenStore


def token_status(channel: Channel, store: TokenStore | None = None) -> str:
    """One line on the channel's tokens, for the editor; never a token."""
    if not channel.signs_in_with_oauth:
        return ""
    from console.oauth import access
    from console.secrets import SecretError

    settings = channel.oauth
    file = store is None and settings is not None and settings.token_store == "file"
    if file and settings is not None and not settings.passphrase.startswith("env:"):
        # The passphrase would be asked on the terminal, which the console occupies.
        return "OAuth: tokens in an encrypted file; ctrl+g signs in or shows them"
    try:
        data = access.status(access.sign_in_for(channel, store=store))
    except (SecretError, ValueError, KeyError, OSError) as error:
        return f"OAuth: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    if not data["signed_in"]:
        return "OAuth: not signed in (ctrl+g signs in)"
    account = data["account"] or "an unnamed account"
    minutes = data["access_token_seconds_left"] // 60
    if data["access_token_seconds_left"] <= 0:
        renew = "renewed when next used" if data["refresh_token"] else "ctrl+g signs in again"
        return f"OAuth: signed in as {account}; access token expired ({renew})"
    return f"OAuth: signed in as {account}; access token expires in {minutes} min"
