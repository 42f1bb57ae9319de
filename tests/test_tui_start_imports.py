"""What the console's first screen does not wait for: modules of panels that mount after it."""

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
