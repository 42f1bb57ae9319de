"""A port the real provider does not serve: connections are taken and never answered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class SilentPort(asyncio.Protocol):
    """Accept a connection and say nothing, as a host that drops the traffic appears to."""

    def __init__(self, open_transports: set[asyncio.BaseTransport], say: Callable[[str], None]):
        self.open_transports = open_transports
        self.say = say
        self.transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self.open_transports.add(transport)
        peer = transport.get_extra_info("peername")
        who = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else "a client"
        self.say(f"connection from {who} left unanswered")

    def data_received(self, data: bytes) -> None:
        """Whatever the client sends (a TLS hello, a command) is dropped unread."""

    def connection_lost(self, error: Exception | None) -> None:
        if self.transport is not None:
            self.open_transports.discard(self.transport)
