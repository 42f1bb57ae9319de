"""The tokens one sign-in earned, and where they are kept: the keyring or an encrypted file."""

from __future__ import annotations

import base64
import getpass
import json
import os
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from console import paths
from console.channel import Channel
from console.oauth.settings import OAuthSettings
from console.secrets import SecretError, backend_name, keyring_available

KEYRING_SERVICE = "smtp-console:oauth"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
ALTERNATIVES = """\
No token is written to a plain file instead. Either run a Secret Service (for example
gnome-keyring or KWallet) and sign in again, or keep the tokens in a file encrypted with a
passphrase by adding to the channel's [oauth] table:
  token_store = "file"
  passphrase = "prompt"          # or "env:NAME": read from that environment variable"""


@dataclass(frozen=True)
class TokenSet:
    """What the identity provider granted; times are seconds since the epoch."""

    access_token: str = ""
    expires_at: float = 0.0
    refresh_token: str = ""
    refresh_issued_at: float = 0.0
    signed_in_at: float = 0.0
    scope: str = ""
    account: str = ""
    flow: str = ""
    token_url: str = ""  # the issuer's token endpoint: a refresh token is only good there

    def __repr__(self) -> str:
        return f"TokenSet(account={self.account!r}, expires_at={self.expires_at})"

    def with_grant(self, grant: dict[str, Any], now: float) -> TokenSet:
        """These tokens after a token answer: a rotated refresh token replaces the old one."""
        refresh = str(grant.get("refresh_token") or "")
        return replace(
            self,
            access_token=str(grant["access_token"]),
            expires_at=now + float(grant.get("expires_in") or 3600),
            refresh_token=refresh or self.refresh_token,
            refresh_issued_at=now if refresh else self.refresh_issued_at,
            scope=str(grant.get("scope") or self.scope),
        )

    def to_json(self) -> str:
        """The tokens as JSON, only for the secret store."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> TokenSet:
        """Tokens read back from the secret store."""
        data = json.loads(text)
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


class TokenStore(Protocol):
    """Where a channel's tokens live."""

    where: str

    def load(self) -> TokenSet | None:
        """The stored tokens, or None when there are none."""
        ...

    def save(self, tokens: TokenSet) -> None:
        """Keep the tokens, replacing what was there."""
        ...

    def forget(self) -> bool:
        """Delete the tokens; True when there were some."""
        ...


class MemoryStore:
    """Tokens held only in memory: a rehearsal's sign-in never touches the real store."""

    where = "memory (this rehearsal only)"

    def __init__(self) -> None:
        self.tokens: TokenSet | None = None

    def load(self) -> TokenSet | None:
        """The tokens of this run."""
        return self.tokens

    def save(self, tokens: TokenSet) -> None:
        """Keep them for this run."""
        self.tokens = tokens

    def forget(self) -> bool:
        """Drop them."""
        had, self.tokens = self.tokens is not None, None
        return had


class KeyringStore:
    """Tokens in the system keyring, one entry per channel."""

    def __init__(self, channel: Channel) -> None:
        self.user = f"{channel.name}:{channel.auth.username}"
        self.where = f"the system keyring (service {KEYRING_SERVICE!r}, user {self.user!r})"

    def _ready(self) -> None:
        if not keyring_available():
            raise TokenStoreError(
                f"No usable system keyring on this machine (keyring backend: {backend_name()}); "
                f"the tokens cannot be kept there.\n{ALTERNATIVES}"
            )

    def load(self) -> TokenSet | None:
        """The tokens from the keyring."""
        self._ready()
        import keyring
        from keyring.errors import KeyringError

        try:
            text = keyring.get_password(KEYRING_SERVICE, self.user)
        except KeyringError as error:
            raise TokenStoreError(f"The keyring refused ({type(error).__name__}).") from None
        return TokenSet.from_json(text) if text else None

    def save(self, tokens: TokenSet) -> None:
        """Put the tokens in the keyring."""
        self._ready()
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYRING_SERVICE, self.user, tokens.to_json())
        except KeyringError as error:
            raise TokenStoreError(
                f"The keyring refused ({type(error).__name__}); the tokens were not kept."
            ) from None

    def forget(self) -> bool:
        """Delete the keyring entry."""
        self._ready()
        import keyring
        from keyring.errors import KeyringError

        had = bool(keyring.get_password(KEYRING_SERVICE, self.user))
        try:
            keyring.delete_password(KEYRING_SERVICE, self.user)
        except (KeyringError, NotImplementedError):  # a backend that cannot delete: blank it
            if had:
                keyring.set_password(KEYRING_SERVICE, self.user, "")
        return had


class FileStore:
    """Tokens in a file encrypted with Fernet under a key derived from a passphrase by scrypt."""

    def __init__(self, channel: Channel, settings: OAuthSettings) -> None:
        self.path = token_file(channel)
        self.passphrase_source = settings.passphrase or "prompt"
        self.where = f"the encrypted file {self.path}"
        self._passphrase: str | None = None

    def passphrase(self) -> str:
        """The passphrase from its source (asked once per run)."""
        if self._passphrase is None:
            self._passphrase = read_passphrase(self.passphrase_source, self.path)
        return self._passphrase

    def load(self) -> TokenSet | None:
        """Decrypt the file; None when there is none."""
        try:
            sealed = json.loads(self.path.read_text())
            salt = base64.b64decode(sealed["salt"])
            data = _fernet(self.passphrase(), salt).decrypt(sealed["tokens"].encode())
        except FileNotFoundError:
            return None
        except InvalidToken:
            raise TokenStoreError(
                f"{self.path}: the passphrase does not open this file (or it was altered)"
            ) from None
        except (ValueError, KeyError, TypeError):
            raise TokenStoreError(f"{self.path}: is not a token file this console wrote") from None
        return TokenSet.from_json(data.decode())

    def save(self, tokens: TokenSet) -> None:
        """Encrypt and write atomically, readable by the owner only."""
        salt = os.urandom(16)
        sealed = _fernet(self.passphrase(), salt).encrypt(tokens.to_json().encode())
        body = json.dumps(
            {
                "format": "smtp-console encrypted tokens 1",
                "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                "salt": base64.b64encode(salt).decode(),
                "tokens": sealed.decode(),
            }
        )
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        try:
            with os.fdopen(handle, "w") as out:
                out.write(body)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def forget(self) -> bool:
        """Delete the file."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True


class TokenStoreError(SecretError):
    """The tokens could not be read or kept; the message is safe to print."""


def token_file(channel: Channel) -> Path:
    """Where a channel's encrypted token file lives."""
    return paths.config_dir() / "tokens" / f"{channel.name}.tokens"


def store_for(channel: Channel) -> TokenStore:
    """The store the channel's [oauth] table names."""
    settings = channel.oauth or OAuthSettings()
    if settings.token_store == "file":
        return FileStore(channel, settings)
    return KeyringStore(channel)


def read_passphrase(source: str, path: Path) -> str:
    """The passphrase from the environment variable named, or asked on the terminal."""
    if source.startswith("env:"):
        name = source[4:]
        value = os.environ.get(name, "")
        if not value:
            raise TokenStoreError(
                f"The environment variable {name} holds no passphrase for {path}."
            )
        return value
    try:
        value = getpass.getpass(f"Passphrase for {path}: ")
    except (EOFError, KeyboardInterrupt):
        value = ""
    if not value:
        raise TokenStoreError(f"No passphrase was given for {path}.")
    return value


def _fernet(passphrase: str, salt: bytes) -> Fernet:
    kdf = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return Fernet(base64.urlsafe_b64encode(kdf.derive(passphrase.encode())))
