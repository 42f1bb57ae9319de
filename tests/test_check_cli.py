"""smtp-console check from the command line: exit codes, JSON, messages naming the field."""

from __future__ import annotations

import asyncio
import io
import json
import sys
from pathlib import Path

import pytest

from console import store
from console.channel import draft
from console.cli import main
from simulator.profile import load
from simulator.server import Simulator
from simulator.state import Account

SECRET = "Cli-secret-42"


@pytest.fixture
def channel_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CHECK_SECRET", SECRET)
    profile = load("office365")
    channel = draft(profile, "o365", username="alice@contoso.com", secret="env:CHECK_SECRET")
    path = tmp_path / "o365.toml"
    store.save(channel, path, profile=profile)
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_simulated_check_passes(channel_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(channel_file), "--simulate"], capsys)
    assert code == 0
    assert "passed in" in out and "C: AUTH LOGIN" in out and SECRET not in out


def test_simulated_check_json_with_send(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["check", str(channel_file), "--simulate", "--send", "--to", "bob@example.org"]
    code, out, _ = run([*argv, "--json"], capsys)
    data = json.loads(out)
    assert code == 0 and data["passed"] and data["exit_code"] == 0
    assert [s["name"] for s in data["stages"]][-2:] == ["data", "quit"]
    assert all(isinstance(s["seconds"], float) for s in data["stages"])
    assert data["certificate"]["verified"] == "yes"


def test_scenario_that_changed_the_password_fails_with_diagnosis(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["check", str(channel_file), "--simulate", "password-changed", "--json"], capsys
    )
    data = json.loads(out)
    assert code == 1
    assert data["failed_stage"] == "auth"
    assert data["diagnosis"]["id"] == "office365-auth-unsuccessful"
    assert data["diagnosis"]["fix"]


def test_password_from_stdin(
    channel_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHECK_SECRET")
    monkeypatch.setattr(sys, "stdin", io.StringIO("from-stdin\n"))
    code, out, _ = run(["check", str(channel_file), "--simulate", "--password-stdin"], capsys)
    assert code == 0 and "from-stdin" not in out


def test_bad_channel_names_file_line_and_field(
    channel_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel_file.write_text(channel_file.read_text().replace("port = 587", "port = 70000"))
    code, out, err = run(["check", str(channel_file), "--simulate"], capsys)
    assert code == 2 and not out
    assert f"{channel_file}:" in err and "server.port" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--send"], "--send needs --to"),
        (["--to", "not-an-address"], "--to"),
        (["--timeout", "0"], "--timeout"),
        (["--simulate", "no-such-lesson"], "no such file"),
    ],
)
def test_usage_errors_exit_2(
    channel_file: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    code, _, err = run(["check", str(channel_file), *extra], capsys)
    assert code == 2 and message in err


def test_missing_channel_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", str(tmp_path / "nope.toml")], capsys)
    assert code == 2 and "nope.toml" in err


def test_live_secret_unavailable_exits_2(
    channel_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CHECK_SECRET")
    code, _, err = run(["check", str(channel_file)], capsys)
    assert code == 2 and "CHECK_SECRET" in err


async def test_live_check_verifies_the_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHECK_SECRET", SECRET)
    profile = load("office365")
    account = Account("alice@contoso.com", password=SECRET)
    async with Simulator(profile, accounts=[account]) as sim:
        channel = draft(
            profile,
            "live",
            username="alice@contoso.com",
            host="127.0.0.1",
            port=sim.port,
            security="starttls",
            secret="env:CHECK_SECRET",
        )
        path = tmp_path / "live.toml"
        store.save(channel, path, profile=profile)
        argv = ["check", str(path), "--json", "--timeout", "3"]
        # The CLI runs its own event loop; the simulator keeps serving on this one.
        refused = await asyncio.to_thread(main, argv)
        refused_out = capsys.readouterr().out
        insecure = await asyncio.to_thread(main, [*argv, "--insecure"])
        insecure_out = capsys.readouterr().out
    assert refused == 1
    assert json.loads(refused_out)["diagnosis"]["id"] == "certificate-untrusted"
    assert insecure == 0 and json.loads(insecure_out)["passed"]
