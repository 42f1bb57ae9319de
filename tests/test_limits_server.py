"""Limits through the running simulator: a day of quota, carry-over and 50 clients at once."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import AsyncIterator

import aiosmtplib
import pytest

from simulator.clock import VirtualClock
from simulator.scenario import Scenario
from simulator.server import Simulator
from simulator.state import Account

ALICE, PASSWORD = "alice@contoso.com", "Secret-1"
BODY = b"From: alice@contoso.com\r\nTo: list@example.org\r\nSubject: Bulk\r\n\r\nHello.\r\n"


class Pipe:
    """A raw SMTP connection that pipelines a whole transaction (RFC 2920)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def signed_in(cls, sim: Simulator, user: str = ALICE) -> Pipe:
        reader, writer = await asyncio.open_connection(sim.host, sim.port)
        pipe = cls(reader, writer)
        await pipe.replies(1)
        await pipe.send(b"EHLO client.test", b"STARTTLS")
        await pipe.replies(2)
        await writer.start_tls(sim.client_ssl_context(), server_hostname="localhost")
        login = base64.b64encode(user.encode()).decode()
        await pipe.send(b"EHLO client.test", f"AUTH LOGIN {login}".encode())
        await pipe.replies(2)
        await pipe.send(base64.b64encode(PASSWORD.encode()))
        [auth] = await pipe.replies(1)
        assert auth.startswith("235"), auth
        return pipe

    async def send(self, *lines: bytes) -> None:
        self.writer.write(b"".join(line + b"\r\n" for line in lines))
        await self.writer.drain()

    async def replies(self, count: int) -> list[str]:
        found = []
        for _ in range(count):
            lines = []
            while True:
                line = (await asyncio.wait_for(self.reader.readline(), 10)).decode()
                assert line, "connection closed"
                lines.append(line.rstrip())
                if line[3:4] != "-":
                    break
            found.append("\r\n".join(lines))
        return found

    async def message(self, recipients: int, tag: int = 0) -> str:
        """Send one message to `recipients` addresses; the reply after the final dot."""
        rcpts = [f"RCPT TO:<r{tag}.{n}@example.org>".encode() for n in range(recipients)]
        await self.send(b"MAIL FROM:<alice@contoso.com>", *rcpts, b"DATA")
        answers = await self.replies(recipients + 2)
        assert all(a.startswith("250") for a in answers[:-1]), answers[-3:]
        assert answers[-1].startswith("354"), answers[-1]
        await self.send(BODY + b".")
        return (await self.replies(1))[0]

    async def close(self) -> None:
        await self.send(b"QUIT")
        self.writer.close()


@pytest.fixture
async def frozen() -> AsyncIterator[Simulator]:
    """Office 365 on a clock that moves only when the test advances it."""
    clock = VirtualClock(speed=0)
    async with Simulator("office365", accounts=[Account(ALICE, PASSWORD)], clock=clock) as sim:
        yield sim


async def test_ten_thousand_recipients_then_refused_then_accepted_a_day_later(
    frozen: Simulator,
) -> None:
    began = time.monotonic()
    pipe = await Pipe.signed_in(frozen)
    replies = [await pipe.message(500, n) for n in range(20)]
    assert all(r.startswith("250") for r in replies)
    assert frozen.ledger.usage(ALICE).recipients_last_day == 10_000

    refused = await pipe.message(1, 20)
    assert refused.startswith("554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuota")
    frozen.clock.advance(hours=23, minutes=59)
    assert (await pipe.message(1, 21)).startswith("554 5.2.0")

    frozen.clock.advance(minutes=1)
    assert (await pipe.message(1, 22)).startswith("250")
    await pipe.close()
    assert len(frozen.mailbox.messages) == 21
    assert time.monotonic() - began < 10


async def test_the_31st_message_in_a_minute_is_accepted_and_held_back(frozen: Simulator) -> None:
    events = []
    frozen.subscribe(lambda e: events.append(e) if e.kind in ("accepted", "delayed") else None)
    start = frozen.clock.now()
    pipe = await Pipe.signed_in(frozen)
    replies = [await pipe.message(1, n) for n in range(35)]
    await pipe.close()
    assert all(r.startswith("250") for r in replies)
    stored = frozen.mailbox.messages
    assert [m.delayed for m in stored] == [False] * 30 + [True] * 5
    assert {m.deliver_at_virtual for m in stored[30:]} == {start + 60}
    assert [e.kind for e in events].count("delayed") == 5
    assert "delivery in 60s" in events[-1].text


async def send_one(sim: Simulator, user: str, index: int) -> aiosmtplib.SMTPResponse | None:
    """One client: sign in and send one message; the refusal, or None when accepted."""
    client = aiosmtplib.SMTP(
        hostname=sim.host, port=sim.port, tls_context=sim.client_ssl_context(), timeout=20
    )
    await client.connect()
    try:
        await client.login(user, PASSWORD)
        await client.sendmail(user, [f"r{index}@example.org"], BODY)
        return None
    except aiosmtplib.SMTPResponseException as error:
        return aiosmtplib.SMTPResponse(error.code, error.message)
    finally:
        await client.quit()


async def test_fifty_clients_at_once_get_exactly_thirty_through() -> None:
    scenario = Scenario(
        provider="office365",
        accounts=[Account(ALICE, PASSWORD)],
        limits={"messages_per_minute": 30, "rate_mode": "refuse", "connections_per_user": 100},
    )
    async with Simulator("office365", scenario=scenario, clock=VirtualClock(speed=0)) as sim:
        outcomes = await asyncio.gather(*(send_one(sim, ALICE, n) for n in range(50)))
        refusals = [o for o in outcomes if o is not None]
        assert len(sim.mailbox.messages) == 30
        assert len(refusals) == 20
        expected = sim.profile.reply("rate_exceeded").text.split("\r\n")[-1][4:]
        assert {(r.code, r.message.splitlines()[-1]) for r in refusals} == {
            (sim.profile.reply("rate_exceeded").code, expected)
        }


async def test_fourth_connection_of_a_mailbox_is_refused_at_data(frozen: Simulator) -> None:
    pipes = [await Pipe.signed_in(frozen) for _ in range(4)]
    assert (await pipes[0].message(1)).startswith("250")
    await pipes[3].send(b"MAIL FROM:<alice@contoso.com>", b"RCPT TO:<x@example.org>", b"DATA")
    *_, data = await pipes[3].replies(3)
    assert data.startswith("432 4.3.2 Concurrent connections limit exceeded")
    for pipe in pipes:
        await pipe.close()
