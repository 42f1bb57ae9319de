"""Keyboard-only use: every binding named, the FAQ and tabs reachable by keys at 80x24."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input, TabbedContent

from console.tui.app import ConsoleApp
from console.tui.screens.confirm import Confirm
from console.tui.screens.help import HelpScreen
from console.tui.screens.main import MainScreen
from console.tui.screens.message_viewer import MessageViewer
from console.tui.screens.open_channel import OpenChannel
from console.tui.screens.secret_source import SecretSourceDialog
from console.tui.widgets.guide_panel import GuidePanel
from tests.console_pilot import started


def test_every_binding_has_an_id_and_a_tooltip() -> None:
    owners = (
        ConsoleApp,
        MainScreen,
        GuidePanel,
        Confirm,
        HelpScreen,
        MessageViewer,
        OpenChannel,
        SecretSourceDialog,
    )
    bindings = [b for owner in owners for b in owner.BINDINGS if isinstance(b, Binding)]
    ids = [b.id for b in bindings]
    assert all(ids) and len(ids) == len(set(ids))
    assert all(b.tooltip for b in bindings)


async def test_faq_and_tabs_by_keyboard_at_80x24() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        faq = screen.query_one("#faq")
        assert not faq.display or faq.region.width == 0  # narrow: the FAQ waits for f2

        await pilot.press("slash", *"app password")
        await pilot.pause()
        assert screen.has_class("-faq-shown")
        assert isinstance(app.focused, Input) and app.focused.id == "faq-search"
        assert "app password" in str(screen.query_one("#faq-answer").render()).lower()
        await pilot.press("f2")
        assert not screen.has_class("-faq-shown")

        tabs = screen.query_one(TabbedContent)
        for key, tab, focus in (
            ("f6", "tab-channel", "channel-name"),
            ("f7", "tab-rehearse", "trainer-toggles"),
            ("f8", "tab-burst", "burst-count"),
            ("f9", "tab-messages", "captured"),
            ("f5", "tab-guide", "guide-options"),
        ):
            await pilot.press(key)
            await pilot.pause()
            assert tabs.active == tab
            assert app.focused is not None and app.focused.id == focus
            assert app.focused.region.width > 0
