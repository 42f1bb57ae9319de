"""What went wrong, why, and how to fix it: shown when a check fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from console.tui.markup import escape

if TYPE_CHECKING:
    from console.diagnosis import Diagnosis


class DiagnosisCard(VerticalScroll):
    """The diagnosis of the failing reply, with the guide entry to read (key g); it scrolls."""

    def compose(self) -> ComposeResult:
        yield Static(id="diagnosis-text")

    def show(self, diagnosis: Diagnosis | None, faq_title: str = "") -> None:
        """Show a diagnosis, or hide the card."""
        self.display = diagnosis is not None
        self.can_focus = diagnosis is not None
        if diagnosis is None:
            return
        steps = "\n".join(f" {n}. {escape(step)}" for n, step in enumerate(diagnosis.fix, 1))
        where = f" at {diagnosis.stage}" if diagnosis.stage else ""
        read = (
            f"\n[b]Read[/b] (g): {escape(faq_title or diagnosis.guide)}" if diagnosis.guide else ""
        )
        self.border_title = f"Diagnosis{where}"
        self.border_subtitle = "tab here, then arrows to scroll"
        self.query_one("#diagnosis-text", Static).update(
            f"[b $error]{escape(diagnosis.title)}[/]\n"
            + (f"[dim]{escape(diagnosis.reply)}[/dim]\n" if diagnosis.reply else "")
            + f"{escape(diagnosis.happened)}\n[b]Cause[/b] {escape(diagnosis.cause)}\n"
            + f"[b]Fix[/b]\n{steps}{read}"
        )
        self.scroll_home(animate=False)
