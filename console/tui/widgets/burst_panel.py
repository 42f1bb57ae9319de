"""The Burst tab: how many and how fast, a progress bar, the outcome and a per-minute chart."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, ProgressBar, Static

from console.printable import printable
from console.tui.markup import escape
from console.tui.widgets.minute_chart import MinuteChart, MinuteCounts

if TYPE_CHECKING:
    from console.burst import Summary


_WHERE = {"mail": "at MAIL FROM", "rcpt": "at RCPT TO", "data": "after the body"}


class BurstPanel(Vertical):
    """Settings for a burst and what came of the last one."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="burst-settings"):
            yield Label("  Messages", classes="field-label", name="Messages")
            yield Input("40", id="burst-count", type="integer", compact=True)
            yield Label("  per minute", classes="field-label", name="per minute")
            yield Input(
                id="burst-rate", type="integer", compact=True, placeholder="channel's pacing"
            )
            yield Button("Send (ctrl+b)", id="burst-start", compact=True)
        with Horizontal(id="burst-bar"):
            yield ProgressBar(id="burst-progress", show_eta=False, show_percentage=False)
            yield Static(id="burst-done")
        yield Static(id="burst-summary")
        yield MinuteChart(id="burst-chart")

    def on_mount(self) -> None:
        self.query_one(MinuteChart).show([])

    def settings(self) -> tuple[int, float | None] | str:
        """The count and rate typed, or why they cannot be used."""
        count_text = self.query_one("#burst-count", Input).value.strip()
        rate_text = self.query_one("#burst-rate", Input).value.strip()
        if not count_text.isdigit() or not 0 < int(count_text) <= 10_000:
            return "Messages must be a whole number from 1 to 10,000."
        if rate_text and (not rate_text.isdigit() or int(rate_text) == 0):
            return "Per minute must be a whole number above 0, or empty for the channel's pacing."
        return int(count_text), float(rate_text) if rate_text else None

    def started(self, count: int, rate: float | None, recipient: str = "") -> None:
        """A burst begins (to `recipient`, when not the sender)."""
        self.query_one(ProgressBar).update(total=count, progress=0)
        self.query_one(ProgressBar).remove_class("-stopped")
        self.query_one("#burst-done", Static).update(f"0/{count}")
        pace = f"{rate:g} a minute" if rate else "as fast as the server takes them"
        to = f" to {recipient}" if recipient else ""
        self.query_one("#burst-summary", Static).update(
            escape(f"Sending {count} messages{to}, {pace}...")
        )

    def progress(self, done: int, total: int) -> None:
        """One more message dealt with."""
        self.query_one(ProgressBar).update(total=total, progress=done)
        self.query_one("#burst-done", Static).update(f"{done}/{total}")

    def show_summary(self, summary: Summary, why: str = "") -> None:
        """The counts, whom the burst mailed and why (`why`), the first diagnosis and the chart."""
        from console.burst import stop_reason

        data = summary.to_dict()
        lines = [
            f"[b $success]{data['accepted']} on time[/]   [b $warning]{data['delayed']} delayed[/]"
            f"   [b $error]{data['deferred']} deferred  {data['rejected']} rejected[/]"
            + (f"   {data['failed']} failed" if data["failed"] else "")
            + (f"   [b $error]{data['not_sent']} not sent[/]" if data["not_sent"] else "")
        ]
        if why:
            lines.append(escape(why))
        if summary.stopped is not None:  # the server's own words, e.g. the refused AUTH
            lines.append(escape(stop_reason(summary)))
        for group in data["by_reply"][:2]:  # the server's own words for what it refused
            if group["status"] in ("deferred", "rejected", "failed") and group["reply"]:
                where = _WHERE.get(group["stage"], f"at {group['stage']}")
                said = f"{group['count']} {group['status']} {where}: {printable(group['reply'])}"
                lines.append(escape(said))
        for diagnosis in summary.diagnoses[:2]:
            lines.append(f"[b]{escape(diagnosis.title)}[/b]\n{escape(diagnosis.cause)}")
        self.query_one("#burst-summary", Static).update("\n".join(lines))
        # Every message is dealt with, sent or held back; a stopped burst is not drawn as a success.
        self.query_one(ProgressBar).set_class(summary.stopped is not None, "-stopped")
        handled = f"{summary.count}/{summary.count} handled: {data['sent']} sent"
        if data["not_sent"]:
            handled += f", {data['not_sent']} not sent"
        self.query_one("#burst-done", Static).update(handled)
        self.query_one(MinuteChart).show(
            [
                MinuteCounts(
                    f"min {row['minute']}",
                    row["accepted"],
                    row["delayed"],
                    row["deferred"] + row["rejected"] + row["failed"],
                )
                for row in summary.timeline()
            ],
            empty="No message reached the server's queue.",
        )
