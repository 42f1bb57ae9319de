"""The simulator panel: which provider it imitates, its clock, and the trainer's toggles."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import SelectionList, Static

from console.tui.messages import TrainerToggled
from console.tui.rehearsal import TOGGLES


class TrainerPanel(Vertical):
    """Shows the simulator and lets a trainer switch behaviours on and off (space)."""

    def compose(self) -> ComposeResult:
        yield Static("Simulator starting...", id="sim-status")
        yield Static(id="sim-clock")
        yield SelectionList[str](*[(t.label, t.id) for t in TOGGLES], id="trainer-toggles")

    def on_mount(self) -> None:
        self.border_title = "Simulator"
        self.query_one("#trainer-toggles").border_title = "Trainer (space)"
        self._selected: set[str] = set()

    def show_status(self, text: str) -> None:
        """Provider and address."""
        self.query_one("#sim-status", Static).update(text)

    def show_clock(self, text: str) -> None:
        """The virtual clock."""
        self.query_one("#sim-clock", Static).update(text)

    def reset(self) -> None:
        """Clear every toggle (a new simulator starts clean)."""
        self._selected = set()
        with self.prevent(SelectionList.SelectedChanged):
            self.query_one("#trainer-toggles", SelectionList).deselect_all()

    @on(SelectionList.SelectedChanged, "#trainer-toggles")
    def changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        selected = set(event.selection_list.selected)
        for toggle_id in sorted(selected ^ self._selected):
            self.post_message(TrainerToggled(toggle_id, toggle_id in selected))
        self._selected = selected
