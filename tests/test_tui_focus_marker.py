"""Every focusable widget shows a glyph when focused: a ▶ or a bar, never only a colour."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from console import store
from console.tui.app import ConsoleApp
from console.tui.focus import MARK
from console.tui.screens.choices import AskName, Choose, TextView
from console.tui.screens.confirm import Confirm
from console.tui.screens.export import ExportScreen
from console.tui.screens.help import HelpScreen
from console.tui.screens.lessons import LessonScreen
from console.tui.screens.open_channel import OpenChannel
from console.tui.screens.secret_source import SecretSourceDialog
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, office365_personal_channel, settle

# NO_COLOR changes what the console draws (textual's :nocolor styles, a monochrome filter).
# Colour depth does not: textual reads TEXTUAL_COLOR_SYSTEM once, when imported, and TERM only
# sets how colours would be written to a terminal, which run_test discards.
ENVIRONMENTS = {
    "16 colours": {"TERM": "xterm", "TEXTUAL_COLOR_SYSTEM": "standard"},
    "NO_COLOR": {"NO_COLOR": "1", "TERM": "xterm-256color"},
}


def screen_lines(app: ConsoleApp) -> list[str]:
    """The screen as text, as a terminal shows it."""
    update = app.screen._compositor.render_full_update(simplify=True)
    return ["".join(strip.text for strip in row) for row in update.strips]


def marker_for(app: ConsoleApp, widget: Widget) -> str:
    """Where the focused widget's marker is, or '' when it has none."""
    if widget.has_class("-marked"):
        assert widget.styles.outline_left[0] == "outer"
        return "bar"
    spots = [
        (x, y) for y, line in enumerate(screen_lines(app)) for x, c in enumerate(line) if c == MARK
    ]
    region = widget.region
    frame = widget.parent.region if isinstance(widget.parent, Widget) else region
    for x, y in spots:
        if region.contains(x, y) or (y == region.y and x < region.x) or frame.contains(x, y):
            assert len(spots) == 1, "\n".join(screen_lines(app))
            return MARK
    return ""


async def walk(pilot: Pilot[int], screen: Screen[object]) -> list[str]:
    """Focus each widget of the screen in turn; the ones that showed no marker."""
    unmarked = []
    for widget in list(screen.focus_chain):
        widget.focus()
        for _ in range(20):  # a loaded machine may take a few frames to draw it
            await pilot.pause()
            if marker_for(pilot.app, widget):  # type: ignore[arg-type]
                break
        else:
            unmarked.append(f"{type(widget).__name__}#{widget.id}")
    return unmarked


@pytest.mark.parametrize("environment", sorted(ENVIRONMENTS))
async def test_every_focusable_widget_of_every_tab_shows_a_marker(
    environment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENVIRONMENTS[environment].items():
        monkeypatch.setenv(name, value)
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        unmarked = []
        for key in ("f5", "f6", "f7", "f8", "f9", "f2"):
            await pilot.press(key)
            await pilot.pause()
            unmarked += await walk(pilot, app.screen)
        assert unmarked == []


async def test_the_check_screen_and_every_dialog_show_a_marker(channels_dir: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        assert screen.channel is not None
        store.save(screen.channel, channels_dir / "desk.toml")
        await pilot.press("ctrl+t")  # no secret typed: the stand-in signs in; fail it first
        screen.query_one("#trainer-toggles").focus()
        await pilot.press("enter")  # the first toggle: wrong password
        await pilot.press("ctrl+t")
        card = screen.query_one("#diagnosis")
        await settle(pilot, lambda: card.display and card.can_focus)
        unmarked = await walk(pilot, app.screen)
        dialogs: list[Screen[object]] = [
            Confirm("Connect?"),
            Choose("Keep?", [("s", "Save", "save"), ("d", "Discard", "discard")]),
            AskName("Name?", "desk-2"),
            TextView("Difference", "-a\n+b\n"),
            ExportScreen(screen.channel, "desk"),
            HelpScreen(),
            LessonScreen(),
            OpenChannel(store.list_channels(channels_dir), channels_dir),
            SecretSourceDialog(),
        ]
        for dialog in dialogs:
            app.push_screen(dialog)
            await pilot.pause()
            unmarked += [f"{type(dialog).__name__}: {w}" for w in await walk(pilot, dialog)]
            app.pop_screen()
            await pilot.pause()
        assert unmarked == []


async def test_focus_returns_where_it_was_after_a_dialog() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("f8")
        start = screen.query_one("#burst-start")
        start.focus()
        await pilot.pause()
        app.push_screen(Confirm("Send?"))
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is start
        assert start.has_class("-marked") and marker_for(app, start) == "bar"
