"""A canary refresh token and access token reach no file, log, transcript, JSON or argv."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from console import store
from console.cli import main
from console.oauth.tokens import TokenSet, store_for
from simulator.profile import load
from simulator.server import Simulator
from simulator.state import Account
from tests.oauth_channels import FILE_STORE, OFFICE365, write

CANARY_REFRESH = "0.Canary-refresh-4be1"
CANARY_ACCESS = "eyJCanary-access-90d2"
PASSPHRASE = {"TOKENS_PASSPHRASE": "canary passphrase"}


@pytest.fixture
async def service() -> AsyncIterator[tuple[Simulator, str]]:
    user = "alice@contoso.com"
    async with Simulator(load("office365"), accounts=[Account(user, send_as=[user])]) as sim:
        yield sim, sim.signin_url


def _channel(channels_dir: Path, sim: Simulator) -> Path:
    path = write(channels_dir, OFFICE365, "o365", extra=FILE_STORE)
    text = path.read_text().replace('"smtp.office365.com"', '"127.0.0.1"')
    path.write_text(text.replace("port = 587", f"port = {sim.port}"))
    return path


async def test_planted_tokens_never_leak(
    service: tuple[Simulator, str],
    channels_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, url = service
    for name, value in PASSPHRASE.items():
        monkeypatch.setenv(name, value)
    caplog.set_level(logging.DEBUG)
    path = _channel(channels_dir, sim)
    channel = store.read(path).channel
    planted = TokenSet(
        CANARY_ACCESS,
        time.time() + 3000,
        CANARY_REFRESH,
        time.time(),
        time.time(),
        "SMTP.Send",
        "alice@contoso.com",
        "device_code",
        f"{url}/contoso.onmicrosoft.com/oauth2/v2.0/token",
    )
    store_for(channel).save(planted)
    runs = [
        ["oauth", "status", "o365"],
        ["oauth", "status", "o365", "--json"],
        ["check", "o365", "--insecure"],
        ["check", "o365", "--insecure", "--json"],
        ["burst", "o365", "--count", "1", "--yes", "--insecure", "--json"],
        ["channels", "show", "o365", "--json"],
        ["oauth", "token", "o365", "--refresh"],  # the canary refresh token is refused
        ["oauth", "logout", "o365"],
    ]
    codes, said = [], []
    for argv in runs:
        code = await asyncio.to_thread(main, argv)
        out, err = capsys.readouterr()
        assert CANARY_ACCESS not in out + err and CANARY_REFRESH not in out + err, argv
        codes.append(code)
        said.append(out + err)
    assert codes[2] == 1 and codes[6] == 1  # not vacuous: the planted token was sent and refused
    assert "535 5.7.3" in said[2] and "oauth token o365 --refresh" in said[2]
    assert "AADSTS9002313" in said[6] and "oauth login o365" in said[6]
    assert CANARY_ACCESS not in caplog.text and CANARY_REFRESH not in caplog.text
    assert not any("Canary" in line for line in _all_files(tmp_path))


async def test_issued_tokens_never_in_argv_files_or_output(
    service: tuple[Simulator, str],
    channels_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, url = service
    _channel(channels_dir, sim)
    seen: set[str] = set()
    outputs = []
    for argv in (
        ["oauth", "login", "o365", "--signin-url", url],
        ["oauth", "status", "o365", "--json"],
        ["check", "o365", "--insecure", "--json"],
    ):
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "console",
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **PASSPHRASE},
        )
        talk = asyncio.ensure_future(process.communicate())
        while not talk.done():
            seen |= _command_lines()
            await asyncio.sleep(0.02)
        out, err = talk.result()
        outputs.append(out.decode() + err.decode())
        assert process.returncode == 0, outputs[-1]
    monkeypatch.setenv("TOKENS_PASSPHRASE", PASSPHRASE["TOKENS_PASSPHRASE"])
    kept = store_for(store.read(channels_dir / "o365.toml").channel).load()
    assert kept is not None  # tokens were issued, kept and used
    issued = [kept.access_token, kept.refresh_token]
    for token in issued:
        assert not any(token in line for line in seen), "a token was in a process argv"
        assert not any(token in text for text in outputs)
        assert not any(token in line for line in _all_files(tmp_path))


def _command_lines() -> set[str]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found.add((entry / "cmdline").read_bytes().decode(errors="replace"))
            except OSError:
                continue
    return found


def _all_files(root: Path) -> list[str]:
    texts = []
    for path in root.rglob("*"):
        if path.is_file():
            texts.append(path.read_bytes().decode(errors="replace"))
    return texts
