"""The check's stages in a row, each lighting up as it passes or fails."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

STYLES = {
    "running": "reverse $warning",
    "ok": "bold $success",
    "failed": "bold reverse $error",
    "skipped": "dim strike",
}
MARKS = {"ok": "✓", "failed": "✗", "running": "…", "skipped": "-"}


class StageLights(Static):
    """One word per stage: dim while waiting, green once passed, red where it failed."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.states: dict[str, str] = {}
        self.order: list[str] = []

    def on_mount(self) -> None:
        self._draw()

    def reset(self, stages: Sequence[str]) -> None:
        """Every stage waiting again."""
        self.order, self.states = list(stages), {}
        self._draw()

    def mark(self, stage: str, status: str) -> None:
        """Set a stage's status: pending, running, ok, failed or skipped."""
        if stage not in self.order:
            self.order.append(stage)
        self.states[stage] = status
        self._draw()

    def _draw(self) -> None:
        parts = []
        for stage in self.order:
            status = self.states.get(stage, "pending")
            style = STYLES.get(status, "dim")
            parts.append(f"[{style}]{MARKS.get(status, '·')}{stage}[/]")
        self.update(" ".join(parts) or "[dim]Press ctrl+t to test the channel.[/dim]")
