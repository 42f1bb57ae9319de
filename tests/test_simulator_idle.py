"""A connection that stops sending commands is closed at its idle deadline, not before."""

from __future__ import annotations

import asyncio

from smtp_wire import Wire

from simulator.clock import VirtualClock
from simulator.server import Simulator
from simulator.state import Account


async def test_commands_move_the_idle_deadline_and_silence_ends_the_connection() -> None:
    account = Account("a@contoso.com", "pw")
    async with Simulator("office365", accounts=[account], clock=VirtualClock(speed=0)) as sim:
        wire = await Wire.open(sim.port)
        await wire.reply()
        assert sim._services is not None
        (session,) = sim._services.open_sessions
        session._timeout_duration = 0.3  # the real five minutes, shortened for the test
        loop = asyncio.get_running_loop()
        for _ in range(4):  # 0.6 s in all: past the first deadlines, kept open by commands
            await asyncio.sleep(0.15)
            assert (await wire.ask("NOOP")).startswith("250")
        quiet_from = loop.time()
        assert await asyncio.wait_for(wire.reader.read(), 5) == b""  # the server closed it
        assert 0.25 <= loop.time() - quiet_from < 2
        assert sim.events.recent[-1].text == "idle for 0.3 s: closed"
        await wire.close()
