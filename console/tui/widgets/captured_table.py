"""The messages the simulator accepted, one row each; enter opens one."""

from __future__ import annotations

from datetime import UTC, datetime

from textual.widgets import DataTable

from simulator.mailbox import StoredMessage


class CapturedTable(DataTable[str]):
    """Accepted mail: when, delivered on time or held back, to whom, subject, sender."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        self.zebra_stripes = True
        self.add_columns("#", "accepted", "delivery", "to", "subject", "from")

    def show(self, messages: list[StoredMessage]) -> None:
        """Add the messages not listed yet."""
        for index in range(self.row_count, len(messages)):
            stored = messages[index]
            when = datetime.fromtimestamp(stored.accepted_virtual, UTC).strftime("%H:%M:%S")
            mark = "delayed" if stored.delayed else "on time"
            to = ", ".join(stored.recipients)
            row = (str(index + 1), when, mark, to, stored.subject, stored.envelope_from)
            self.add_row(*row, key=str(index))
