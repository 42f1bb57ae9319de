"""Small dialogs a flow awaits: a choice of buttons, a name to type, a text to read."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Static

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 100%; height: auto; max-height: 100%;
    border: thick $warning; padding: 0 1; background: $surface;
}}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 1; min-width: 10; }}
"""


class Choose(ModalScreen[str]):
    """A question and a row of answers, each with its key; escape gives "cancel"."""

    DEFAULT_CSS = DIALOG_CSS.format(name="Choose")
    BINDINGS = [Binding("escape", "pick('cancel')", "Cancel", id="choose.cancel")]

    def __init__(self, question: str, answers: list[tuple[str, str, str]], title: str = "") -> None:
        """answers: (key, label, value); the first answer has the focus."""
        super().__init__()
        self.question, self.answers, self.title_text = question, answers, title

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(self.question, markup=False, id="choose-question")
            with Horizontal():
                for key, label, value in self.answers:
                    yield Button(f"{label} ({key})", id=f"choose-{value}", name=value)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_key(self, event: events.Key) -> None:
        for key, _, value in self.answers:
            if event.key == key:
                event.stop()
                self.dismiss(value)
                return

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.name or "cancel")

    def action_pick(self, value: str) -> None:
        """Close with this answer."""
        self.dismiss(value)


class AskName(ModalScreen[str | None]):
    """One line of text, e.g. another channel name; escape gives None."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AskName")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask-name.cancel")]

    def __init__(self, question: str, value: str = "") -> None:
        super().__init__()
        self.question, self.value = question, value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            yield Input(self.value, id="ask-name-input")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Close without a name."""
        self.dismiss(None)


class TextView(ModalScreen[None]):
    """A long text to read and scroll, shown as is; escape or q closes."""

    DEFAULT_CSS = """
    TextView { align: center middle; }
    TextView > VerticalScroll {
        width: 100%; height: 1fr; border: thick $accent; background: $surface;
    }
    TextView > VerticalScroll:focus { border: thick $warning; }
    """
    BINDINGS = [Binding("escape,q", "close", "Close", id="text-view.close")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text, self.text = title, text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="text-view") as scroll:
            scroll.border_title = self.title_text
            scroll.can_focus = True
            yield Static(self.text, markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#text-view").focus()

    def action_close(self) -> None:
        """Back to where it was opened."""
        self.dismiss(None)
