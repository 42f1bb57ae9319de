"""The check at 80x24: every transcript line and diagnosis word readable by keyboard, masked."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import RichLog, Static

from console import paths
from console.tui.app import ConsoleApp
from console.tui.widgets.diagnosis_card import DiagnosisCard
from tests.console_pilot import started
from tests.test_tui_flows import ALICE, PASSWORD, office365_personal_channel, type_into


async def failed_check(pilot: object) -> None:
    """An Office 365 channel whose password the trainer rotated: the check fails at auth."""
    screen = await office365_personal_channel(pilot)  # type: ignore[arg-type]
    await type_into(pilot, "auth-username", ALICE)  # type: ignore[arg-type]
    await type_into(pilot, "sender-from", ALICE)  # type: ignore[arg-type]
    await type_into(pilot, "auth-password", PASSWORD)  # type: ignore[arg-type]
    await pilot.press("f7")  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]
    screen.query_one("#trainer-toggles").focus()
    await pilot.press("down", "space")  # type: ignore[attr-defined]
    await pilot.press("ctrl+t")  # type: ignore[attr-defined]
    await screen.app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]


async def test_transcript_wraps_and_the_diagnosis_scrolls_at_80x24(isolated_config: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await failed_check(pilot)
        screen = app.screen
        log = screen.query_one("#transcript", RichLog)
        width = log.scrollable_content_region.width
        assert log.lines and max(line.cell_length for line in log.lines) <= width
        text = "\n".join(line.text for line in log.lines)
        assert "535" in text and PASSWORD not in text

        card = screen.query_one(DiagnosisCard)
        assert card.display and card.can_focus
        body = str(card.query_one("#diagnosis-text", Static).render())
        assert "Fix" in body
        card.focus()
        await pilot.pause()
        assert app.focused is card
        await pilot.press("end")
        await pilot.wait_for_scheduled_animations()  # the card scrolls there, animated
        assert card.scroll_y == card.max_scroll_y
        assert card.region.height >= 3

        toasts = list(app.screen.query("Toast"))
        assert all(t.region.y < card.region.y for t in toasts)


async def test_the_transcript_is_copied_and_saved_masked(isolated_config: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        await failed_check(pilot)
        app.screen.query_one("#transcript").focus()
        await pilot.press("y")
        await pilot.pause()
        assert "AUTH" in app.clipboard and PASSWORD not in app.clipboard
        await pilot.press("w")
        await pilot.pause()
        [saved] = (paths.config_dir() / "transcripts").glob("check-*.txt")
        text = saved.read_text()
        assert text == app.clipboard and PASSWORD not in text


async def test_below_the_smallest_size_the_console_says_so() -> None:
    app = ConsoleApp()
    async with started(app, size=(50, 14)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert screen.has_class("-too-small")
        message = str(screen.query_one("#too-small", Static).render())
        assert "50x14" in message and "60x18" in message
        assert not screen.query_one("#body").display
    app = ConsoleApp()
    async with started(app, size=(60, 20)) as pilot:
        await pilot.pause()
        assert not app.screen.has_class("-too-small")
        await pilot.resize_terminal(40, 12)
        await pilot.pause()
        assert app.screen.has_class("-too-small") and app.is_running
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert not app.screen.has_class("-too-small") and app.screen.query_one("#body").display


async def test_the_focus_comes_back_when_the_terminal_is_large_enough_again() -> None:
    for first_size in ((80, 24), (50, 14)):  # shrunk while in use, or too small from the start
        app = ConsoleApp()
        async with started(app, size=first_size) as pilot:
            await pilot.press("f6")
            await pilot.pause()
            await pilot.resize_terminal(50, 14)
            await pilot.pause()
            if first_size == (80, 24):
                assert app.focused is None  # hidden with the panes
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            focused = app.focused
            assert focused is not None and focused.id == "channel-name", first_size
