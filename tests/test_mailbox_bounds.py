"""A long run holds a bounded number of messages in memory and counts the ones let go."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from smtp_wire import Wire

from console.cli import main
from simulator.clock import VirtualClock
from simulator.mailbox import parse
from simulator.server import Simulator
from simulator.state import Account

ALICE = "alice@contoso.com"


def body(subject: str) -> str:
    return f"From: {ALICE}\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\r\nHello.\r\n"


async def send_many(sim: Simulator, count: int) -> None:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith("235")
    for n in range(count):
        assert (await wire.ask(f"MAIL FROM:<{ALICE}>")).startswith("250")
        assert (await wire.ask("RCPT TO:<bob@example.org>")).startswith("250")
        assert (await wire.ask("DATA")).startswith("354")
        await wire.send(body(f"n{n}") + ".")
        assert (await wire.reply()).startswith("250 ")
    await wire.close()


def office365(**options: object) -> Simulator:
    clock = VirtualClock(speed=0)
    return Simulator("office365", accounts=[Account(ALICE, "pw")], clock=clock, **options)  # type: ignore[arg-type]


async def test_only_the_most_recent_messages_stay_in_memory() -> None:
    async with office365(keep=3) as sim:
        waiting = asyncio.create_task(sim.mailbox.wait_for(8, timeout=10))
        await send_many(sim, 8)
        held = await waiting
        mailbox = sim.mailbox
        assert [m.subject for m in held] == ["n5", "n6", "n7"]
        assert (mailbox.accepted, mailbox.let_go, len(mailbox.messages)) == (8, 5, 3)
        assert [m.subject for m in mailbox.since(6)] == ["n6", "n7"]
        assert [m.subject for m in mailbox.since(0)] == ["n5", "n6", "n7"]


async def test_every_message_reaches_the_maildir_while_memory_holds_one(tmp_path: Path) -> None:
    async with office365(keep=1, maildir=tmp_path / "mail") as sim:
        await send_many(sim, 5)
        files = sorted((tmp_path / "mail" / "new").iterdir())
        assert len(files) == 5 and sim.mailbox.let_go == 4
        subjects = sorted(str(parse(f.read_bytes())["Subject"]) for f in files)
        assert subjects == [f"n{n}" for n in range(5)]
        (last,) = sim.mailbox.messages
        assert last.path is not None and last.path.read_bytes().endswith(b"\r\n" + last.raw)


async def test_a_parsed_message_is_not_kept_beside_its_bytes() -> None:
    async with office365() as sim:
        await send_many(sim, 1)
        (stored,) = sim.mailbox.messages
        assert stored.message["Subject"] == "n0" and stored.subject == "n0"
        assert "message" not in vars(stored), "a cached parse would hold the message twice"


async def test_listeners_see_every_message_even_those_let_go() -> None:
    async with office365(keep=0) as sim:
        seen: list[str] = []
        unsubscribe = sim.mailbox.subscribe(lambda m: seen.append(m.subject))
        await send_many(sim, 3)
        unsubscribe()
        await send_many(sim, 1)
        assert seen == ["n0", "n1", "n2"] and sim.mailbox.messages == []


def test_keep_must_not_be_negative(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "office365", "--keep", "-1"]) == 2
    assert "--keep -1: must be 0 or more" in capsys.readouterr().err
