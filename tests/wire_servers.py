"""Small real servers on loopback for the check's tests: banners, drops, odd replies."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable
from types import TracebackType


class Peer:
    """One accepted connection, read line by line."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def send(self, data: str | bytes) -> None:
        """Send text (CRLF line ends added to a str) or raw bytes."""
        raw = data.encode("utf-8", "surrogateescape") + b"\r\n" if isinstance(data, str) else data
        with contextlib.suppress(OSError):
            self.sock.sendall(raw)

    def line(self) -> str | None:
        """The next line the client sent, or None once it closes."""
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(65536)
            except (OSError, ssl.SSLError):
                return None
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.rstrip(b"\r").decode("utf-8", "replace")


Handler = Callable[[Peer], None]


class Server:
    """A TCP server on 127.0.0.1 port 0 running `handle` in a thread per connection."""

    def __init__(self, handle: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handle, self.tls = handle, tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.connections = 0
        self.threads: list[threading.Thread] = []

    def __enter__(self) -> Server:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.handle(Peer(sock))
        except (OSError, ssl.SSLError):
            pass
        finally:
            with contextlib.suppress(OSError):
                sock.close()


def smtp(
    drop: str | None = None,
    greeting: str = "220 mail.test ESMTP Postfix",
    answers: dict[str, str] | None = None,
) -> Handler:
    """A small SMTP server; `drop` names the command (or "greeting") it hangs up on instead."""
    replies = {
        "EHLO": "250-mail.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME",
        "AUTH": "235 2.7.0 Authentication successful",
        "MAIL": "250 2.1.0 Ok",
        "RCPT": "250 2.1.5 Ok",
        "DATA": "354 End data with <CR><LF>.<CR><LF>",
        ".": "250 2.0.0 Ok: queued as 4XyZ",
        "QUIT": "221 2.0.0 Bye",
        **(answers or {}),
    }

    def handle(peer: Peer) -> None:
        if drop == "greeting":
            return
        peer.send(greeting)
        in_data = False
        while (line := peer.line()) is not None:
            verb = "." if in_data and line == "." else line.split(" ")[0].upper()
            if in_data and verb != ".":
                continue
            if verb == drop:
                return
            in_data = verb == "DATA"
            peer.send(replies.get(verb, "502 5.5.2 Error: command not recognized"))
            if verb == "QUIT":
                return

    return handle
