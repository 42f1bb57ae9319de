"""F1: the keys, and where things are."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

HELP = """\
# smtp-console

Set up an outgoing mail channel, rehearse it against a simulated provider,
then test it for real.

| Key | What it does |
|---|---|
| f5 to f9 | Guide, Channel, Rehearse, Burst, Messages tabs |
| shift+tab, left/right | Move to the tab bar and along it |
| tab / shift+tab | Next / previous field |
| enter, digits | Answer a guide question |
| backspace, r | Guide: back one answer, restart |
| c | Guide: start the recommended channel |
| f2 | Show or hide the FAQ (search it with /) |
| f3 | Channel file preview (narrow terminals) |
| ctrl+s | Save the channel (and store its secret) |
| ctrl+o | Open a saved channel |
| ctrl+n | New channel from the guide |
| ctrl+t | Test the channel against the simulator |
| ctrl+b | Burst: send many test messages |
| ctrl+l | Live test against the real server (asks first) |
| space | Rehearse: switch a trainer toggle |
| g | Read the guide entry the diagnosis names |
| enter | Messages: open the highlighted message; escape closes it |
| ctrl+p | Command palette: every action by name |
| f1 | This help |
| ctrl+q | Quit |

The secret you type is never written to the channel file: ctrl+s stores it in
the system keyring. Without a keyring you choose an environment variable, a
command, or typing it each time.

Press escape to close.
"""


class HelpScreen(ModalScreen[None]):
    """The keys of the console."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 100%; height: 90%; border: thick $accent; background: $surface;
    }
    """
    BINDINGS = [
        Binding("escape,f1,q", "close", "Close", id="help.close", tooltip="Back to the console")
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        """Back to the console."""
        self.dismiss(None)
