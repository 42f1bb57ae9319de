"""The simulate command's log: never blocks serving, never lost at exit, bounded per client."""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

from console.logwriter import LineBudget, LogWriter

PASSWORD = "Log-pass-1"


def start(stdout: int | object, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    """A simulate process with its text log on `stdout`; its port, read from a port file."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    process = subprocess.Popen(
        [sys.executable, "-m", "console", "simulate", "office365", "--port", str(port), *args],
        stdout=stdout,  # type: ignore[arg-type]
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the simulator did not start listening")


def noops(port: int, count: int, width: int = 0) -> float:
    """Send `count` NOOPs (distinct, `width` characters of argument); the slowest reply's time."""
    slowest = 0.0
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
        for n in range(count):
            began = time.monotonic()
            code, _ = client.docmd("NOOP", f"{n:06d}" + "x" * width if width else "")
            slowest = max(slowest, time.monotonic() - began)
            assert code == 250
    return slowest


def test_a_reader_that_stops_reading_does_not_stop_the_server() -> None:
    reader, writer = os.pipe()  # nobody reads: the pipe fills after 64 KB
    try:
        process, port = start(writer)
        os.close(writer)
        slowest = noops(port, 150, width=900)  # about 270 KB of log
        assert slowest < 2.0, f"a reply took {slowest:.1f} s: the log blocked serving"
        assert noops(port, 3) < 2.0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0, "stops within its grace even if nobody reads"
    finally:
        os.close(reader)
        if process.poll() is None:
            process.kill()
    assert process.stderr is not None
    assert "Traceback" not in process.stderr.read().decode()


def test_the_log_is_complete_after_sigterm_and_ctrl_c(tmp_path: Path) -> None:
    for signum in (signal.SIGTERM, signal.SIGINT):
        path = tmp_path / f"log-{signum}.txt"
        with path.open("wb") as log:
            process, port = start(log.fileno(), "--account", f"alice@contoso.com:{PASSWORD}")
        noops(port, 1)
        process.send_signal(signum)  # at once: the last lines are still in the buffer
        assert process.wait(timeout=15) == 0
        text = path.read_text()
        assert "> NOOP" in text and "[session-close]" in text, text
        assert text.rstrip().endswith("stopped; 0 message(s) accepted")


def test_a_flooding_client_cannot_fill_the_log(tmp_path: Path) -> None:
    path = tmp_path / "log.txt"
    with path.open("wb") as log:
        process, port = start(log.fileno())
    noops(port, 2000)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=15) == 0
    lines = path.read_text().splitlines()
    assert len(lines) < 50, f"{len(lines)} lines for one client's repeated NOOPs"
    assert any("3997 repeated line(s) of this connection not shown" in line for line in lines)
    assert process.stderr is not None
    assert "3997 repeats summarised" in process.stderr.read().decode()


def test_a_stalled_pipe_costs_counted_lines_and_says_so() -> None:
    reader, writer = os.pipe()
    out = open(writer, "w")  # noqa: SIM115 (closed below, after the writer is done with it)
    log = LogWriter(out, flush_every=0.01, max_pending=10_000)
    began = time.monotonic()
    for n in range(20_000):  # ~1 MB, far more than the pipe and the buffer hold
        log.write(f"line {n:05d} " + "y" * 40)
    assert time.monotonic() - began < 2.0, "writing a line never waits for the reader"
    time.sleep(0.2)
    assert log.dropped > 0
    chunks: list[bytes] = []
    read = partial(os.read, reader, 1 << 16)
    drain = threading.Thread(target=lambda: chunks.extend(iter(read, b"")))
    drain.start()  # the reader comes back
    assert log.close(grace=5) == log.dropped
    out.close()
    drain.join(5)
    os.close(reader)
    text = b"".join(chunks).decode()
    assert "log line(s) dropped: the log's reader was not keeping up" in text
    kept = sum(1 for line in text.splitlines() if line.startswith("line "))
    assert kept + log.dropped == 20_000


def test_each_connection_has_a_share_of_lines_a_second() -> None:
    now = [0.0]
    budget = LineBudget(rate=10, burst=5, clock=lambda: now[0])
    kept = [budget.admit("s1", f"command {n}")[1] for n in range(8)]
    assert kept == [True] * 5 + [False] * 3
    assert budget.admit("s2", "command other")[1], "another connection has its own share"
    now[0] = 1.0
    notes, keep = budget.admit("s1", "command later")
    assert keep and notes == [
        "... 3 line(s) of this connection not logged (over its share of 10 lines a second)"
    ]
    assert budget.admit("", "control")[1], "the simulator's own lines are never held back"
