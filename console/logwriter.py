"""The simulate command's log: buffered, written by a thread on a short timer, never blocking.

Serving comes first: a reader that stops reading (`simulate | sleep 90`) costs dropped
lines, counted and reported, never a stalled event loop. One connection cannot fill the
log either: repeated lines are summarised and each connection has a budget of lines.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

FLUSH_EVERY = 0.1  # seconds between writes: one write per batch, not one per line
MAX_PENDING = 1 << 20  # characters waiting for the reader before new lines are dropped
CLOSE_GRACE = 2.0  # seconds the last lines get at exit when the reader is slow
LINES_PER_SECOND = 2000.0  # each connection's sustained share of the log
LINE_BURST = 10000.0  # lines a connection may log at once before its share applies


class LogWriter:
    """Queues lines from the event loop; a background thread writes them out in batches."""

    def __init__(
        self,
        out: TextIO,
        *,
        flush_every: float = FLUSH_EVERY,
        max_pending: int = MAX_PENDING,
        on_gone: Callable[[], None] | None = None,
    ) -> None:
        self.out = out
        self.flush_every = flush_every
        self.max_pending = max_pending
        self.on_gone = on_gone
        self.dropped = 0  # lines never written: the reader was too far behind or gone
        self.gone = False
        self._unreported = 0
        self._pending: list[str] = []
        self._size = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = False
        self._fd = _fileno(out)
        self._encoding = getattr(out, "encoding", None) or "utf-8"
        self._thread = threading.Thread(target=self._run, name="simulate-log", daemon=True)
        self._thread.start()

    def write(self, line: str) -> None:
        """Queue one line (never blocks); drop and count it when the reader lags too far."""
        with self._lock:
            if self.gone or self._size + len(line) >= self.max_pending:
                self.dropped += 1
                self._unreported += 1
                return
            if self._unreported:
                self._queue(_dropped_note(self._unreported))
                self._unreported = 0
            self._pending.append(line)
            self._size += len(line) + 1

    def _queue(self, line: str) -> None:
        self._pending.append(line)
        self._size += len(line) + 1

    def close(self, grace: float = CLOSE_GRACE) -> int:
        """Write what is queued (waiting at most `grace` seconds); the lines lost in all."""
        with self._lock:
            if self._unreported and not self.gone:
                self._queue(_dropped_note(self._unreported))
                self._unreported = 0
            self._closing = True
        self._wake.set()
        self._thread.join(grace)
        if self._thread.is_alive():  # still blocked on a reader that stopped reading
            with self._lock:
                self.dropped += len(self._pending)
                self._pending.clear()
        return self.dropped

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_every)
            closing = self._closing
            self._flush()
            if closing:
                return

    def _flush(self) -> None:
        with self._lock:
            batch, self._pending, self._size = self._pending, [], 0
        if not batch or self.gone:
            return
        text = "\n".join(batch) + "\n"
        try:
            if self._fd is None:
                self.out.write(text)
                self.out.flush()
                return
            data = memoryview(text.encode(self._encoding, "backslashreplace"))
            while data:
                data = data[os.write(self._fd, data) :]
        except (BrokenPipeError, ValueError):  # the reader went away, or the stream closed
            with self._lock:
                self.gone = True
                self.dropped += len(batch)
            if self.on_gone is not None:
                self.on_gone()


def _fileno(out: TextIO) -> int | None:
    """The stream's descriptor, after flushing what Python buffered (None: not a real file)."""
    try:
        out.flush()
        return out.fileno()
    except (OSError, ValueError, AttributeError):
        return None


def _dropped_note(count: int) -> str:
    return f"... {count} log line(s) dropped: the log's reader was not keeping up"


@dataclass
class _Share:
    """One connection's log budget and its recent lines."""

    tokens: float
    stamp: float
    recent: deque[str] = field(default_factory=lambda: deque(maxlen=3))
    repeated: int = 0
    over: int = 0


class LineBudget:
    """Per connection: repeats summarised, and at most `rate` lines a second after a burst."""

    def __init__(
        self,
        rate: float = LINES_PER_SECOND,
        burst: float = LINE_BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self.summarised = 0  # repeated lines left out
        self.over_budget = 0  # lines left out because a connection logged too fast
        self._shares: dict[str, _Share] = {}

    def admit(self, session: str, key: str, *, last: bool = False) -> tuple[Sequence[str], bool]:
        """Notes to log first, and whether to log this line; `last` ends the connection."""
        if not session:  # the simulator's own lines (controls, scenario) are never held back
            return (), True
        share = self._shares.get(session)
        now = self.clock()
        if share is None:
            share = self._shares[session] = _Share(self.burst, now)
        recent = share.recent
        # A line continuing a cycle of one or two lines (NOOP, 250, NOOP, 250...) is a repeat.
        repeat = len(recent) == 3 and (
            key == recent[-1] == recent[-2] or (key == recent[-2] and recent[-1] == recent[-3])
        )
        recent.append(key)
        if repeat and not last:
            share.repeated += 1
            self.summarised += 1
            return (), False
        notes: list[str] = []
        if share.repeated:
            notes.append(f"... {share.repeated} repeated line(s) of this connection not shown")
            share.repeated = 0
        if self.rate > 0:
            share.tokens = min(self.burst, share.tokens + (now - share.stamp) * self.rate)
            share.stamp = now
            if share.tokens < 1 and not last:
                share.over += 1
                self.over_budget += 1
                return notes, False
            share.tokens -= 1
        if share.over:
            notes.append(
                f"... {share.over} line(s) of this connection not logged "
                f"(over its share of {self.rate:g} lines a second)"
            )
            share.over = 0
        if last:
            del self._shares[session]
        return notes, True


def report(out: TextIO, writer: LogWriter, budget: LineBudget) -> None:
    """Say on stderr what the log left out, if anything."""
    parts = []
    if writer.dropped:
        parts.append(f"{writer.dropped} line(s) dropped because the log's reader lagged")
    if budget.over_budget:
        parts.append(f"{budget.over_budget} over a connection's share")
    if budget.summarised:
        parts.append(f"{budget.summarised} repeats summarised")
    if parts:
        print(f"smtp-console simulate: log: {'; '.join(parts)}", file=out or sys.stderr)
