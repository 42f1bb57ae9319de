"""The planted secret never leaks from check, burst or explain, with or without --json."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

import pytest

from console.cli import main
from tests.conftest import MemoryKeyring
from tests.test_canary import CANARY, CANARY_VARIABLE, fill, plant

# (argv, stdin, expected exit code): the codes prove the secret was really used.
CASES: list[tuple[tuple[str, ...], str, int]] = [
    (("check", "alice", "--simulate"), "", 0),
    (("check", "envy", "--simulate", "--send", "--to", "bob@example.org"), "", 0),
    (("check", "helper", "--simulate"), "", 0),
    (("check", "alice", "--simulate", "password-changed"), "", 1),
    (("check", "alice", "--simulate", "--password-stdin"), "{canary}\n", 0),
    (("check", "leaky", "--simulate"), "", 2),
    (("burst", "alice", "--simulate", "--count", "3"), "", 0),
    (("burst", "envy", "--simulate", "--count", "3", "--rate", "600"), "", 0),
    (("burst", "alice", "--simulate", "password-changed", "--count", "2"), "", 1),
    (("burst", "alice", "--count", "2"), "", 2),  # live needs --yes
    (("explain", "535 5.7.3 Authentication unsuccessful [AM6PR04CA0018]"), "", 0),
    (("explain", "535 5.7.8 Authentication credentials invalid", "--provider", "sendgrid"), "", 0),
]


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
@pytest.mark.parametrize(
    ("argv", "stdin", "code"), CASES, ids=lambda v: " ".join(v) if isinstance(v, tuple) else None
)
def test_check_burst_explain_never_print_the_canary(
    argv: tuple[str, ...],
    stdin: str,
    code: int,
    as_json: bool,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    channels_dir: Path,
    tmp_path: Path,
    memory_keyring: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CANARY_VARIABLE, CANARY)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.DEBUG)
    plant(channels_dir)
    memory_keyring.set_password(*_alice_entry(channels_dir), CANARY)
    monkeypatch.setattr(sys, "stdin", io.StringIO(fill(stdin, channels_dir)))
    args = [*argv, "--timeout", "3"] if argv[0] == "check" else list(argv)
    result = main([*args, "--json"] if as_json else args)
    out, err = capsys.readouterr()
    assert result == code, err
    assert CANARY not in out + err + caplog.text
    if as_json and code != 2:
        json.loads(out)
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name != "leaky.toml":
            assert CANARY.encode() not in path.read_bytes(), f"{path} holds the secret"


def _alice_entry(channels_dir: Path) -> tuple[str, str]:
    from console import secrets, store

    return secrets.keyring_entry(store.read(channels_dir / "alice.toml").channel)
