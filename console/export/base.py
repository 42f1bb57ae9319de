"""What every export format reads: the channel, how to fetch its secret again, and who wrote it."""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from console import paths
from console.channel import Channel, secret_is_username

OAUTH_METHODS = frozenset({"xoauth2", "oauthbearer"})
SECRET_VARIABLE = "SMTP_PASSWORD"


def tool_version() -> str:
    """The installed smtp-console version, for the 'written by' line."""
    try:
        return version("smtp-console")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True)
class Context:
    """One channel to export; `reference` is how smtp-console finds it again (name or path)."""

    channel: Channel
    reference: str
    version: str

    @property
    def oauth(self) -> bool:
        """True when the channel signs in with an OAuth access token."""
        return str(self.channel.auth.method) in OAUTH_METHODS

    @property
    def signs_in(self) -> bool:
        """True when the channel sends a user name and a secret."""
        return str(self.channel.auth.method) != "none"

    @property
    def token_user(self) -> bool:
        """True when the secret is the user name too (Postmark): then neither is written."""
        return secret_is_username(self.channel)

    @property
    def implicit_tls(self) -> bool:
        """True when TLS starts with the first byte (port 465 style)."""
        return self.channel.server.security == "tls"

    @property
    def starttls(self) -> bool:
        """True when the connection starts in plain text and upgrades with STARTTLS."""
        return self.channel.server.security == "starttls"

    @property
    def secret_argv(self) -> list[str]:
        """The smtp-console command that prints the channel's secret or a fresh token."""
        if self.oauth and self.channel.auth.secret == "oauth":
            return ["smtp-console", "oauth", "token", self.reference]
        return ["smtp-console", "channels", "secret", "--print", self.reference]

    @property
    def secret_command(self) -> str:
        """secret_argv as one shell command line."""
        return shlex.join(self.secret_argv)

    def fill(self, variable: str = SECRET_VARIABLE) -> str:
        """The shell line that puts the secret in an environment variable for the sender."""
        return f'export {variable}="$({self.secret_command})"'

    def header(self, marker: str, where: str) -> list[str]:
        """The opening comment lines: where the output goes and who wrote it."""
        return [
            f"{marker} Goes in: {where}",
            f"{marker} Written by smtp-console {self.version} from channel {self.channel.name!r}; "
            "the secret is not in it.",
        ]


def quoted(text: str) -> str:
    """A double-quoted string literal valid in Python, JavaScript and .env files."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def reference_for(path: Path | None, name: str, *, chosen_dir: bool = False) -> str:
    """How smtp-console finds the channel later: its name in the default folder, else its path."""
    if path is None:
        return name
    default = not (
        chosen_dir
        or os.environ.get(paths.CHANNELS_DIR_VARIABLE)
        or os.environ.get(paths.CONFIG_DIR_VARIABLE)
    )
    if default and path.parent == paths.channels_dir() and path.suffix == ".toml":
        return path.stem
    return str(path.resolve())
