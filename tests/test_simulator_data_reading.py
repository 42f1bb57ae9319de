"""A message body is read to the first CRLF.CRLF and unstuffed, however it arrives."""

from __future__ import annotations

import asyncio

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.wire import read_body

# Bytes that make line ends, dot lines and their near misses likely.
PARTS = st.sampled_from([b"\r", b"\n", b".", b"\r\n", b"\r\n.", b"x", b"ab", b".."])


def spec(stream: bytes) -> tuple[bytes, bytes]:
    """The body and what follows it, by definition: the data starts a line, as after DATA."""
    framed = b"\r\n" + stream
    end = framed.index(b"\r\n.\r\n")
    return framed[: end + 2].replace(b"\r\n.", b"\r\n")[2:], framed[end + 5 :]


async def read(stream: bytes, pieces: list[int], limit: int, reader_limit: int) -> tuple:
    """What read_body returns and leaves behind when `stream` arrives in `pieces`."""
    reader = asyncio.StreamReader(limit=reader_limit)

    async def feed() -> None:
        at = 0
        for size in pieces:
            reader.feed_data(stream[at : at + size])
            at += size
            await asyncio.sleep(0)
        reader.feed_data(stream[at:])
        reader.feed_eof()

    feeding = asyncio.create_task(feed())
    body = await read_body(reader, limit)
    await feeding
    return body, await reader.read()


@settings(max_examples=400, deadline=None)
@given(
    message=st.lists(PARTS, max_size=40).map(b"".join),
    after=st.lists(PARTS, max_size=8).map(b"".join),
    pieces=st.lists(st.integers(1, 12), max_size=12),
    reader_limit=st.integers(6, 24),
)
def test_the_body_ends_at_the_first_dot_line_after_crlf(
    message: bytes, after: bytes, pieces: list[int], reader_limit: int
) -> None:
    stream = message + b"\r\n.\r\n" + after
    body, rest = spec(stream)
    got = asyncio.run(read(stream, pieces, 1 << 20, reader_limit))
    assert got == (body, rest)


@settings(max_examples=200, deadline=None)
@given(
    message=st.lists(PARTS, max_size=40).map(b"".join),
    pieces=st.lists(st.integers(1, 12), max_size=12),
    limit=st.integers(0, 60),
)
def test_a_body_over_the_limit_is_dropped_and_the_stream_kept_in_step(
    message: bytes, pieces: list[int], limit: int
) -> None:
    stream = message + b"\r\n.\r\nQUIT\r\n"
    body, rest = spec(stream)
    got = asyncio.run(read(stream, pieces, limit, 8))
    assert got == (body if len(body) <= limit else None, rest)


def test_an_empty_message_and_one_of_a_single_blank_line() -> None:
    assert asyncio.run(read(b".\r\nQUIT\r\n", [], 100, 64)) == (b"", b"QUIT\r\n")
    assert asyncio.run(read(b"\r\n.\r\n", [1, 1, 1], 100, 64)) == (b"\r\n", b"")
    assert asyncio.run(read(b"..x\r\n.\r\n", [2], 100, 64)) == (b".x\r\n", b"")
