"""The Textual console: guide, editor and rehearsal in one app."""

from __future__ import annotations

import gc
from collections.abc import Iterable

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen

from console.guide import load_faq, load_guide
from console.tui.focus import mark
from console.tui.screens.main import MainScreen
from simulator.profile import load_all

PALETTE = (
    ("Save channel", "Write the channel file and store its secret", "save"),
    ("Open channel", "Open a saved channel", "open"),
    ("New channel", "Start again from the guide", "new"),
    ("Test against the simulator", "The staged check, stage by stage", "test"),
    ("Burst", "Send many test messages and chart what happens", "burst"),
    ("Live test", "The same check against the real server (asks first)", "live_test"),
    ("Toggle FAQ", "Show or hide the questions and answers", "toggle_faq"),
    ("Search FAQ", "Jump to the FAQ search box", "search_faq"),
)


class ConsoleApp(App[int]):
    """smtp-console with no command."""

    CSS_PATH = "app.tcss"
    TITLE = "smtp-console"
    BINDINGS = [
        # Priority: focus moves the moment the key is read, so keys that came in the same
        # burst after a tab (a paste, tmux send-keys, a slow SSH link) reach the next field.
        Binding(
            "tab",
            "app.focus_next",
            "Next field",
            id="app.next-field",
            show=False,
            priority=True,
            tooltip="Move to the next field",
        ),
        Binding(
            "shift+tab",
            "app.focus_previous",
            "Previous field",
            id="app.previous-field",
            show=False,
            priority=True,
            tooltip="Move to the previous field",
        ),
        Binding("f1", "help", "Help", id="app.help", tooltip="Keys and where things are"),
        Binding(
            "ctrl+q",
            "quit",
            "Quit",
            id="app.quit",
            priority=True,
            tooltip="Stop the console and its simulator",
        ),
    ]

    def __init__(self, *, whole_process: bool = False) -> None:
        super().__init__()
        self.whole_process = whole_process  # the console is all the process runs: it owns the GC

    def get_default_screen(self) -> MainScreen:
        """The main screen, as the app's first."""
        # Not pushed from on_mount: a screen pushed while the app mounts is laid out and drawn
        # once in vain, since textual writes no frame until the app has mounted.
        faq = load_faq()
        return MainScreen(load_all(), load_guide(faq=faq), faq)

    def on_mount(self) -> None:
        self.screen_change_signal.subscribe(self, self._screen_changed)

    def on_ready(self) -> None:
        # What the start built (modules, the first screen) lives as long as the console, yet
        # every full collection walked it: 80-120 ms, in the middle of a tab switch. Frozen,
        # it is left out of them (30-40 ms).
        if self.whole_process:
            gc.freeze()
            gc.enable()

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        mark(event.widget, True)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        mark(event.widget, False)

    def _screen_changed(self, screen: Screen[object]) -> None:
        """Only the screen on top shows a focus marker; a screen shown again gets its own back."""
        for other in self.screen_stack:
            if other is not screen and other.focused is not None:
                mark(other.focused, False)
        if screen.focused is not None:
            mark(screen.focused, True)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """A notification, never read as markup: it may quote paths, values or errors."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    async def action_quit(self) -> None:
        """Quit; unsaved edits in the editor are never dropped without asking."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            self.exit()
        else:
            main.quit_safely()

    def action_help_quit(self) -> None:
        """ctrl+c outside a text field: say how to quit, in plain words."""
        self.notify("Press ctrl+q to quit.", title="Do you want to quit?")

    def action_help(self) -> None:
        """Show the keys."""
        from console.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The main actions, by name, in the command palette."""
        yield from super().get_system_commands(screen)
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            return
        for title, help_text, action in PALETTE:
            yield SystemCommand(title, help_text, lambda a=action: main.run_action(a))
        for tab in ("Guide", "Channel", "Rehearse", "Burst", "Messages"):
            show = f"show_tab('tab-{tab.lower()}')"
            yield SystemCommand(f"Go to {tab}", f"The {tab} tab", lambda a=show: main.run_action(a))
        yield SystemCommand("Help", "The keys of the console", self.action_help)


def run() -> int:
    """Run the console; the exit code."""
    gc.disable()  # until the first screen is up (see on_ready): the start makes little garbage
    return ConsoleApp(whole_process=True).run() or 0
