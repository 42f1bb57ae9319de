"""smtp-console simulate: what it prints, what it logs, how it stops, and bad input."""

from __future__ import annotations

import asyncio
import json
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from smtp_wire import b64

from console.cli import main
from console.commands.simulate import address
from simulator.scenario import lessons

PASSWORD = "S3cret-pass!"


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "console",
        "simulate",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    return (await asyncio.wait_for(process.stdout.readline(), 15)).decode()


def send_one(port: int, ca_file: str) -> None:
    context = ssl.create_default_context(cafile=ca_file)
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as client:
        client.starttls(context=context)
        client.login("alice@contoso.com", PASSWORD)
        client.sendmail(
            "alice@contoso.com", ["bob@example.org"], "Subject: cli\r\n\r\nFrom the CLI test.\r\n"
        )


async def test_json_log_serves_masks_and_stops_on_sigterm(tmp_path: Path) -> None:
    ca_out = tmp_path / "ca.pem"
    process = await start(
        "office365",
        "--port",
        "0",
        "--json-log",
        "--account",
        f"alice@contoso.com:{PASSWORD}",
        "--ca-out",
        str(ca_out),
        "--maildir",
        str(tmp_path / "mail"),
    )
    listening = json.loads(await line(process))
    assert listening["kind"] == "listening" and listening["provider"] == "office365"
    assert listening["host"] == "127.0.0.1" and listening["ca_file"] == str(ca_out)
    await asyncio.to_thread(send_one, listening["port"], listening["ca_file"])
    maps = Path(f"/proc/{process.pid}/maps")
    if maps.exists():  # its CA came from a child process: the server never loads cryptography
        assert "cryptography" not in maps.read_text(), "the simulate process loaded cryptography"
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0, err.decode()
    records = [json.loads(text) for text in out.decode().splitlines()]
    assert records[-1] == {"kind": "stopped", "accepted": 1, "let_go": 0}
    kinds = {r["kind"] for r in records}
    assert {"session-open", "command", "reply", "accepted", "session-close"} <= kinds
    commands = [r["text"] for r in records if r["kind"] == "command"]
    assert "AUTH LOGIN ****" in commands and "****" in commands
    everything = out.decode() + err.decode()
    for secret in (PASSWORD, b64(PASSWORD), b64("alice@contoso.com")):
        assert secret not in everything
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 1


def test_a_closed_log_pipe_keeps_the_server_serving() -> None:
    account = f"alice@contoso.com:{PASSWORD}"
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "simulate", "office365", "--port", "0"]
        + ["--json-log", "--account", account],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    listening = json.loads(process.stdout.readline())
    process.stdout.close()  # the reader goes away, like `| head -1`
    send_one(listening["port"], listening["ca_file"])
    send_one(listening["port"], listening["ca_file"])
    process.send_signal(signal.SIGTERM)
    errors = process.stderr.read().decode()
    assert process.wait(timeout=15) == 0
    assert errors.count("the log output was closed; still serving") == 1
    assert "Traceback" not in errors


async def test_text_log_and_ctrl_c_with_a_remote_address_warning() -> None:
    process = await start("gmail", "--host", "0.0.0.0", "--allow-remote", "--port", "0")
    header = [await line(process) for _ in range(6)]
    assert header[0].startswith("Simulating Gmail")
    assert header[1].startswith("listening on 0.0.0.0:")
    assert header[2].startswith("CA certificate: ")
    assert header[3].startswith("accounts: none")
    assert header[4].startswith("sign-in service: http://0.0.0.0:")
    port = int(header[1].split(":")[1].split(" ")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert (await reader.readline()).startswith(b"220 smtp.gmail.com ESMTP ")
    writer.write(b"EHLO client.test\r\n")
    await writer.drain()
    logged = [await line(process) for _ in range(4)]  # open, greeting, EHLO, its reply
    assert "[session-open] connection from 127.0.0.1:" in logged[0]
    assert " < 220 smtp.gmail.com ESMTP " in logged[1]
    assert logged[2].endswith(" > EHLO client.test\n")
    assert " < 250-smtp.gmail.com at your service, [127.0.0.1] | 250-SIZE 35882577" in logged[3]
    writer.close()
    process.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 0
    assert "warning: listening on 0.0.0.0" in err.decode()
    assert out.decode().rstrip().endswith("stopped; 0 message(s) accepted")


async def test_port_in_use_is_bad_input() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = await start("office365", "--port", str(port))
        out, err = await asyncio.wait_for(process.communicate(), 15)
    assert process.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err.decode()
    assert "Traceback" not in err.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nosuch"], "unknown provider 'nosuch'"),
        ([], "name a PROVIDER"),
        (["office365", "--account", "alice:"], "--account 'alice': expected USER:PASSWORD"),
        (["office365", "--account", "alice=Secret-pw"], "--account: expected USER:PASSWORD"),
        (["office365", "--host", "0.0.0.0"], "add --allow-remote"),
        (["office365", "--host", "192.0.2.1"], "not a loopback address"),
        (["office365", "--clock-speed", "-2"], "--clock-speed -2.0: must be 0 or more"),
        (["office365", "--port", "70000"], "--port 70000: must be between 0 and 65535"),
        (["office365", "--scenario", "no-such-lesson"], "no such file, nor a lesson"),
        (["office365", "--scenario", "gmail-no-app-password"], "written for 'gmail'"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", *args]) == 2
    err = capsys.readouterr().err
    assert "Secret-pw" not in err
    assert message in err and "Traceback" not in err


def test_a_broken_scenario_names_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = tmp_path / "lesson.toml"
    scenario.write_text('provider = "office365"\n\n[[events]]\nat = "10m"\naction = "explode"\n')
    assert main(["simulate", "--scenario", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert f"{scenario}:5: events[0].action" in err


def test_unwritable_ca_out_names_the_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["simulate", "office365", "--port", "0", "--ca-out", f"{blocker}/ca.pem"]) == 2
    err = capsys.readouterr().err
    assert f"--ca-out {blocker}" in err and "Traceback" not in err


def test_list_lessons_names_each_with_its_title(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--list-lessons"]) == 0
    out = capsys.readouterr().out
    assert "password-changed" in out and "The password changed" in out
    for name, title in lessons().items():
        assert any(row.startswith(name) and row.endswith(title) for row in out.splitlines())


def test_addresses_are_printed_as_clients_write_them() -> None:
    assert address("127.0.0.1", 2525) == "127.0.0.1:2525"
    assert address("::1", 2525) == "[::1]:2525"
