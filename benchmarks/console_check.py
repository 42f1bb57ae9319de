"""Keys in the console, timed headless at 80x24: a tab switch, and a check against the simulator.

    uv run python benchmarks/console_keys.py [--runs N]

A tab switch is F7 (Rehearse) from the Channel tab, once both have been shown, timed until
the tab's first field has the focus (the key is posted as the terminal driver posts it; no
Pilot waits). The check is ctrl+t on the guide's Office 365 draft until its worker ends
(the simulator already running). Medians over N runs, in milliseconds. Targets: a tab switch
within 100 ms (it feels immediate), a check within 1.5 s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from _common import load, median, verdict
from textual import events
from textual.pilot import Pilot

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen


async def switch_to(pilot: Pilot[int], key: str, field: str) -> float:
    """Seconds from the key to the focus on the tab's first field."""
    app = pilot.app
    start = time.perf_counter()
    app.post_message(events.Key(key, None))
    while app.focused is None or app.focused.id != field:
        await asyncio.sleep(0.002)
    return time.perf_counter() - start


async def one_run() -> tuple[float, float]:
    """Milliseconds for a tab switch and for a check in one fresh console."""
    app = ConsoleApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press(*"11111", "c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await switch_to(pilot, "f7", "trainer-toggles")  # the first visit mounts the panels
        await switch_to(pilot, "f6", "channel-name")
        switch = await switch_to(pilot, "f7", "trainer-toggles")
        start = time.perf_counter()
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        check = time.perf_counter() - start
    return switch * 1000, check * 1000


def main() -> int:
    """Print the medians and the verdicts; 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    results = [asyncio.run(one_run()) for _ in range(runs)]
    switch = median([r[0] for r in results])
    check = median([r[1] for r in results])
    print(f"{runs} runs at 80x24, {load()}")
    print(f"tab switch (F7 again, until its first field has focus): median {switch:.0f} ms")
    print(f"check in the console (ctrl+t until the verdict):     median {check:.0f} ms")
    met = verdict("tab switch / 100 ms", switch / 100, 1.0)
    met = verdict("check / 1500 ms", check / 1500, 1.0) and met
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
