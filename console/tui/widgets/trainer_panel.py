"""The simulator panel: which provider it imitates, its clock, and the trainer's toggles."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import SelectionList, Static
from textual.widgets.selection_list import Selection

from console.tui.messages import TrainerReady, TrainerToggled
from console.tui.rehearsal import TOGGLES, Toggle, toggles_for


class TrainerPanel(Vertical):
    """Shows the simulator and lets a trainer switch behaviours on and off (space)."""

    def compose(self) -> ComposeResult:
        yield Static("Simulator starting...", id="sim-status")
        yield Static(id="sim-clock")
        yield SelectionList[str](*_selections(toggles_for("office365")), id="trainer-toggles")

    def on_mount(self) -> None:
        self.border_title = "Simulator"
        self.query_one("#trainer-toggles").border_title = "Trainer (space)"
        self._selected: set[str] = set()
        self.post_message(TrainerReady())

    def show_status(self, text: str) -> None:
        """Provider and address."""
        self.query_one("#sim-status", Static).update(text)

    def show_clock(self, text: str) -> None:
        """The virtual clock."""
        self.query_one("#sim-clock", Static).update(text)

    def reset(self, provider: str | None = None) -> None:
        """Clear every toggle (a new simulator starts clean); list the provider's own."""
        self._selected = set()
        toggles = self.query_one("#trainer-toggles", SelectionList)
        with self.prevent(SelectionList.SelectedChanged):
            toggles.deselect_all()
            wanted = [t.id for t in toggles_for(provider)] if provider else []
            listed = [toggles.get_option_at_index(i).id for i in range(toggles.option_count)]
            if wanted and wanted != listed:
                toggles.clear_options()
                toggles.add_options(_selections(toggles_for(provider)))
                toggles.highlighted = 0
            for index in range(toggles.option_count):
                option = toggles.get_option_at_index(index)
                if option.id is not None:
                    toggles.replace_option_prompt(option.id, f"{self._labels[option.id]}: off")

    def show_states(self, states: dict[str, bool]) -> None:
        """Mark and word each toggle as the simulator has it (a lesson's events change it too)."""
        toggles = self.query_one("#trainer-toggles", SelectionList)
        selected = set(toggles.selected)
        listed = {toggles.get_option_at_index(i).id for i in range(toggles.option_count)}
        pending = selected ^ self._selected  # a trainer's click not yet applied: left alone
        with self.prevent(SelectionList.SelectedChanged):
            for toggle_id, on in states.items():
                if toggle_id not in listed or toggle_id in pending or (toggle_id in selected) == on:
                    continue
                (toggles.select if on else toggles.deselect)(toggle_id)
                (self._selected.add if on else self._selected.discard)(toggle_id)
                state = "on" if on else "off"
                toggles.replace_option_prompt(toggle_id, f"{self._labels[toggle_id]}: {state}")

    @on(SelectionList.SelectedChanged, "#trainer-toggles")
    def changed(self, event: SelectionList.SelectedChanged[str]) -> None:
        selected = set(event.selection_list.selected)
        for toggle_id in sorted(selected ^ self._selected):
            self.post_message(TrainerToggled(toggle_id, toggle_id in selected))
            label = self._labels.get(toggle_id, toggle_id)
            state = "on" if toggle_id in selected else "off"
            event.selection_list.replace_option_prompt(toggle_id, f"{label}: {state}")
        self._selected = selected

    @property
    def _labels(self) -> dict[str, str]:
        return {t.id: t.label for t in TOGGLES}


def _selections(toggles: tuple[Toggle, ...]) -> list[Selection[str]]:
    """Each toggle as a list entry that says its state in words, not only by its mark."""
    return [Selection(f"{t.label}: off", t.id, False, id=t.id) for t in toggles]
