"""Fuzz the reply reader: any bytes at any pace; no traceback, no unbounded read, no hang."""

from __future__ import annotations

import asyncio
import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.check import run_check
from console.check_wire import KEPT
from console.target import Target

TIMEOUT = 0.1
SECRET = "Fuzz-canary-5d21"
FRAGMENTS = [
    b"220 ",
    b"220-",
    b"250-",
    b"250 ",
    b"334 ",
    b"\r\n",
    b"\n",
    b"\r",
    b"\x00",
    b"\x1b[2J",
    b"* OK ",
    b"+OK ",
    b"SSH-2.0-",
    b"HTTP/1.1 200 OK",
    b"\x16\x03\x01\x00\x05",
    b"1_0 ",
    b" 25 ",
    b"-1 ",
    b"999 ",
    b"\xff\xfe",
    b"A" * 9000,
]
chunk = st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=64))
script = st.lists(st.tuples(chunk, st.sampled_from([0.0, 0.0, 0.02])), max_size=12)


async def _serve(
    before: bytes, chunks: list[tuple[bytes, float]], close: bool
) -> tuple[int, object]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(before)
            if before:
                await reader.readline()
            for data, pause in chunks:
                writer.write(data)
                await writer.drain()
                if pause:
                    await asyncio.sleep(pause)
            if not close:
                await reader.read(1 << 16)
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server.sockets[0].getsockname()[1], server


async def _check(before: bytes, chunks: list[tuple[bytes, float]], close: bool) -> None:
    port, server = await _serve(before, chunks, close)
    target = Target(
        "127.0.0.1",
        port,
        "none",
        "a@example.com",
        "plain",
        "a@example.com",
        SECRET,
        timeout=TIMEOUT,
    )
    began = time.perf_counter()
    try:
        report = await run_check(target)
    finally:
        server.close()  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - began
    # greeting: its wait, one nudge and one TLS probe, each at most the timeout
    assert elapsed < 3 * TIMEOUT + 4 * TIMEOUT, elapsed
    assert report.stages and all(s.status != "running" for s in report.stages)
    document = json.dumps(report.to_dict())
    assert SECRET not in document
    assert len(document) < 64 * KEPT


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=script, close=st.booleans())
def test_any_greeting_ends_in_a_report(chunks: list[tuple[bytes, float]], close: bool) -> None:
    asyncio.run(_check(b"", chunks, close))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=script, close=st.booleans())
def test_any_ehlo_reply_ends_in_a_report(chunks: list[tuple[bytes, float]], close: bool) -> None:
    asyncio.run(_check(b"220 fuzz.test ESMTP\r\n", chunks, close))


def test_an_endless_reply_is_cut_off() -> None:
    async def flood() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                for _ in range(2000):  # 64 MB if the client kept reading
                    writer.write(b"220-" + b"x" * 32764)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        began = time.perf_counter()
        report = await run_check(Target("127.0.0.1", port, "none", "a@example.com", timeout=2))
        server.close()
        assert time.perf_counter() - began < 2
        assert report.diagnosis is not None and report.diagnosis.id == "port-speaks-something-else"
        assert "32 KiB" in report.stage("greeting").detail

    asyncio.run(flood())


def test_a_slow_drip_stops_at_the_timeout() -> None:
    async def drip() -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                for _ in range(100):
                    writer.write(b"220-still here\r\n")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            except (ConnectionError, OSError):
                pass
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        began = time.perf_counter()
        report = await run_check(Target("127.0.0.1", port, "none", "a@example.com", timeout=0.5))
        server.close()
        assert time.perf_counter() - began < 0.5 * 3 + 0.5
        assert report.failed_stage is not None and report.failed_stage.name == "greeting"
        assert report.diagnosis is not None and report.diagnosis.id == "greeting-missing"

    asyncio.run(drip())
