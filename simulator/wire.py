"""What comes over the wire: command lines, message bodies, BDAT chunks, paths, parameters."""

from __future__ import annotations

import asyncio
import re

from simulator.events import MASK

CHUNK_PIECE = 65536  # bytes read at a time, so a chunk is never buffered twice
DATA_END = b"\r\n.\r\n"
MECHANISMS = frozenset(
    {"PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "XOAUTH2", "OAUTHBEARER", "NTLM", "GSSAPI"}
    | {"SCRAM-SHA-1", "SCRAM-SHA-256", "EXTERNAL", "ANONYMOUS"}
)
_PATH = re.compile(r'^(?:<([^<>\s"]{1,256})>|([^<>\s"]{1,256}))(?:\s+(.*))?$')


# Octets a line may take, its line end included: aiosmtpd's 1,001 before the line feed for
# any command, and RFC 4954's 12,288 for an AUTH command or a SASL continuation line.
COMMAND_LINE_LIMIT = 1002
AUTH_LINE_LIMIT = 12288
READER_LIMIT = AUTH_LINE_LIMIT  # the StreamReader's own limit: the longest line read at all


class LineTooLong(Exception):
    """The line was over its limit and has been read and dropped."""

    def __init__(self, auth: bool) -> None:
        super().__init__("line too long")
        self.auth = auth  # True when it was an AUTH command line


def is_auth(line: bytes) -> bool:
    """True when the line is an AUTH command."""
    return line[:5].upper() in (b"AUTH ", b"AUTH\r", b"AUTH\n", b"AUTH")


async def read_command(reader: asyncio.StreamReader) -> bytes:
    """One command line without its line end; LineTooLong when over its command's limit."""
    line = await _read_raw(reader)
    auth = is_auth(line)
    if line.endswith(b"\n") and len(line) <= (AUTH_LINE_LIMIT if auth else COMMAND_LINE_LIMIT):
        return line.rstrip(b"\r\n")
    raise LineTooLong(auth=auth)


async def read_sasl_line(reader: asyncio.StreamReader) -> bytes:
    """One SASL continuation line without its line end; LineTooLong when over 12,288 octets."""
    line = await _read_raw(reader)
    if line.endswith(b"\n") and len(line) <= AUTH_LINE_LIMIT:
        return line.rstrip(b"\r\n")
    raise LineTooLong(auth=True)


async def _read_raw(reader: asyncio.StreamReader) -> bytes:
    """One line with its line end; only its start when longer than the reader holds."""
    try:
        return await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError as error:
        head = await reader.readexactly(error.consumed)
        while True:  # drop the rest of the line, holding nothing
            try:
                await reader.readuntil(b"\n")
                return head[:16]
            except asyncio.LimitOverrunError as more:
                await reader.readexactly(more.consumed)


async def read_body(reader: asyncio.StreamReader, limit: int) -> bytes | None:
    """The message up to CRLF.CRLF, unstuffed; None when it was over `limit` bytes."""
    # Only a dot line begun after CRLF ends the data: a bare LF ending it would let a client
    # smuggle a second message past the one it declared (as Postfix, Exim and Sendmail
    # refuse). The whole message is found with one search, not read line by line.
    pieces: list[bytes] = []
    read = dots = 0  # bytes read, and dots to unstuff among them (the final one included)
    tail = b"\r\n"  # the end of what was read: the DATA line's, as the message starts a line
    while (begun := _data_end_begun(tail)) < len(DATA_END):
        if begun:  # the end may be right here: read no further than it would reach
            piece = await reader.readexactly(len(DATA_END) - begun)
        else:
            try:
                piece = await reader.readuntil(DATA_END)
            except asyncio.LimitOverrunError as error:  # a long message arrives in pieces
                piece = await reader.readexactly(error.consumed)
        dots += piece.count(b"\r\n.") + (tail[-2:] + piece[:2]).count(b"\r\n.")
        read += len(piece)
        tail = piece[-5:] if len(piece) >= 5 else (tail + piece)[-5:]
        if read - dots - 2 <= limit:  # the unstuffed size so far, less the final CRLF
            pieces.append(piece)
        elif pieces:
            pieces.clear()  # keep reading to the end, holding nothing
    if read - dots - 2 > limit:
        return None
    body = b"".join(pieces)[:-3]  # the final ".\r\n" goes; the CRLF before it is the body's
    if body.startswith(b"."):
        body = body[1:]
    return body.replace(b"\r\n.", b"\r\n") if b"\r\n." in body else body


def _data_end_begun(tail: bytes) -> int:
    """How many bytes of DATA_END the end of `tail` holds (all five: the data has ended)."""
    for size in range(len(DATA_END), 0, -1):
        if tail.endswith(DATA_END[:size]):
            return size
    return 0


async def read_chunk(reader: asyncio.StreamReader, size: int, sink: bytearray | None) -> None:
    """Read exactly `size` bytes of a BDAT chunk in pieces, onto sink, or dropped if None."""
    while size > 0:
        piece = await reader.readexactly(min(size, CHUNK_PIECE))
        size -= len(piece)
        if sink is not None:
            sink += piece


def simple_path(text: str) -> tuple[str, str] | None:
    """The address and parameters of `<addr> PARAMS` or `addr PARAMS`; None for anything else."""
    found = _PATH.match(text)
    if found is None:
        return None
    return found.group(1) or found.group(2), found.group(3) or ""


def size_param(params: str) -> int | None:
    """The SIZE= value among MAIL FROM parameters, if any."""
    for param in params.split():
        name, _, value = param.partition("=")
        if name.upper() == "SIZE" and value.isdigit():
            return int(value)
    return None


def looks_like_auth(line: bytes) -> bool:
    """True for AUTH and anything resembling it (AUTH=PLAIN, a leading space, any case)."""
    return line.lstrip()[:4].upper() == b"AUTH"


def masked_command(line: bytes) -> str:
    """The command as it may be logged: what follows an AUTH-like verb is masked."""
    if looks_like_auth(line):
        verb, _, rest = line.strip().partition(b" ")
        mechanism, _, initial = rest.strip().partition(b" ")
        if verb.upper() != b"AUTH":
            return f"AUTH {MASK}"  # AUTH=PLAIN <base64> and other malformed forms
        name = mechanism.decode("ascii", "replace").upper()
        shown = name if name in MECHANISMS else MASK  # a secret sent in the mechanism's place
        return f"AUTH {shown}" + (f" {MASK}" if initial.strip() else "")
    return printable(line.decode("utf-8", "replace"))


def printable(text: str) -> str:
    """The text with control and undecodable characters shown as '?'."""
    if text.isprintable() and text.isascii():
        return text
    text = text.encode("utf-8", "replace").decode()
    return "".join(c if c.isprintable() else "?" for c in text)
