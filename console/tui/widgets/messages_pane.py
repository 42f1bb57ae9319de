"""The Messages tab: what the simulator accepted; enter opens a message."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable

from console.tui.messages import TabLabel
from console.tui.rehearsal import Rehearsal
from console.tui.widgets.later import Later

if TYPE_CHECKING:  # the table's module (and the mailbox's) loads when it mounts
    from console.tui.widgets.captured_table import CapturedTable
    from simulator.events import Event


class MessagesPane(Vertical):
    """Lists the simulator's mailbox as mail arrives."""

    def __init__(self, rehearsal: Rehearsal, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rehearsal = rehearsal

    def compose(self) -> ComposeResult:
        # The table mounts just after the first screen is up.
        yield Later(_captured_table)

    def on_mount(self) -> None:
        self.rehearsal.subscribe(self.on_simulator_event)

    def on_simulator_event(self, event: Event) -> None:
        """Accepted mail shows up in the table."""
        if event.kind in ("accepted", "delayed"):
            self.refresh_captured()

    def refresh_captured(self) -> None:
        """Reload the captured messages table and count them in the tab's title."""
        simulator = self.rehearsal.simulator
        if simulator is None:
            return
        messages = simulator.mailbox.messages
        from console.tui.widgets.captured_table import CapturedTable

        for table in self.query(CapturedTable):
            table.show(messages)
        self.post_message(TabLabel("tab-messages", f"Messages ({len(messages)})"))

    @on(DataTable.RowSelected, "#captured")
    def view_message(self, event: DataTable.RowSelected) -> None:
        from console.tui.screens.message_viewer import MessageViewer

        simulator = self.rehearsal.simulator
        if simulator is not None and event.row_key.value is not None:
            self.app.push_screen(
                MessageViewer(simulator.mailbox.messages[int(event.row_key.value)])
            )


def _captured_table() -> CapturedTable:
    from console.tui.widgets.captured_table import CapturedTable

    return CapturedTable(id="captured")
