"""What went wrong, why, and how to fix it: shown when a check fails."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

if TYPE_CHECKING:
    from console.diagnosis import Diagnosis


class DiagnosisCard(Static):
    """The diagnosis of the failing reply, with the guide entry to read (key g)."""

    def show(self, diagnosis: Diagnosis | None, faq_title: str = "") -> None:
        """Show a diagnosis, or hide the card."""
        self.display = diagnosis is not None
        if diagnosis is None:
            return
        steps = "\n".join(f" {n}. {_escape(step)}" for n, step in enumerate(diagnosis.fix, 1))
        where = f" at {diagnosis.stage}" if diagnosis.stage else ""
        read = (
            f"\n[b]Read[/b] (g): {_escape(faq_title or diagnosis.guide)}" if diagnosis.guide else ""
        )
        self.border_title = f"Diagnosis{where}"
        self.update(
            f"[b $error]{_escape(diagnosis.title)}[/]\n"
            + (f"[dim]{_escape(diagnosis.reply)}[/dim]\n" if diagnosis.reply else "")
            + f"{_escape(diagnosis.happened)}\n[b]Cause[/b] {_escape(diagnosis.cause)}\n"
            + f"[b]Fix[/b]\n{steps}{read}"
        )


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
