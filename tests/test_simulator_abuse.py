"""Abusive clients: descriptors, memory, smuggling and fairness stay bounded."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import socket
import sys
import tracemalloc
from collections.abc import AsyncIterator

import pytest
from smtp_wire import Wire, b64, matches

from simulator.clock import VirtualClock
from simulator.events import Event
from simulator.server import Simulator
from simulator.state import Account

ALICE = "alice@contoso.com"


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    clock = VirtualClock(speed=0)
    async with Simulator("office365", accounts=[Account(ALICE, "pw")], clock=clock) as sim:
        yield sim


def descriptors() -> int:
    """How many descriptors this process holds."""
    return len(os.listdir("/proc/self/fd"))


async def settle(target: int, seconds: float = 5.0) -> int:
    """Wait until the descriptor count falls to target (or time runs out); the last count."""
    for _ in range(int(seconds / 0.05)):
        if descriptors() <= target:
            break
        await asyncio.sleep(0.05)
    return descriptors()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
async def test_two_hundred_abandoned_connections_leave_no_descriptor(sim: Simulator) -> None:
    before = descriptors()
    for round_ in range(4):
        wires = [await Wire.open(sim.port) for _ in range(50)]
        for number, wire in enumerate(wires):
            await wire.reply()
            if (number + round_) % 2:
                await wire.ask("EHLO client.test")
        for wire in wires:
            await wire.close()
    assert await settle(before) <= before
    assert not sim._services or not sim._services.open_sessions


SERVE_WITH_FEW_DESCRIPTORS = """
import asyncio, resource, sys
from simulator.server import Simulator
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
async def main():
    async with Simulator("office365", max_connections=200) as sim:
        print(sim.port, flush=True)
        await asyncio.sleep(3600)
asyncio.run(main())
"""


async def test_running_out_of_descriptors_is_said_once_and_survived() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        SERVE_WITH_FEW_DESCRIPTORS,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    try:
        port = int(await asyncio.wait_for(process.stdout.readline(), 30))
        clients = []
        for _ in range(100):
            client = socket.socket()
            client.connect(("127.0.0.1", port))
            clients.append(client)
        await asyncio.sleep(2)  # the server meets its limit and keeps meeting it
        for client in clients:
            client.close()
        wire = await Wire.open(port)
        greeting = await asyncio.wait_for(wire.reply(), 10)
        assert greeting.startswith("220 ")
        await wire.close()
    finally:
        process.terminate()
        _, errors = await asyncio.wait_for(process.communicate(), 30)
    text = errors.decode(errors="replace")
    assert text.count("no descriptors left") == 1, text[:2000]
    assert len(text) < 1000, text[:2000]


async def test_connections_over_the_cap_get_the_providers_421() -> None:
    async with Simulator("amazon-ses", clock=VirtualClock(speed=0), max_connections=5) as sim:
        held = [await Wire.open(sim.port) for _ in range(5)]
        for wire in held:
            assert (await wire.reply()).startswith("220 ")
        extra = await Wire.open(sim.port)
        assert await extra.reply() == "421 Too many concurrent SMTP connections"
        await extra.close()
        await held.pop().close()
        await asyncio.sleep(0.2)
        again = await Wire.open(sim.port)
        assert (await again.reply()).startswith("220 ")
        for wire in [*held, again]:
            await wire.close()


async def test_a_thousand_simultaneous_connects_are_all_answered_quickly() -> None:
    async with Simulator("office365", clock=VirtualClock(speed=0), max_connections=100) as sim:
        started = asyncio.get_running_loop().time()
        wires = await asyncio.gather(*(Wire.open(sim.port) for _ in range(1000)))
        replies = await asyncio.gather(*(wire.reply() for wire in wires))
        elapsed = asyncio.get_running_loop().time() - started
        await asyncio.gather(*(wire.close() for wire in wires))
    codes = [reply[:3] for reply in replies]
    assert codes.count("220") == 100
    assert codes.count("421") == 900
    assert elapsed < 20


async def flood_chunk(port: int, megabytes: int) -> None:
    """Announce a 150 MB last chunk before anything else and send part of it."""
    wire = await Wire.open(port)
    await wire.reply()
    await wire.send("BDAT 150000000 LAST")
    piece = b"x" * (1 << 16)
    for _ in range(megabytes * 16):
        wire.writer.write(piece)
        await wire.writer.drain()
    await wire.close()


async def test_ten_huge_chunks_before_anything_are_drained_not_held(sim: Simulator) -> None:
    tracemalloc.start()
    try:
        await asyncio.gather(*(flood_chunk(sim.port, 8) for _ in range(10)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, f"{peak / 2**20:.0f} MiB held for 80 MiB of refused chunks"
    assert not sim.mailbox.messages


async def stream(wire: Wire, size: int) -> None:
    """Send size bytes of chunk data in small pieces."""
    piece = b"y" * (1 << 16)
    for start in range(0, size, len(piece)):
        wire.writer.write(piece[: size - start])
        await wire.writer.drain()


async def test_a_chunk_that_would_pass_the_size_limit_is_drained_not_held() -> None:
    app_password = "abcdefghijklmnop"  # Gmail signs in with an app password only
    account = Account(ALICE, app_password)
    async with Simulator("gmail", accounts=[account], clock=VirtualClock(0)) as gm:
        wire = await Wire.open(gm.port)
        await wire.ready(gm.port, gm.client_ssl_context())
        assert (await wire.login(ALICE, app_password)).startswith("235")
        await wire.ask(f"MAIL FROM:<{ALICE}>")
        await wire.ask("RCPT TO:<bob@example.org>")
        limit = gm.behaviour.size_limit
        assert limit is not None
        part = limit * 3 // 4
        tracemalloc.start()
        try:
            await wire.send(f"BDAT {part}")
            await stream(wire, part)
            assert (await asyncio.wait_for(wire.reply(), 60)).startswith("250")
            await wire.send(f"BDAT {part} LAST")
            await stream(wire, part)
            reply = await asyncio.wait_for(wire.reply(), 60)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert matches(gm.profile, "message_too_large", reply)
        assert peak < part + (8 << 20), f"{peak / 2**20:.0f} MiB held, limit {limit / 2**20:.0f}"
        assert (await wire.ask("NOOP")).startswith("250")
        await wire.close()


SMUGGLED = (
    b"MAIL FROM:<alice@contoso.com>\r\nRCPT TO:<eve@example.net>\r\nDATA\r\n"
    b"Subject: smuggled\r\n\r\nsecond message\r\n"
)


@pytest.mark.parametrize("ending", [b"\n.\n", b"\r\n.\n", b"\n.\r\n"])
async def test_a_bare_line_feed_never_ends_the_message(sim: Simulator, ending: bytes) -> None:
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith("235")
    await wire.ask(f"MAIL FROM:<{ALICE}>")
    await wire.ask("RCPT TO:<bob@example.org>")
    assert (await wire.ask("DATA")).startswith("354")
    wire.writer.write(b"Subject: first\r\n\r\nfirst message" + ending + SMUGGLED + b".\r\n")
    assert (await wire.reply()).startswith("250 ")
    assert (await wire.ask("NOOP")).startswith("250 ")  # no second 250 was waiting
    await wire.close()
    messages = sim.mailbox.messages
    assert len(messages) == 1
    assert messages[0].recipients == ("bob@example.org",)
    assert b"second message" in messages[0].raw


async def sign_in_time(sim: Simulator) -> float:
    """Seconds a normal client takes from connecting to being signed in."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    wire = await Wire.open(sim.port)
    await wire.ready(sim.port, sim.client_ssl_context())
    assert (await wire.login(ALICE, "pw")).startswith("235")
    elapsed = loop.time() - started
    await wire.ask("QUIT")
    await wire.close()
    return elapsed


FLOOD = """
import socket, sys, threading
sock = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def read():
    try:
        while sock.recv(1 << 16):
            pass
    except OSError:
        pass
threading.Thread(target=read, daemon=True).start()
batch = b"NOOP\\r\\n" * 1000
print("flooding", flush=True)
try:
    while True:
        sock.sendall(batch)
except OSError:
    pass
"""


async def test_a_pipelining_flooder_does_not_slow_others_down(sim: Simulator) -> None:
    flooder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", FLOOD, str(sim.port), stdout=asyncio.subprocess.PIPE
    )
    assert flooder.stdout is not None
    try:
        await asyncio.wait_for(flooder.stdout.readline(), 30)
        await asyncio.sleep(0.3)
        times = [await sign_in_time(sim) for _ in range(3)]
    finally:
        with contextlib.suppress(ProcessLookupError):  # cut off by its budget already
            flooder.kill()
        await flooder.wait()
    assert max(times) < 2.0, times


async def test_a_connection_that_only_idles_is_ended_with_a_421(sim: Simulator) -> None:
    wire = await Wire.open(sim.port)
    await wire.reply()
    wire.writer.write(b"NOOP\r\n" * 3000)
    replies = []
    with contextlib.suppress(ConnectionError):
        while True:
            replies.append(await wire.reply())
    assert replies[-1].startswith("421 ")
    assert len(replies) < 3000
    await wire.close()


PASSWORD = "Canary-7f3a9e-Secret"


def shows_password(text: str) -> bool:
    """True when the text holds the password, plainly or in base64."""
    if PASSWORD in text:
        return True
    for token in re.findall(r"[A-Za-z0-9+/=]{8,}", text):
        with contextlib.suppress(ValueError):
            if PASSWORD.encode() in base64.b64decode(token + "=" * (-len(token) % 4)):
                return True
    return False


def leaked(events: list[Event]) -> list[str]:
    """Event texts that show the password."""
    return [e.text for e in events if shows_password(e.text)]


@pytest.mark.parametrize(
    "lines",
    [
        # Refused on plain text, then the answers the client had already pipelined.
        ["AUTH LOGIN", b64(ALICE), b64(PASSWORD), "NOOP"],
        ["AUTH LOGIN " + b64(ALICE), b64(PASSWORD), b64(PASSWORD) + " x", "NOOP"],
        ["AUTH=PLAIN " + b64(f"\0{ALICE}\0{PASSWORD}"), "NOOP"],
        ["auth=login", b64(PASSWORD), "NOOP"],
        [" AUTH PLAIN " + b64(f"\0{ALICE}\0{PASSWORD}"), "NOOP"],
        ["AUTH " + b64(f"\0{ALICE}\0{PASSWORD}"), "NOOP"],
    ],
)
async def test_pipelined_sign_in_answers_never_reach_the_log(
    sim: Simulator, lines: list[str]
) -> None:
    events: list[Event] = []
    sim.subscribe(events.append)
    wire = await Wire.open(sim.port)
    await wire.reply()
    await wire.ask("EHLO client.test")
    wire.writer.write("".join(f"{line}\r\n" for line in lines).encode())
    replies = [await wire.reply() for _ in lines]
    assert replies[-1].startswith("250")
    await wire.close()
    assert any(e.kind == "command" and e.text == "NOOP" for e in events)
    assert leaked(events) == []
