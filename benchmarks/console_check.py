"""A check in the console, timed headless at 80x24: ctrl+t until the verdict.

    uv run python benchmarks/console_check.py [--runs N]

The check is ctrl+t on the guide's Office 365 draft until its worker ends (the simulator
already running). Median over N runs, in milliseconds. Target: within 1.5 s.
(A tab switch, as seen on a terminal, is timed by tab_switch.py.)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time

from _common import load, median, verdict

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen


async def one_check() -> float:
    """Milliseconds from ctrl+t to the verdict, in one fresh console on the Rehearse tab."""
    app = ConsoleApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press(*"11111", "c")
        await app.workers.wait_for_complete()
        await pilot.press("f7")
        while app.focused is None or app.focused.id != "trainer-toggles":  # panels mounted
            await asyncio.sleep(0.002)
        await pilot.pause()
        start = time.perf_counter()
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        return (time.perf_counter() - start) * 1000


def main() -> int:
    """Print the median and the verdict; 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    check = median([asyncio.run(one_check()) for _ in range(runs)])
    print(f"{runs} runs at 80x24, {load()}")
    print(f"check in the console (ctrl+t until the verdict): median {check:.0f} ms")
    return 0 if verdict("check / 1500 ms", check / 1500, 1.0) else 1


if __name__ == "__main__":
    sys.exit(main())
