"""The console's start: what its first screen does not wait for, and what it leaves to the GC."""

from __future__ import annotations

import subprocess
import sys

AFTER_FIRST_SCREEN = (
    "console.diagnosis",
    "console.tui.widgets.burst_panel",
    "console.tui.widgets.captured_table",
    "console.tui.widgets.check_panel",
    "console.tui.widgets.trainer_panel",
    "simulator.mailbox",
    "simulator.signin.tokens",
)


def test_the_console_app_imports_no_later_panel() -> None:
    probe = "import sys, console.tui.app; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = set(done.stdout.split())
    assert "console.tui.screens.main" in loaded
    assert not loaded & set(AFTER_FIRST_SCREEN), sorted(loaded & set(AFTER_FIRST_SCREEN))


def test_the_console_process_exempts_what_its_start_built_from_full_collections() -> None:
    # In a child process: a freeze is for the whole process, here it would keep test garbage.
    probe = """
import asyncio, gc
from console.tui.app import ConsoleApp

async def main(whole_process):
    gc.disable() if whole_process else None
    async with ConsoleApp(whole_process=whole_process).run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(gc.isenabled(), gc.get_freeze_count() > 10000)

asyncio.run(main(False))
asyncio.run(main(True))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["True False", "True True"], done.stdout
