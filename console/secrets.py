"""Where a channel's password or token comes from: keyring, environment, a command, or a prompt."""

from __future__ import annotations

import contextlib
import getpass
import os
import shlex
import signal
import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING

from console.channel import Channel, secret_source_problem

# keyring is imported where it is used: reading an env: or command: secret never pays for it.
if TYPE_CHECKING:
    from keyring.backend import KeyringBackend
    from keyring.errors import KeyringError

SERVICE = "smtp-console"
COMMAND_TIMEOUT = 30.0
_SHELL_SYNTAX = set("|&;<>()$`*?[]{}~\n")

ALTERNATIVES = """\
No secret is written to a plain file instead. Set auth.secret in the channel to one of:
  env:NAME       read it from the environment variable NAME
  command:CMD    run CMD, which prints it (a password manager, an OAuth token helper)
  prompt         ask for it each time
or run a Secret Service (for example gnome-keyring or KWallet) and try again."""


class SecretError(Exception):
    """The secret could not be read or stored; the message is safe to print."""


class NoKeyringError(SecretError):
    """No usable system keyring on this machine."""

    def __init__(self, detail: str) -> None:
        backend = backend_name()
        lines = [
            f"No usable system keyring on this machine (keyring backend: {backend}).",
            detail,
            ALTERNATIVES,
        ]
        super().__init__("\n".join(lines))


def backend_name() -> str:
    """The active keyring backend's class, for messages."""
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception:  # keyring's own start-up can fail in many ways
        return "none could be loaded"
    kind = type(backend)
    return f"{kind.__module__}.{kind.__qualname__}"


def keyring_available() -> bool:
    """True when the keyring can really keep a secret (not the fail, null or plaintext kind)."""
    try:
        import keyring

        return _usable(keyring.get_keyring())
    except Exception:
        return False


def _usable(backend: KeyringBackend) -> bool:
    from keyring.backends import chainer, fail, null

    if isinstance(backend, chainer.ChainerBackend):
        return any(_usable(inner) for inner in backend.backends)
    if isinstance(backend, fail.Keyring | null.Keyring):
        return False
    return "plaintext" not in type(backend).__name__.lower()


def keyring_entry(channel: Channel) -> tuple[str, str]:
    """The (service, user) under which the channel's secret sits in the keyring."""
    user = channel.auth.username or f"channel:{channel.name}"
    return f"{SERVICE}:{channel.server.host}", user


def describe_source(channel: Channel) -> str:
    """Where the secret comes from, in words (never the secret)."""
    source = channel.auth.secret
    if source == "keyring":
        service, user = keyring_entry(channel)
        return f"the system keyring (service {service!r}, user {user!r})"
    if source == "prompt":
        return "asked for each time"
    kind, _, rest = source.partition(":")
    if kind == "env":
        return f"the environment variable {rest}"
    if kind == "command":
        return f"the output of the command {rest.strip()!r}"
    return "nowhere usable: auth.secret is not a valid source"


def read_secret(channel: Channel, ask: Callable[[str], str] | None = None) -> str:
    """The channel's secret from its source; SecretError (safe to print) when it cannot be had."""
    source = channel.auth.secret
    problem = secret_source_problem(source)
    if problem:
        raise SecretError(f"auth.secret {problem}")
    kind, _, rest = source.partition(":")
    if kind == "keyring":
        return _from_keyring(channel)
    if kind == "env":
        return _from_environment(rest)
    if kind == "command":
        return _from_command(rest)
    if kind == "oauth":
        from console.oauth.access import token_now  # the OAuth sign-in imports this module

        return token_now(channel)
    return _from_prompt(channel, ask or getpass.getpass)


def read_reference(source: str, service: str, user: str) -> str:
    """A secret given by reference (keyring, env:NAME, command:CMD) outside a channel's auth."""
    kind, _, rest = source.partition(":")
    if kind == "env":
        return _from_environment(rest)
    if kind == "command":
        return _from_command(rest)
    if source != "keyring":
        raise SecretError("a secret reference must be keyring, env:NAME or command:CMD")
    import keyring
    from keyring.errors import KeyringError

    if not keyring_available():
        raise NoKeyringError("The secret cannot be read from it.")
    try:
        value = keyring.get_password(service, user)
    except KeyringError as error:
        raise _keyring_failure(error, "read") from None
    if not value:
        raise SecretError(f"No secret stored in the keyring (service {service!r}, user {user!r}).")
    return value


def store_secret(channel: Channel, value: str) -> None:
    """Put the secret in the system keyring; only for channels whose source is the keyring."""
    ensure_keyring_source(channel)
    if not value:
        raise SecretError("The secret is empty; nothing was stored.")
    if not keyring_available():
        raise NoKeyringError("The secret was not stored.")
    import keyring
    from keyring.errors import KeyringError

    service, user = keyring_entry(channel)
    try:
        keyring.set_password(service, user, value)
    except KeyringError as error:
        raise _keyring_failure(error, "stored") from None


def ensure_keyring_source(channel: Channel) -> None:
    """SecretError explaining what to do when the channel's secret does not live in the keyring."""
    source = channel.auth.secret
    kind, _, rest = source.partition(":")
    if kind == "env":
        raise SecretError(
            f"This channel reads its secret from the environment variable {rest}: "
            "set that variable instead; nothing was stored."
        )
    if kind == "command":
        raise SecretError(
            "This channel gets its secret from a command: store it where that command "
            "reads it (for example your password manager); nothing was stored."
        )
    if kind == "prompt":
        raise SecretError("This channel asks for its secret each time; nothing to store.")
    if source != "keyring":
        raise SecretError(f"auth.secret {secret_source_problem(source)}")


def _from_keyring(channel: Channel) -> str:
    if not keyring_available():
        raise NoKeyringError("The channel's secret cannot be read from it.")
    import keyring
    from keyring.errors import KeyringError

    service, user = keyring_entry(channel)
    try:
        value = keyring.get_password(service, user)
    except KeyringError as error:
        raise _keyring_failure(error, "read") from None
    if not value:
        raise SecretError(
            f"No secret stored in the keyring for channel {channel.name!r} "
            f"(service {service!r}, user {user!r}). "
            f"Store one with: smtp-console channels secret {channel.name}"
        )
    return value


def _keyring_failure(error: KeyringError, verb: str) -> SecretError:
    from keyring.errors import NoKeyringError as KeyringMissingError

    if isinstance(error, KeyringMissingError):
        return NoKeyringError(f"The secret could not be {verb}.")
    return SecretError(
        f"The system keyring refused ({type(error).__name__}); the secret could not be {verb}. "
        "Unlock the keyring, or use env:NAME, command:CMD or prompt as auth.secret."
    )


def _from_environment(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise SecretError(
            f"The environment variable {name} is {'empty' if value == '' else 'not set'}; "
            "the channel reads its secret from there."
        )
    return value


def _from_command(command: str) -> str:
    args = (
        ["/bin/sh", "-c", command]
        if os.name == "posix" and _SHELL_SYNTAX & set(command)
        else shlex.split(command)
    )
    shown = args[0] if args else command
    try:
        # Its own session, so that a timeout ends the helper's children too; its error
        # output is not read, since a failing helper may print the secret there.
        helper = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=os.name == "posix",
        )
    except FileNotFoundError:
        raise SecretError(f"The secret command {shown!r} was not found.") from None
    except OSError as error:
        raise SecretError(f"The secret command {shown!r} could not run: {error.strerror}") from None
    try:
        output, _ = helper.communicate(timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        _end_group(helper)
        raise SecretError(
            f"The secret command {shown!r} did not finish within {COMMAND_TIMEOUT:g} seconds."
        ) from None
    lines = output.splitlines()
    secret = lines[0] if lines else ""
    if helper.returncode != 0:
        raise SecretError(
            f"The secret command {shown!r} failed with exit status {helper.returncode} "
            "(its error output is not shown, as it may hold the secret: run it yourself to see)."
        )
    if not secret:
        raise SecretError(f"The secret command {shown!r} printed nothing.")
    return secret


def _end_group(helper: subprocess.Popen[str]) -> None:
    """Kill a helper that ran too long, and every process it started."""
    if os.name == "posix":
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(helper.pid, signal.SIGKILL)
    helper.kill()
    helper.communicate()


def _from_prompt(channel: Channel, ask: Callable[[str], str]) -> str:
    who = channel.auth.username or channel.name
    try:
        value = ask(f"Secret for {who} ({channel.name}): ")
    except (EOFError, KeyboardInterrupt):
        raise SecretError("No secret was given.") from None
    if not value:
        raise SecretError("No secret was given.")
    return value
