"""The check's SMTP protocol: keeps the raw bytes of each reply and never invents one."""

from __future__ import annotations

import asyncio
from typing import Any

from aiosmtplib.protocol import SMTPProtocol
from aiosmtplib.response import SMTPResponse

KEPT = 4096  # raw bytes kept per reply, enough to recognise another protocol


class WireProtocol(SMTPProtocol):
    """An SMTPProtocol that remembers what came over the wire since the last command."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        super().__init__(loop=loop)
        self.received = bytearray()
        self.last_reply: SMTPResponse | None = None
        self.arrived = asyncio.Event()

    def data_received(self, data: bytes) -> None:
        room = KEPT - len(self.received)
        if room > 0:
            self.received.extend(data[:room])
        self.arrived.set()
        super().data_received(data)

    def connection_lost(self, exc: Exception | None) -> None:
        # aiosmtplib answers a QUIT cut off by a close with a made-up 221; the check
        # must show that no reply came.
        self._quit_sent = False
        super().connection_lost(exc)

    def forget(self) -> None:
        """Start a new reply: drop the raw bytes of the previous one."""
        self.received.clear()
        self.arrived.clear()
        self.last_reply = None

    async def read_response(self, timeout: float | None = None) -> SMTPResponse:
        response = await super().read_response(timeout=timeout)
        self.last_reply = response
        return response

    async def bytes_within(self, seconds: float) -> bytes:
        """Whatever arrives within the time (nothing when the server stays silent)."""
        if not self.received:
            try:
                await asyncio.wait_for(self.arrived.wait(), seconds)
            except TimeoutError:
                return b""
            await asyncio.sleep(min(0.2, seconds))  # let the rest of a short answer in
        return bytes(self.received)


def valid(response: Any) -> bool:
    """True when a parsed reply carries an SMTP reply code (200-599)."""
    return isinstance(response, SMTPResponse) and 200 <= response.code <= 599
