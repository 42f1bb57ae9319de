"""A planted secret never reaches a file, an output or a log, whatever command runs.

To cover a new command, add a Case to COMMANDS: its argv may use {channels_dir} and the
channel names below (alice: keyring, envy: env:, helper: command:, leaky: the secret pasted
into the file by mistake). {canary} in stdin is replaced by the secret.
"""

from __future__ import annotations

import io
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from console import secrets, store
from console.channel import draft
from console.cli import main
from console.commands.channels import channel_problems
from console.export import FORMATS
from simulator.profile import load
from tests.conftest import MemoryKeyring

CANARY = "Canary-7f3a9e-Secret"
CANARY_VARIABLE = "SMTP_CANARY_SECRET"


@dataclass(frozen=True)
class Case:
    """One command line to run with the canary planted."""

    argv: tuple[str, ...]
    stdin: str | None = None


CHANNEL_NAMES = ("alice", "envy", "helper", "leaky")
EXPORT_FORMATS = tuple(FORMATS)

COMMANDS: list[Case] = [
    Case(("channels", "secret", "alice"), stdin="{canary}\n"),
    Case(("channels", "secret", "envy"), stdin="{canary}\n"),
    Case(("channels", "secret", "leaky"), stdin="{canary}\n"),
    Case(("channels", "list")),
    Case(("channels", "list", "--json")),
    Case(("channels", "--channels-dir", "{channels_dir}", "list")),
    *(Case(("channels", "show", name)) for name in CHANNEL_NAMES),
    *(Case(("channels", "show", name, "--json")) for name in CHANNEL_NAMES),
    *(Case(("channels", "validate", name)) for name in CHANNEL_NAMES),
    *(Case(("channels", "validate", name, "--json")) for name in CHANNEL_NAMES),
    Case(("channels", "new", "--provider", "gmail", "--name", "fresh", "--secret", "{canary}")),
    Case(
        ("channels", "new", "--provider", "gmail", "--name", "fresh2")
        + ("--username", "fresh@example.com", "--secret", f"env:{CANARY_VARIABLE}")
    ),
    *(
        Case(
            ("export", name, "--to", fmt, *(("--output", f"{name}.{fmt}") if fmt == "env" else ()))
        )
        for name in CHANNEL_NAMES
        for fmt in EXPORT_FORMATS
    ),
]


def plant(channels_dir: Path) -> None:
    """Channels whose secret is the canary, from every kind of source."""
    office365, sendgrid, custom = load("office365"), load("sendgrid"), load("custom")
    alice = draft(office365, "alice", username="alice@contoso.com")
    store.save(alice, channels_dir / "alice.toml", profile=office365)
    envy = draft(sendgrid, "envy", from_address="news@example.com", secret=f"env:{CANARY_VARIABLE}")
    store.save(envy, channels_dir / "envy.toml", profile=sendgrid)
    helper = draft(
        custom,
        "helper",
        username="app",
        from_address="app@example.com",
        secret=f"command:printenv {CANARY_VARIABLE}",
    )
    store.save(helper, channels_dir / "helper.toml", profile=custom)
    leaky = (channels_dir / "alice.toml").read_text().replace('"keyring"', f'"{CANARY}"')
    (channels_dir / "leaky.toml").write_text(leaky.replace('"alice"', '"leaky"', 1))


def fill(text: str, channels_dir: Path) -> str:
    return text.replace("{canary}", CANARY).replace("{channels_dir}", str(channels_dir))


def test_the_canary_never_leaks(
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
    ran = []
    for case in COMMANDS:
        argv = [fill(arg, channels_dir) for arg in case.argv]
        monkeypatch.setattr(sys, "stdin", io.StringIO(fill(case.stdin or "", channels_dir)))
        code = main(argv)
        out, err = capsys.readouterr()
        assert CANARY not in out + err, f"{argv} printed the secret"
        ran.append((argv[:3], code))
    assert CANARY not in caplog.text

    # Not vacuous: the secret really was stored and every source really yields it.
    assert CANARY in memory_keyring.passwords.values()
    for name in ("alice", "envy", "helper"):
        assert secrets.read_secret(store.read(channels_dir / f"{name}.toml").channel) == CANARY
    assert (["channels", "secret", "alice"], 0) in ran

    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.name != "leaky.toml"]
    assert len(written) >= 4
    for path in written:
        assert CANARY.encode() not in path.read_bytes(), f"{path} holds the secret"


def test_a_pasted_secret_is_flagged_but_never_shown(channels_dir: Path) -> None:
    plant(channels_dir)
    leaky = store.read(channels_dir / "leaky.toml")
    profile, problems = channel_problems(leaky)
    assert profile is not None and profile.id == "office365"
    assert [p.field for p in problems] == ["auth.secret"]
    assert CANARY not in str(problems)


def test_secret_print_gives_the_secret_only_to_a_program(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CANARY_VARIABLE, CANARY)
    plant(channels_dir)
    assert main(["channels", "secret", "--print", "envy"]) == 0  # stdout is captured: a pipe
    out, err = capsys.readouterr()
    assert out == CANARY + "\n"
    assert CANARY not in err


def test_secret_print_on_a_terminal_needs_a_yes(
    capsys: pytest.CaptureFixture[str], channels_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CANARY_VARIABLE, CANARY)
    plant(channels_dir)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    answers = iter(["", "y"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    assert main(["channels", "secret", "--print", "envy"]) == 2
    first = capsys.readouterr()
    assert CANARY not in first.out + first.err
    assert main(["channels", "secret", "--print", "envy"]) == 0
    assert capsys.readouterr().out == CANARY + "\n"
