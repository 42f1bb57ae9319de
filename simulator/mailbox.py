"""Accepted messages: the most recent kept in memory and, when asked, each written to a Maildir."""

from __future__ import annotations

import asyncio
import email
import email.policy
import itertools
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime
from pathlib import Path

from simulator.wire import printable


@dataclass(frozen=True)
class StoredMessage:
    """One accepted message with its envelope and when it was taken in."""

    envelope_from: str
    recipients: tuple[str, ...]
    raw: bytes = field(repr=False)
    user: str | None
    session: str
    accepted_virtual: float
    accepted_real: float
    deliver_at_virtual: float
    delayed: bool
    queue_id: str = ""
    path: Path | None = None

    @property
    def message(self) -> Message:
        """The parsed message, parsed on each use (a cached copy would hold the bytes twice)."""
        return parse(self.raw)

    @property
    def subject(self) -> str:
        """The Subject header, or an empty string."""
        return header(self.raw, "Subject") or ""

    def trace_headers(self) -> bytes:
        """The envelope and times as headers, put on top of the message in the Maildir."""
        fields = [
            ("Return-Path", f"<{self.envelope_from}>"),
            ("X-Simulator-Recipients", ", ".join(self.recipients)),
            ("X-Simulator-Session", f"{self.session} {self.queue_id} user={self.user or '-'}"),
            ("X-Simulator-Accepted", f"{_date(self.accepted_virtual)} (virtual)"),
            ("X-Simulator-Accepted-Real", _date(self.accepted_real)),
            ("X-Simulator-Deliver-At", f"{_date(self.deliver_at_virtual)} (virtual)"),
        ]
        return "".join(f"{name}: {printable(value)}\r\n" for name, value in fields).encode()


def _date(timestamp: float) -> str:
    return format_datetime(datetime.fromtimestamp(timestamp, UTC))


def parse(raw: bytes) -> Message:
    """Parse message bytes leniently (what a provider accepts, we accept)."""
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def header(raw: bytes, name: str) -> str | None:
    """The first header called `name` in a raw message, unfolded, without parsing the rest."""
    wanted = name.lower().encode("ascii") + b":"
    end = raw.find(b"\n\n")
    crlf_end = raw.find(b"\r\n\r\n")
    if crlf_end != -1 and (end == -1 or crlf_end < end):
        end = crlf_end
    block = raw if end == -1 else raw[:end]
    found: list[bytes] = []
    for line in block.split(b"\n"):
        line = line.rstrip(b"\r")
        if found and line[:1] in (b" ", b"\t"):
            found.append(line)
        elif found:
            break
        elif line[: len(wanted)].lower() == wanted:
            found.append(line[len(wanted) :])
    if not found:
        return None
    return " ".join(part.strip().decode("utf-8", "replace") for part in found)


class Maildir:
    """A Maildir (tmp/, new/, cur/) written with fsync before a message counts as stored."""

    def __init__(self, root: Path) -> None:
        self.root = root
        for sub in ("tmp", "new", "cur"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._host = socket.gethostname().replace("/", "_").replace(":", "_") or "localhost"

    def store(self, *parts: bytes) -> Path:
        """Write one message file from its parts; return its path in new/ once it is on disk."""
        name = f"{time.time_ns()}.P{os.getpid()}Q{next(self._counter)}.{self._host}"
        temporary = self.root / "tmp" / name
        final = self.root / "new" / name
        with open(temporary, "wb") as out:
            for part in parts:  # written one after the other: the message is never copied whole
                out.write(part)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, final)
        directory = os.open(self.root / "new", os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
        return final


Listener = Callable[[StoredMessage], None]


class Mailbox:
    """The most recent accepted messages, in order; Maildir files start with their envelope.

    `keep` bounds how many stay in memory (None: all of them); older ones are let go
    and counted in `let_go`, and stay in the Maildir when there is one.
    """

    def __init__(self, maildir: Path | None = None, *, keep: int | None = None) -> None:
        if keep is not None and keep < 0:
            raise ValueError(f"keep must be 0 or more, not {keep}")
        self.messages: list[StoredMessage] = []
        self.maildir = Maildir(maildir) if maildir else None
        self.keep = keep
        self.accepted = 0  # every message ever stored, also those let go since
        self.let_go = 0
        self._cleared_at = 0  # `accepted` when the memory was last cleared
        self._listeners: list[Listener] = []
        self._changed = asyncio.Event()

    async def store(self, message: StoredMessage) -> StoredMessage:
        """Keep a message (on disk first, when a Maildir is set) and return what was kept."""
        if self.maildir is not None:
            path = await asyncio.to_thread(self.maildir.store, message.trace_headers(), message.raw)
            message = replace(message, path=path)
        self.accepted += 1
        self.messages.append(message)
        if self.keep is not None and len(self.messages) > self.keep:
            excess = len(self.messages) - self.keep
            del self.messages[:excess]
            self.let_go += excess
        for listener in list(self._listeners):
            listener(message)
        self._changed.set()
        return message

    def since(self, accepted: int) -> list[StoredMessage]:
        """The messages still held that were stored after the first `accepted` ones."""
        first_held = self.accepted - len(self.messages)
        return self.messages[max(0, accepted - first_held) :]

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call `listener` with every later message as it is stored; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def wait_for(self, count: int, timeout: float = 5.0) -> list[StoredMessage]:
        """Wait until `count` messages were stored since the last clear; TimeoutError if not."""
        async with asyncio.timeout(timeout):
            while self.accepted - self._cleared_at < count:
                self._changed.clear()
                await self._changed.wait()
        return list(self.messages)

    def clear(self) -> None:
        """Forget the messages held in memory (the Maildir keeps its files)."""
        self.let_go += len(self.messages)
        self.messages.clear()
        self._cleared_at = self.accepted
