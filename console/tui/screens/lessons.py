"""Choose a lesson: each one's title, what it shows, and the timeline of its events."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from simulator.scenario import Scenario, lessons, load_scenario, resolve_scenario


def timeline(lesson: Scenario, elapsed: float | None = None) -> list[str]:
    """One line per event: when, what, and (while it runs) whether it has happened."""
    lines = []
    for event in sorted(lesson.events, key=lambda e: e.at):
        minutes, seconds = divmod(int(event.at), 60)
        state = "" if elapsed is None else (" (done)" if event.at <= elapsed else "")
        what = event.note or " ".join(p for p in (event.action, event.user) if p)
        lines.append(f"{minutes:>3}m{seconds:02d}s  {what}{state}")
    return lines or ["no timed events: the lesson's accounts, limits and faults hold throughout"]


def describe(lesson: Scenario) -> str:
    """Title, provider, description and timeline, as plain text."""
    text = [f"{lesson.title} ({lesson.provider})", "", lesson.description.strip(), "", "Timeline:"]
    return "\n".join([*text, *timeline(lesson)])


class LessonScreen(ModalScreen[str | None]):
    """The ready lessons; enter plays the highlighted one, escape keeps the current one."""

    DEFAULT_CSS = """
    LessonScreen { align: center middle; }
    LessonScreen > Vertical {
        width: 78; max-width: 100%; height: 22; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    #lesson-list { height: 7; border: none; }
    #lesson-detail { height: 1fr; overflow-y: auto; }
    """
    BINDINGS = [Binding("escape", "dismiss(None)", "Back", id="lessons.back")]

    def compose(self) -> ComposeResult:
        found = lessons()
        self.loaded = {name: load_scenario(resolve_scenario(name)) for name in found}
        with Vertical():
            yield OptionList(
                *[Option(f"{name}: {title}", id=name) for name, title in found.items()],
                id="lesson-list",
            )
            yield Static(id="lesson-detail", markup=False)

    def on_mount(self) -> None:
        self.query_one(Vertical).border_title = "Lessons (enter: play, escape: back)"
        options = self.query_one(OptionList)
        options.focus()
        options.highlighted = 0

    @on(OptionList.OptionHighlighted)
    def show(self, event: OptionList.OptionHighlighted) -> None:
        lesson = self.loaded.get(event.option.id or "")
        if lesson is not None:
            self.query_one("#lesson-detail", Static).update(describe(lesson))

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
