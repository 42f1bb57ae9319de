"""Secret sources: keyring (real or missing), environment, command, prompt."""

from __future__ import annotations

import stat
import sys
import time
from dataclasses import replace
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import null
from keyring.errors import KeyringLocked

from console import secrets
from console.channel import Channel, draft
from simulator.profile import load
from tests.conftest import MemoryKeyring

SECRET = "pa55-Word-for-alice"


def alice(source: str = "keyring") -> Channel:
    channel = draft(load("office365"), "alice", username="alice@contoso.com")
    return replace(channel, auth=replace(channel.auth, secret=source))


def script(folder: Path, body: str) -> str:
    """An executable shell script; returns its path."""
    path = folder / "secret-helper"
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_keyring_round_trip(memory_keyring: MemoryKeyring) -> None:
    assert secrets.keyring_available()
    secrets.store_secret(alice(), SECRET)
    assert memory_keyring.passwords == {
        ("smtp-console:smtp.office365.com", "alice@contoso.com"): SECRET
    }
    assert secrets.read_secret(alice()) == SECRET


def test_a_channel_with_no_username_is_keyed_by_its_name(memory_keyring: MemoryKeyring) -> None:
    channel = replace(alice(), auth=replace(alice().auth, username=""))
    secrets.store_secret(channel, SECRET)
    assert ("smtp-console:smtp.office365.com", "channel:alice") in memory_keyring.passwords


def test_nothing_stored_yet_says_how_to_store_it(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(secrets.SecretError, match="smtp-console channels secret alice"):
        secrets.read_secret(alice())


def test_the_failing_default_backend_means_no_keyring() -> None:
    assert not secrets.keyring_available()
    with pytest.raises(secrets.NoKeyringError) as caught:
        secrets.store_secret(alice(), SECRET)
    message = str(caught.value)
    assert "No usable system keyring" in message
    for alternative in ("env:NAME", "command:CMD", "prompt", "Secret Service"):
        assert alternative in message
    assert SECRET not in message
    with pytest.raises(secrets.NoKeyringError):
        secrets.read_secret(alice())


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt's plaintext file backend."""


@pytest.mark.parametrize("backend", [null.Keyring(), PlaintextKeyring()])
def test_null_and_plaintext_backends_are_not_a_keyring(backend: KeyringBackend) -> None:
    keyring.set_keyring(backend)
    assert not secrets.keyring_available()
    with pytest.raises(secrets.NoKeyringError):
        secrets.store_secret(alice(), SECRET)
    if isinstance(backend, PlaintextKeyring):
        assert backend.passwords == {}  # never a silent plaintext fallback


class LockedKeyring(MemoryKeyring):
    """A keyring the user did not unlock."""

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("Failed to unlock the collection")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("Failed to unlock the collection")


def test_a_locked_keyring_is_explained(failing_keyring: KeyringBackend) -> None:
    keyring.set_keyring(LockedKeyring())
    for attempt in (
        lambda: secrets.store_secret(alice(), SECRET),
        lambda: secrets.read_secret(alice()),
    ):
        with pytest.raises(secrets.SecretError, match="KeyringLocked") as caught:
            attempt()
        assert SECRET not in str(caught.value)


def test_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICE_SMTP", SECRET)
    assert secrets.read_secret(alice("env:ALICE_SMTP")) == SECRET
    monkeypatch.delenv("ALICE_SMTP")
    with pytest.raises(secrets.SecretError, match="ALICE_SMTP is not set"):
        secrets.read_secret(alice("env:ALICE_SMTP"))


def test_command_output_first_line(tmp_path: Path) -> None:
    helper = script(tmp_path, f"printf '{SECRET}\\nmetadata: x\\n'")
    assert secrets.read_secret(alice(f"command:{helper}")) == SECRET


def test_command_with_arguments_runs_without_a_shell(tmp_path: Path) -> None:
    source = f'command:{sys.executable} -c "print(\\"{SECRET}\\")"'
    assert secrets.read_secret(alice(source)) == SECRET


def test_command_with_shell_syntax_runs_in_a_shell() -> None:
    assert secrets.read_secret(alice("command:echo abc | tr a-z A-Z")) == "ABC"


def test_failing_command_never_quotes_its_error_output(tmp_path: Path) -> None:
    helper = script(tmp_path, f"echo 'vault: {SECRET[::-1]} {SECRET} is sealed' >&2; exit 3")
    with pytest.raises(secrets.SecretError) as caught:
        secrets.read_secret(alice(f"command:{helper}"))
    message = str(caught.value)
    assert "exit status 3" in message and "run it yourself" in message
    assert SECRET not in message and SECRET[::-1] not in message and "sealed" not in message


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")
def test_a_timed_out_command_ends_its_children(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid_file = tmp_path / "child.pid"
    helper = script(tmp_path, f"sleep 60 & echo $! > {pid_file}; wait")
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 1.0)
    with pytest.raises(secrets.SecretError, match="did not finish"):
        secrets.read_secret(alice(f"command:{helper}"))
    child = int(pid_file.read_text())
    for _ in range(50):
        if not alive(child):
            break
        time.sleep(0.1)
    assert not alive(child), "the helper's child was left running"


def test_command_not_found_empty_or_too_slow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(secrets.SecretError, match="not found"):
        secrets.read_secret(alice("command:/nonexistent/helper --token"))
    with pytest.raises(secrets.SecretError, match="printed nothing"):
        secrets.read_secret(alice("command:true"))
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 0.2)
    with pytest.raises(secrets.SecretError, match="did not finish within 0.2 seconds"):
        secrets.read_secret(alice("command:sleep 5"))


def test_prompt_asks_with_the_channel_named() -> None:
    questions: list[str] = []

    def ask(question: str) -> str:
        questions.append(question)
        return SECRET

    assert secrets.read_secret(alice("prompt"), ask=ask) == SECRET
    assert questions == ["Secret for alice@contoso.com (alice): "]


def test_prompt_without_an_answer() -> None:
    def hang_up(question: str) -> str:
        raise EOFError

    with pytest.raises(secrets.SecretError, match="No secret was given"):
        secrets.read_secret(alice("prompt"), ask=hang_up)


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("env:ALICE_SMTP", "set that variable instead"),
        ("command:pass show smtp", "store it where that command reads it"),
        ("prompt", "nothing to store"),
    ],
)
def test_only_keyring_channels_store_a_secret(
    memory_keyring: MemoryKeyring, source: str, says: str
) -> None:
    with pytest.raises(secrets.SecretError, match=says):
        secrets.store_secret(alice(source), SECRET)
    assert memory_keyring.passwords == {}


def test_an_empty_secret_is_not_stored(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(secrets.SecretError, match="empty"):
        secrets.store_secret(alice(), "")
    assert memory_keyring.passwords == {}


def test_an_invalid_source_is_refused_without_repeating_it() -> None:
    with pytest.raises(secrets.SecretError) as caught:
        secrets.read_secret(alice(SECRET))
    assert SECRET not in str(caught.value)


def test_describe_source_never_reveals_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALICE_SMTP", SECRET)
    assert secrets.describe_source(alice("env:ALICE_SMTP")) == "the environment variable ALICE_SMTP"
    assert "keyring" in secrets.describe_source(alice())
    assert SECRET not in secrets.describe_source(alice(SECRET))
