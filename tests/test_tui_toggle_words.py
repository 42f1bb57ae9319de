"""At 80x24 every trainer toggle's on or off shows in full, not cut off by the panel's edge."""

from __future__ import annotations

from textual.widgets import SelectionList

from console.tui.app import ConsoleApp
from console.tui.rehearsal import TOGGLES
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, settle


async def test_each_toggle_says_on_or_off_within_the_panel_at_80x24() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("f7")  # the first draft is Office 365: the longest list, so it scrolls
        await settle(pilot, lambda: screen.rehearsal.provider == "office365")
        toggles = screen.query_one("#trainer-toggles", SelectionList)
        await settle(pilot, lambda: toggles.max_scroll_y > 0)
        mark = 4  # the checkbox and a space before each prompt
        room = toggles.scrollable_content_region.width - mark
        too_long = [t.label for t in TOGGLES if len(f"{t.label}: off") > room]
        assert not too_long, f"{room} columns for a prompt"
