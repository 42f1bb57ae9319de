"""A virtual clock: real time times a speed factor, plus jumps made with advance()."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime


class VirtualClock:
    """Virtual epoch seconds; speed 3600 makes an hour pass each real second, 0 freezes it."""

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must be 0 or more, not {speed}")
        self._speed = float(speed)
        self._virtual_base = time.time() if start is None else float(start)
        self._real_base = time.monotonic()
        self._wakers: set[asyncio.Future[None]] = set()

    def now(self) -> float:
        """The virtual time, in seconds since the epoch."""
        return self._virtual_base + (time.monotonic() - self._real_base) * self._speed

    def datetime(self) -> datetime:
        """The virtual time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.now(), tz=UTC)

    @property
    def speed(self) -> float:
        """Virtual seconds per real second."""
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError(f"clock speed must be 0 or more, not {value}")
        self._rebase()
        self._speed = float(value)
        self._wake_all()

    def advance(
        self, *, seconds: float = 0, minutes: float = 0, hours: float = 0, days: float = 0
    ) -> float:
        """Jump forward in virtual time; sleepers whose moment has come wake up."""
        step = seconds + 60 * minutes + 3600 * hours + 86400 * days
        if step < 0:
            raise ValueError("the clock only moves forward")
        self._virtual_base += step
        self._wake_all()
        return self.now()

    def real_seconds(self, virtual_seconds: float) -> float:
        """How long a virtual span takes in real time at the current speed (inf when frozen)."""
        return virtual_seconds / self._speed if self._speed else float("inf")

    async def sleep_until(self, virtual_time: float) -> None:
        """Return once the virtual time reaches virtual_time, early if advance() passes it."""
        loop = asyncio.get_running_loop()
        while (remaining := virtual_time - self.now()) > 0:
            waker: asyncio.Future[None] = loop.create_future()
            self._wakers.add(waker)
            delay = self.real_seconds(remaining)
            timer = loop.call_later(delay, _wake, waker) if delay != float("inf") else None
            try:
                await waker
            finally:
                self._wakers.discard(waker)
                if timer is not None:
                    timer.cancel()

    async def sleep(self, virtual_seconds: float) -> None:
        """Sleep for a span of virtual time."""
        await self.sleep_until(self.now() + virtual_seconds)

    def _rebase(self) -> None:
        self._virtual_base = self.now()
        self._real_base = time.monotonic()

    def _wake_all(self) -> None:
        # Each sleeper re-checks the time and sleeps again if its moment has not come.
        # advance() may come from another thread (a simulator run in the background).
        try:
            current = asyncio.get_running_loop()
        except RuntimeError:
            current = None
        for waker in list(self._wakers):
            loop = waker.get_loop()
            if loop is current:
                _wake(waker)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(_wake, waker)


def _wake(waker: asyncio.Future[None]) -> None:
    if not waker.done():
        waker.set_result(None)
