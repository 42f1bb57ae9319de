"""Shared fixtures: every test runs with its own config folders and a keyring that fails."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import keyring
import keyring.core
import pytest
import textual._wait as textual_wait
from keyring.backend import KeyringBackend
from keyring.backends import fail

# Many tests start smtp-console (or a simulator) as a program. Where the shell sets
# PYTHONDONTWRITEBYTECODE, each of those would compile the console, Textual and the rest from
# source again; instead the first writes the bytecode and the others load it, as installed
# commands do. Nothing a test checks depends on it.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
sys.dont_write_bytecode = False

# Every key a Pilot test presses waits twice for the console to go idle, each time sleeping
# at least one step of 20 ms (textual's default) while it watches the CPU clock. Steps of 5 ms
# with the same busy share (5%) see the same idle console four times sooner: the Pilot tests
# spent about a third of their time asleep there.
textual_wait.SLEEP_GRANULARITY = 0.005
textual_wait.SLEEP_IDLE = textual_wait.SLEEP_GRANULARITY / 20

# A console under Pilot makes garbage fast, and with CPython's default thresholds (700, 10, 10)
# a test process ran a full collection every few seconds, each walking pytest, Textual and
# every module loaded: a sixth of a Pilot test's CPU went to the collector. Rarer young
# collections, and the objects that live as long as the session (modules, collected tests)
# frozen out of the full ones, leave it a few percent; garbage cycles are still freed.
gc.set_threshold(20_000, 20, 10)


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto`: one worker more than there are CPUs."""
    # Many tests wait rather than compute (a program under test, a timeout, a pause in tmux);
    # with a worker per CPU a CPU idled through each wait. One more fills it: on 2 shared CPUs
    # the suite took 308 s instead of 423 s.
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) + 1


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what collection built out of every later collection of the garbage collector."""
    gc.collect()
    gc.freeze()


class MemoryKeyring(KeyringBackend):
    """A keyring held in a dict on the instance, for tests only."""

    priority = -1  # never chosen by keyring's own detection

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, or None."""
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password."""
        self.passwords[(service, username)] = password


Backend = TypeVar("Backend", bound=KeyringBackend)


def _use_backend(backend: Backend) -> Iterator[Backend]:
    """Install backend for the duration of a test, then put the previous one back."""
    previous = keyring.core._keyring_backend
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous


@pytest.fixture(autouse=True)
def failing_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[KeyringBackend]:
    """By default no test can reach a real keyring: every keyring call fails."""
    # Subprocesses (the CLI run as a program) get the same failing backend.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    yield from _use_backend(fail.Keyring())


@pytest.fixture
def memory_keyring(failing_keyring: KeyringBackend) -> Iterator[MemoryKeyring]:
    """A working in-memory keyring for this test (in this process only)."""
    yield from _use_backend(MemoryKeyring())


@pytest.fixture(autouse=True)
def isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point the channels folder and every platformdirs folder into tmp_path."""
    home = tmp_path / "home"
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(name, str(home / sub))
    monkeypatch.setenv("SMTP_CONSOLE_CONFIG_DIR", str(home / "config" / "smtp-console"))
    channels = tmp_path / "channels"
    channels.mkdir()
    monkeypatch.setenv("SMTP_CONSOLE_CHANNELS_DIR", str(channels))
    return channels


@pytest.fixture
def channels_dir(isolated_config: Path) -> Path:
    """The (empty, per-test) folder where channels are saved."""
    return isolated_config
