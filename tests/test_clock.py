"""The virtual clock: speed, advance, and sleepers that wake when time passes them."""

import asyncio
import threading
import time
from datetime import UTC, datetime

import pytest

from simulator.clock import VirtualClock


def test_frozen_clock_moves_only_with_advance() -> None:
    clock = VirtualClock(speed=0, start=1000.0)
    assert clock.now() == 1000.0
    clock.advance(seconds=5, minutes=1, hours=1, days=1)
    assert clock.now() == 1000.0 + 5 + 60 + 3600 + 86400


def test_speed_multiplies_real_time() -> None:
    clock = VirtualClock(speed=3600, start=0.0)
    began = time.monotonic()
    while time.monotonic() - began < 0.02:
        pass
    elapsed = time.monotonic() - began
    assert 3600 * 0.02 <= clock.now() <= 3600 * (elapsed + 0.01)


def test_changing_speed_keeps_the_time_continuous() -> None:
    clock = VirtualClock(speed=0, start=500.0)
    clock.speed = 1_000_000
    assert clock.now() >= 500.0
    clock.speed = 0
    frozen = clock.now()
    assert clock.now() == frozen


def test_datetime_is_aware_utc() -> None:
    clock = VirtualClock(speed=0, start=86400.0)
    assert clock.datetime() == datetime(1970, 1, 2, tzinfo=UTC)


def test_default_start_is_the_real_time() -> None:
    assert abs(VirtualClock().now() - time.time()) < 1


def test_bad_speed_and_backwards_steps_are_refused() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        VirtualClock(speed=-1)
    with pytest.raises(ValueError, match="forward"):
        VirtualClock().advance(seconds=-1)


async def test_sleep_until_wakes_when_advance_passes_the_target() -> None:
    clock = VirtualClock(speed=0, start=0.0)
    sleeper = asyncio.create_task(clock.sleep_until(3600))
    await asyncio.sleep(0)
    clock.advance(minutes=30)
    await asyncio.sleep(0)
    assert not sleeper.done()
    clock.advance(minutes=30)
    await asyncio.wait_for(sleeper, 1)
    assert clock.now() == 3600


async def test_sleep_until_follows_the_speed() -> None:
    clock = VirtualClock(speed=36000, start=0.0)
    began = time.monotonic()
    await clock.sleep(3600)  # an hour at 36000x: a tenth of a second
    assert clock.now() >= 3600
    assert 0.09 <= time.monotonic() - began < 1


async def test_speeding_up_wakes_a_sleeper_sooner() -> None:
    clock = VirtualClock(speed=1, start=0.0)
    sleeper = asyncio.create_task(clock.sleep(86400))
    await asyncio.sleep(0)
    clock.speed = 86400 * 50
    await asyncio.wait_for(sleeper, 1)  # at speed 1 this would take a day
    assert clock.now() >= 86400


async def test_past_target_returns_at_once() -> None:
    clock = VirtualClock(speed=0, start=100.0)
    await asyncio.wait_for(clock.sleep_until(50), 0.1)  # a frozen clock never reaches 50 again
    assert clock.now() == 100.0


async def test_cancelled_sleeper_leaves_no_waker() -> None:
    clock = VirtualClock(speed=0, start=0.0)
    sleeper = asyncio.create_task(clock.sleep(10))
    await asyncio.sleep(0)
    sleeper.cancel()
    with pytest.raises(asyncio.CancelledError):
        await sleeper
    assert not clock._wakers


def test_advance_from_another_thread_wakes_a_sleeper() -> None:
    clock = VirtualClock(speed=0, start=1000.0)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        started = threading.Event()

        async def sleeper() -> None:
            started.set()  # in the same step, sleep_until registers its waker
            await clock.sleep_until(1060.0)

        sleeping = asyncio.run_coroutine_threadsafe(sleeper(), loop)
        assert started.wait(5)
        clock.advance(minutes=1)
        sleeping.result(timeout=5)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
