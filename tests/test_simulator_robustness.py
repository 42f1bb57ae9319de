"""Hostile and broken clients: the server keeps serving others, holds little, loses nothing."""

from __future__ import annotations

import asyncio
import os
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from smtp_wire import Wire, b64, matches

from simulator.clock import VirtualClock
from simulator.faults import FaultConfig, Injection
from simulator.scenario import Scenario
from simulator.server import Simulator
from simulator.state import Account

ALICE = "alice@contoso.com"
MESSAGE = f"From: {ALICE}\r\nSubject: ok\r\n\r\nfine\r\n"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    clock = VirtualClock(speed=0)
    async with Simulator("office365", accounts=[Account(ALICE, "pw")], clock=clock) as sim:
        yield sim


async def deliver(sim: Simulator, subject: str = "ok") -> str:
    """A well-behaved client sends one message; returns the final reply."""
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith("235")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    await wire.ask("RCPT TO:<bob@example.org>")
    await wire.ask("DATA")
    reply = await wire.ask(MESSAGE.replace("ok", subject) + ".")
    await wire.ask("QUIT")
    await wire.close()
    return reply


async def test_garbage_bytes_get_replies_and_others_are_served(sim: Simulator) -> None:
    wire = await Wire.open(sim.port)
    await wire.reply()
    junk = os.urandom(4096).replace(b"\n", b"").replace(b"\r", b"")[:300]
    for line in (junk, b"\x00\x01\x02", b"\xff\xfe EHLO", b"", b"   ", "ÉHLO été".encode()):
        assert (await wire.ask(line))[:1] in ("5",)
    assert (await wire.ask("EHLO client.test")).startswith("250")
    assert (await deliver(sim)).startswith("250 ")
    await wire.close()


async def test_ten_thousand_byte_line_is_refused_and_the_session_goes_on(sim: Simulator) -> None:
    wire = await Wire.open(sim.port)
    await wire.reply()
    assert (await wire.ask("EHLO " + "a" * 10_000)).startswith("500 ")
    assert (await wire.ask("X" * 10_000)).startswith("500 ")
    assert (await wire.ask("EHLO client.test")).startswith("250-")
    await wire.close()


async def test_endless_line_holds_no_memory(sim: Simulator) -> None:
    wire = await Wire.open(sim.port)
    await wire.reply()
    chunk = b"A" * 65536
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(80):  # 5 MiB without a line end
            wire.writer.write(chunk)
            await wire.writer.drain()
        await wire.send(b"")
        assert (await wire.reply()).startswith("500 ")
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, f"server held {grown} bytes of an endless line"
    await wire.close()


async def test_unfinished_data_stores_nothing(sim: Simulator) -> None:
    closed = asyncio.Event()
    sim.subscribe(lambda e: closed.set() if e.kind == "session-close" else None)
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    await wire.login(ALICE, "pw")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    await wire.ask("RCPT TO:<bob@example.org>")
    assert (await wire.ask("DATA")).startswith("354")
    wire.writer.write(b"Subject: half\r\n\r\nthe first half of the bo")
    await wire.writer.drain()
    await wire.close()
    await asyncio.wait_for(closed.wait(), 5)
    assert sim.mailbox.messages == []
    assert (await deliver(sim)).startswith("250 ")


async def test_client_vanishing_mid_data_loses_nothing_accepted(sim: Simulator) -> None:
    closes: asyncio.Queue[str] = asyncio.Queue()
    sim.subscribe(lambda e: closes.put_nowait(e.session) if e.kind == "session-close" else None)
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    await wire.login(ALICE, "pw")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    await wire.ask("RCPT TO:<bob@example.org>")
    await wire.ask("DATA")
    assert (await wire.ask(MESSAGE + ".")).startswith("250 ")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    await wire.ask("RCPT TO:<bob@example.org>")
    await wire.ask("DATA")
    wire.writer.write(b"Subject: second\r\n\r\nhalf")
    await wire.writer.drain()
    wire.writer.transport.abort()  # a reset, not a polite close
    assert await asyncio.wait_for(closes.get(), 5) == "s1"
    assert [m.subject for m in sim.mailbox.messages] == ["ok"]
    assert (await deliver(sim, "after")).startswith("250 ")
    assert await asyncio.wait_for(closes.get(), 5) == "s2"
    assert sim.ledger.usage(ALICE).connections == 0


async def test_five_hundred_idle_connections(sim: Simulator) -> None:
    idle = [await Wire.open(sim.port) for _ in range(500)]
    greetings = await asyncio.gather(*(wire.reply() for wire in idle))
    assert all(g.startswith("220 ") for g in greetings)
    assert (await deliver(sim)).startswith("250 ")
    await asyncio.gather(*(wire.close() for wire in idle))
    await sim.stop()
    assert sim._services is not None and not sim._services.open_sessions


VERBS = ["EHLO", "HELO", "MAIL", "RCPT", "DATA", "RSET", "NOOP", "QUIT", "AUTH", "VRFY", "STARTTLS"]
ARGS = [
    "",
    "x",
    "FROM:<apikey@example.com>",
    "TO:<b@example.org>",
    "LOGIN",
    "PLAIN " + b64("\0apikey\0SG.key"),  # a valid sign-in
    "PLAIN =",
    "*",
]
BODY = ["Subject: fuzz", "", ".", "..", "hello"]
command = st.one_of(
    st.tuples(st.sampled_from(VERBS), st.sampled_from(ARGS)).map(lambda t: f"{t[0]} {t[1]}"),
    st.sampled_from(BODY),
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
)


async def fuzz_once(lines: list[str]) -> int:
    """Play a command stream, check the server still serves; return how many were stored."""
    # SendGrid takes AUTH and MAIL without TLS, so a fuzzed stream can reach DATA.
    async with Simulator("sendgrid", accounts=[Account("apikey", "SG.key")]) as sim:
        queued: list[str] = []
        sim.subscribe(
            lambda e: (
                queued.append(e.text)
                if e.kind == "reply" and matches(sim.profile, "data_ok", e.text)
                else None
            )
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", sim.port)
        for line in lines:
            writer.write(line.encode("latin-1") + b"\r\n")
        writer.write(b".\r\nQUIT\r\n")
        await writer.drain()
        # Read until the server closes or goes quiet: whatever happens, it must not hang us.
        try:
            while await asyncio.wait_for(reader.read(65536), 0.5):
                pass
        except (TimeoutError, ConnectionError):
            pass
        writer.close()
        assert len(sim.mailbox.messages) == len(queued)
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        assert (await wire.ask("AUTH " + ARGS[5])).startswith("235")
        assert (await wire.ask("MAIL FROM:<apikey@example.com>")).startswith("250")
        await wire.close()
        return len(queued)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(command, max_size=12))
def test_fuzzed_command_streams(lines: list[str]) -> None:
    asyncio.run(fuzz_once(lines))


def test_fuzz_reaches_acceptance() -> None:
    """The fuzz alphabet can really deliver a message, so its check is not vacuous."""
    sign_in = "AUTH " + ARGS[5]
    lines = ["EHLO x", sign_in, "MAIL " + ARGS[2], "RCPT " + ARGS[3], "DATA ", "hello"]
    assert asyncio.run(fuzz_once(lines)) == 1


async def test_seeded_faults_inject_replies_and_drop_connections() -> None:
    injected = FaultConfig(injections=[Injection("RCPT", 1.0, "451 4.3.0 Try later")])
    scenario = Scenario("sendgrid", accounts=[Account("apikey", "k")], faults=injected)
    async with Simulator("sendgrid", scenario=scenario) as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        await wire.ask("AUTH PLAIN " + b64("\0apikey\0k"))
        await wire.ask("MAIL FROM:<a@example.com>")
        assert await wire.ask("RCPT TO:<b@example.org>") == "451 4.3.0 Try later"
        await wire.close()
    dropping = FaultConfig(disconnect_probability=1.0)
    scenario = Scenario("sendgrid", faults=dropping)
    async with Simulator("sendgrid", scenario=scenario) as sim:
        wire = await Wire.open(sim.port)
        with pytest.raises(ConnectionError):  # dropped before the greeting
            await wire.reply()
        await wire.close()
        assert any(e.text == "fault: disconnect at CONNECT" for e in sim.events.recent)


async def test_oversized_message_is_read_to_the_end_holding_nothing() -> None:
    scenario = Scenario("sendgrid", accounts=[Account("apikey", "k")])
    scenario.limits = {"max_message_bytes": 100_000}
    async with Simulator("sendgrid", scenario=scenario) as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        await wire.ask("EHLO client.test")
        await wire.ask("AUTH PLAIN " + b64("\0apikey\0k"))
        await wire.ask("MAIL FROM:<a@example.com>")
        await wire.ask("RCPT TO:<b@example.org>")
        assert (await wire.ask("DATA")).startswith("354")
        line = b"B" * 998 + b"\r\n"
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for _ in range(80):
                wire.writer.write(line * 64)  # 5 MiB in all
                await wire.writer.drain()
            assert (await wire.ask(".")).startswith("552 ")
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 1_000_000, f"server held {grown} bytes of a refused message"
        assert (await wire.ask("MAIL FROM:<a@example.com>")).startswith("250")
        await wire.close()


async def test_undecodable_addresses_reach_the_log_as_text(sim: Simulator) -> None:
    texts: list[str] = []
    sim.subscribe(lambda e: texts.append(e.text))
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    await wire.login(ALICE, "pw")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    # 0xFF is not UTF-8: no address may hold it (RFC 5321 / RFC 6531); refused, logged as text.
    assert (await wire.ask(b"RCPT TO:<b\xffob@example.org>")).startswith("553 5.1.3")
    await wire.close()
    for text in texts:
        text.encode("utf-8")  # no lone surrogates: every log line can be printed
    assert any("ob@example.org" in text and "RCPT" in text for text in texts)
