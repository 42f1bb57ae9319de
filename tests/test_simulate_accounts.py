"""simulate: accounts from a file or standard input, and --ca-out leaving other files alone."""

from __future__ import annotations

import asyncio
import json
import signal
import smtplib
import ssl
import sys
from pathlib import Path

import pytest

from console.cli import main
from simulator.tls import TLSMaterial

PASSWORD = "Fi1e-pass:with colon"


async def start(*args: str, stdin: bytes | None = None) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "console",
        "simulate",
        "office365",
        "--port",
        "0",
        "--json-log",
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdin is not None
    if stdin is not None:
        process.stdin.write(stdin)
        await process.stdin.drain()
    process.stdin.close()
    return process


def sign_in(port: int, ca_file: str, user: str, password: str) -> None:
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.starttls(context=context)
        client.login(user, password)


async def signs_in(process: asyncio.subprocess.Process, user: str, password: str) -> None:
    assert process.stdout is not None
    listening = json.loads(await asyncio.wait_for(process.stdout.readline(), 15))
    assert user in listening["accounts"]
    try:
        await asyncio.to_thread(sign_in, listening["port"], listening["ca_file"], user, password)
        with pytest.raises(smtplib.SMTPAuthenticationError):
            await asyncio.to_thread(
                sign_in, listening["port"], listening["ca_file"], user, "wrong-" + password
            )
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err.decode()
    assert password not in out.decode() + err.decode()


async def test_an_account_from_a_file_signs_in(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts"
    accounts.write_text(f"# rehearsal accounts\n\nalice@contoso.com:{PASSWORD}\n")
    process = await start("--accounts-file", str(accounts))
    await signs_in(process, "alice@contoso.com", PASSWORD)


async def test_an_account_from_standard_input_signs_in() -> None:
    process = await start("--accounts-file", "-", stdin=f"bob@contoso.com:{PASSWORD}\r\n".encode())
    await signs_in(process, "bob@contoso.com", PASSWORD)


@pytest.mark.parametrize(
    ("content", "where"),
    [
        (b"alice@contoso.com:ok\nno-separator-Secret\n", ":2: expected USER:PASSWORD"),
        (b"\n:Secret-only\n", ":2: expected USER:PASSWORD"),
        (b"alice:\n", ":1: expected USER:PASSWORD"),
        (b"alice:Secret-\xff\n", ":1: not UTF-8"),
    ],
)
def test_a_bad_line_names_file_and_line(
    content: bytes, where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    accounts = tmp_path / "accounts"
    accounts.write_bytes(content)
    assert main(["simulate", "office365", "--accounts-file", str(accounts)]) == 2
    err = capsys.readouterr().err
    assert f"{accounts}{where}" in err and "Secret" not in err and "Traceback" not in err


def test_a_missing_accounts_file_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    assert main(["simulate", "office365", "--accounts-file", str(missing)]) == 2
    assert f"--accounts-file {missing}: " in capsys.readouterr().err


def test_the_account_help_warns_the_argument_is_visible(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["simulate", "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "process list" in help_text and "--accounts-file" in help_text


def test_ca_out_leaves_a_different_file_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "ca.pem"
    existing.write_text("someone else's CA\n")
    assert main(["simulate", "office365", "--port", "0", "--ca-out", str(existing)]) == 2
    err = capsys.readouterr().err
    assert f"--ca-out {existing}: " in err and "--force" in err and "Traceback" not in err
    assert existing.read_text() == "someone else's CA\n"


async def test_ca_out_with_force_replaces_it(tmp_path: Path) -> None:
    existing = tmp_path / "ca.pem"
    existing.write_text("old\n")
    process = await start("--ca-out", str(existing), "--force")
    assert process.stdout is not None
    listening = json.loads(await asyncio.wait_for(process.stdout.readline(), 15))
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.communicate(), 15)
    assert listening["ca_file"] == str(existing)
    assert existing.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")


def test_the_same_content_is_not_a_conflict(tmp_path: Path) -> None:
    tls = TLSMaterial(["localhost"])
    path = tmp_path / "ca.pem"
    path.write_bytes(tls.ca_pem)
    assert tls.write_ca(path, replace=False) == path
    assert path.read_bytes() == tls.ca_pem
    with pytest.raises(FileExistsError):
        TLSMaterial(["localhost"]).write_ca(path, replace=False)
    assert path.read_bytes() == tls.ca_pem
