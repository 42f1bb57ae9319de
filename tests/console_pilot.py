"""The console under Textual's pilot, once its deferred panes are mounted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from textual.pilot import Pilot

from console.tui.app import ConsoleApp
from console.tui.widgets.later import Later


@asynccontextmanager
async def started(app: ConsoleApp, **options: Any) -> AsyncIterator[Pilot[int]]:
    """`app.run_test(**options)`, yielding once no pane waits to be mounted (as a user finds it)."""
    async with app.run_test(**options) as pilot:
        await all_mounted(pilot)
        yield pilot


async def all_mounted(pilot: Pilot[Any]) -> None:
    """Wait until the screen's stand-ins (Later) have been replaced by their panes, laid out."""
    for _ in range(200):
        await pilot.pause()
        if not pilot.app.screen.query(Later):
            # The last pane may have been mounted after this pause's layout: one more, so that
            # its region is where a user sees it (a test read a width of 0 on a loaded machine).
            await pilot.pause()
            return
    raise AssertionError("the console's panes were never mounted")
