"""Pictures of the console's main states at 80x24, 120x40 and 160x45 (pytest-textual-snapshot)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from console.tui.app import ConsoleApp
from tests.console_pilot import all_mounted

Snap = Callable[..., bool]
GUIDE_TO_OFFICE365_PERSONAL = ["1", "1", "1", "1", "1"]


@pytest.fixture(autouse=True)
def fixed_channels_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    """The save path shown in the preview must not vary from run to run."""
    monkeypatch.setenv("SMTP_CONSOLE_CHANNELS_DIR", "/nonexistent/smtp-console/channels")


async def settled(pilot: Pilot[Any]) -> None:
    await all_mounted(pilot)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_first_question_80x24(snap_compare: Snap) -> None:
    assert snap_compare(ConsoleApp(), terminal_size=(80, 24), run_before=settled)


def test_recommendation_beside_the_editor_120x40(snap_compare: Snap) -> None:
    assert snap_compare(
        ConsoleApp(),
        terminal_size=(120, 40),
        press=GUIDE_TO_OFFICE365_PERSONAL,
        run_before=settled,
    )


def test_editor_with_problems_80x24(snap_compare: Snap) -> None:
    async def draft(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press(*GUIDE_TO_OFFICE365_PERSONAL, "c")
        pilot.app.clear_notifications()
        pilot.app.screen.set_focus(None)  # no blinking cursor in the picture
        await pilot.pause()

    assert snap_compare(ConsoleApp(), terminal_size=(80, 24), run_before=draft)


def test_editor_and_preview_120x40(snap_compare: Snap) -> None:
    async def draft(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press(*GUIDE_TO_OFFICE365_PERSONAL, "c", *"-desk")
        pilot.app.clear_notifications()
        pilot.app.screen.set_focus(None)  # no blinking cursor in the picture
        await pilot.pause()

    assert snap_compare(ConsoleApp(), terminal_size=(120, 40), run_before=draft)


def test_help_80x24(snap_compare: Snap) -> None:
    assert snap_compare(ConsoleApp(), terminal_size=(80, 24), press=["f1"], run_before=settled)


def test_guide_beside_the_editor_160x45(snap_compare: Snap) -> None:
    async def answered(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        await pilot.press("1", "1")
        await settled(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(ConsoleApp(), terminal_size=(160, 45), run_before=answered)
