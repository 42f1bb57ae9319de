"""Keys that arrive together (tmux send-keys, a paste, slow SSH) do what they do one by one."""

from __future__ import annotations

from textual._xterm_parser import XTermParser
from textual.app import App, ComposeResult
from textual.widgets import Input

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen
from tests.console_pilot import started


def burst(app: App[object], text: str) -> None:
    """Post what the terminal driver would for one read of `text`, without waiting in between."""
    for message in XTermParser().feed(text):
        message.set_sender(app)
        app.post_message(message)


class TwoInputs(App[None]):
    """Textual alone: two Inputs and the Screen's own (non-priority) tab binding."""

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")


async def test_plain_textual_routes_keys_after_a_tab_to_the_old_field() -> None:
    """The cause, below the console: keys are routed to the focus before the tab has moved it."""
    app = TwoInputs()
    async with started(app) as pilot:
        burst(app, "smtp.example.com\t25")
        await pilot.pause()
        await pilot.pause()
        assert app.query_one("#first", Input).value == "smtp.example.com25"
        assert app.query_one("#second", Input).value == ""
        assert app.focused is app.query_one("#second")


async def test_a_burst_with_tabs_fills_each_field_in_the_console() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("f6")  # the Channel tab
        screen.query_one("#server-host", Input).focus()
        await pilot.pause()
        screen.query_one("#server-host", Input).value = ""
        burst(app, "smtp.example.com\t2525\t")  # the port's text is selected on focus
        for _ in range(5):
            await pilot.pause()
        assert screen.query_one("#server-host", Input).value == "smtp.example.com"
        assert screen.query_one("#server-port", Input).value == "2525"
        assert app.focused is screen.query_one("#server-security")


async def test_shift_tab_in_a_burst_goes_back_before_the_next_keys() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, MainScreen)
        await pilot.press("f6")
        username = screen.query_one("#auth-username", Input)
        username.value = ""
        screen.query_one("#sender-from", Input).focus()
        await pilot.pause()
        # From, back over Secret and Secret kept in, to Username: as typed key by key.
        burst(app, "\x1b[Z\x1b[Z\x1b[Zbob@example.com")
        for _ in range(5):
            await pilot.pause()
        assert username.value == "bob@example.com"
