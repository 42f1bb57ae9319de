"""A per-minute bar chart of a burst: accepted, delayed and refused messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from textual.widgets import Static

from console.tui.markup import escape


@dataclass(frozen=True)
class MinuteCounts:
    """What happened to the messages of one minute."""

    label: str
    accepted: int = 0
    delayed: int = 0
    refused: int = 0

    @property
    def total(self) -> int:
        """Every message counted in this minute."""
        return self.accepted + self.delayed + self.refused


class MinuteChart(Static):
    """One bar per minute; green on time, yellow delayed, red refused."""

    minutes: list[MinuteCounts] = []

    def show(
        self,
        minutes: Sequence[MinuteCounts],
        width: int = 40,
        empty: str = "No burst yet: press ctrl+b.",
    ) -> None:
        """Draw the bars scaled to the busiest minute (`empty` when there is none)."""
        self.minutes = list(minutes)
        if not minutes:
            self.update(f"[dim]{escape(empty)}[/dim]")
            return
        busiest = max(m.total for m in minutes) or 1
        lines = ["[$success]█ on time[/]  [$warning]▓ delayed[/]  [$error]░ refused[/]"]
        for minute in minutes:
            bar = "".join(
                f"[{style}]{char * round(count * width / busiest)}[/]"
                for count, char, style in (
                    (minute.accepted, "█", "$success"),
                    (minute.delayed, "▓", "$warning"),
                    (minute.refused, "░", "$error"),
                )
                if count
            )
            counts = f"{minute.accepted}/{minute.delayed}/{minute.refused}"
            lines.append(f"{minute.label:>6} {bar} {counts}")
        self.update("\n".join(lines))
