"""Accepting connections: a real backlog, a cap on open connections, and no descriptors lost."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

BACKLOG = 1024  # connects queued by the kernel before the simulator takes them
EXHAUSTED_PAUSE = 0.2  # seconds between tries while the process has no descriptors left
REFUSAL_TIMEOUT = 2.0  # seconds a refused client gets to take its 421
_EXHAUSTION = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

Serve = Callable[[socket.socket], Awaitable[None]]


def listening_socket(host: str, port: int, backlog: int = BACKLOG) -> socket.socket:
    """A non-blocking socket bound to host:port and listening."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(backlog)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock


class Listener:
    """Takes connections from a listening socket and hands each to `serve`."""

    def __init__(self, sock: socket.socket, serve: Serve) -> None:
        self.sock = sock
        self._serve = serve
        self._pending: set[asyncio.Task[None]] = set()
        self._task = asyncio.create_task(self._run())

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.sock.getsockname()[1])

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        exhausted = False
        while True:
            try:
                conn, _ = await loop.sock_accept(self.sock)
            except OSError as error:
                if error.errno not in _EXHAUSTION:
                    log.warning("accepting a connection failed: %s", error.strerror)
                    continue
                # Said once, not per try: the condition lasts until clients leave.
                if not exhausted:
                    log.error("no descriptors left (%s): new connections wait", error.strerror)
                    exhausted = True
                await asyncio.sleep(EXHAUSTED_PAUSE)
                continue
            if exhausted:
                log.warning("descriptors available again: accepting connections")
                exhausted = False
            task = asyncio.create_task(self._hand_over(conn))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)
            await asyncio.sleep(0)  # a burst of connects must not starve the sessions

    async def _hand_over(self, conn: socket.socket) -> None:
        try:
            await self._serve(conn)
        except Exception as error:  # e.g. a TLS handshake that failed
            log.debug("connection dropped before its session began: %s", error)
            conn.close()

    async def close(self) -> None:
        """Stop accepting and close the listening socket."""
        self._task.cancel()
        for task in list(self._pending):
            task.cancel()
        await asyncio.gather(self._task, *self._pending, return_exceptions=True)
        self.sock.close()


async def refuse(conn: socket.socket, text: str) -> None:
    """Send a one-line reply to a connection not taken into service, then close it."""
    loop = asyncio.get_running_loop()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(loop.sock_sendall(conn, text.encode() + b"\r\n"), REFUSAL_TIMEOUT)
    conn.close()
