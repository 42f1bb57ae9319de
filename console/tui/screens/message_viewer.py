"""One captured message: its envelope, headers and body."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from console.tui.markup import escape
from simulator.mailbox import StoredMessage


class MessageViewer(ModalScreen[None]):
    """Headers and body of a message the simulator accepted; escape closes."""

    DEFAULT_CSS = """
    MessageViewer { align: center middle; }
    MessageViewer > VerticalScroll {
        width: 100%; height: 1fr; border: thick $accent; background: $surface;
    }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="message-viewer.close", tooltip="Back to the list")
    ]

    def __init__(self, message: StoredMessage) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        stored = self.message
        who = f"from {stored.envelope_from} to {', '.join(stored.recipients)}"
        envelope = f"[b]Envelope[/b] {escape(who)}  signed in as {escape(stored.user or '-')}" + (
            "  [yellow]delayed by the provider[/yellow]" if stored.delayed else ""
        )
        headers = "\n".join(
            f"[b]{name}:[/b] {escape(str(value))}" for name, value in stored.message.items()
        )
        body = stored.message.get_payload(decode=True)
        text = (
            body.decode(errors="replace")
            if isinstance(body, bytes)
            else str(stored.message.get_payload())
        )
        with VerticalScroll() as scroll:
            scroll.border_title = escape(stored.subject) or "(no subject)"
            yield Static(envelope)
            yield Static(headers, id="message-headers")
            yield Static(escape(text), id="message-body", markup=True)
        yield Footer()

    def action_close(self) -> None:
        """Back to the list."""
        self.dismiss(None)
