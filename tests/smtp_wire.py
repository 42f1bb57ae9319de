"""A byte-exact SMTP client for tests: sends lines, reads whole (multi-line) replies."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import ssl

from simulator.behaviour import Behaviour
from simulator.profile import Profile


class Wire:
    """One raw SMTP connection to the simulator."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(
        cls, port: int, *, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1"
    ) -> Wire:
        reader, writer = await asyncio.open_connection(
            host, port, ssl=tls, server_hostname="localhost" if tls else None
        )
        return cls(reader, writer)

    async def reply(self) -> str:
        """The next reply, its lines joined by CRLF, without the final CRLF."""
        lines = []
        while True:
            line = (await asyncio.wait_for(self.reader.readline(), 5)).decode()
            if not line:
                raise ConnectionError("closed: " + "\r\n".join(lines))
            lines.append(line.rstrip("\r\n"))
            if len(line) < 4 or line[3] != "-":
                return "\r\n".join(lines)

    async def send(self, line: str | bytes) -> None:
        """Send one line (CRLF added)."""
        data = line.encode() if isinstance(line, str) else line
        self.writer.write(data + b"\r\n")
        await self.writer.drain()

    async def ask(self, line: str | bytes) -> str:
        """Send a line and return the reply."""
        await self.send(line)
        return await self.reply()

    async def starttls(self, context: ssl.SSLContext) -> None:
        """Upgrade the connection in place."""
        await self.writer.start_tls(context, server_hostname="localhost")

    async def login(self, user: str, password: str) -> str:
        """AUTH LOGIN with the username given up front."""
        first = await self.ask("AUTH LOGIN " + b64(user))
        if not first.startswith("334"):
            return first
        return await self.ask(b64(password))

    async def ready(self, port: int, context: ssl.SSLContext, ehlo: str = "client.test") -> None:
        """Greeting, EHLO, STARTTLS, EHLO."""
        await self.reply()
        await self.ask(f"EHLO {ehlo}")
        assert (await self.ask("STARTTLS")).startswith("220")
        await self.starttls(context)
        await self.ask(f"EHLO {ehlo}")

    async def close(self) -> None:
        """Close without QUIT."""
        self.writer.close()
        with contextlib.suppress(ConnectionError, ssl.SSLError):
            await self.writer.wait_closed()


def b64(text: str | bytes) -> str:
    """Base64 of a string or bytes."""
    return base64.b64encode(text.encode() if isinstance(text, str) else text).decode()


def pattern(profile: Profile, key: str) -> re.Pattern[str]:
    """A regex matching the profile's reply for key, whatever its placeholders become."""
    text = Behaviour(profile).text(key)  # as sent: RFC stand-ins may drop enhanced codes
    parts = re.split(r"(\{\w+\})", text)
    regex = "".join(
        re.escape(profile.host_token)
        if part == "{host}"
        else ".*?"
        if re.fullmatch(r"\{\w+\}", part)
        else re.escape(part)
        for part in parts
    )
    return re.compile(regex + r"\Z", re.S)


def matches(profile: Profile, key: str, reply: str) -> bool:
    """True when reply is exactly the profile's text for key (placeholders filled)."""
    return pattern(profile, key).match(reply) is not None
