"""The decision tree, one step at a time: a question with its answers, or the recommendation."""

from __future__ import annotations

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from console.guide import Guide, Question, Recommendation, Walk
from console.tui.markup import escape
from console.tui.messages import GuideRestarted, GuideStepped, ShowFaq, StartChannel


class GuidePanel(Vertical):
    """Walks the guide: pick an answer with enter, go back with backspace."""

    BINDINGS = [
        Binding("backspace", "back", "Back", id="guide.back", tooltip="Undo the last answer"),
        Binding(
            "r",
            "restart",
            "Restart",
            id="guide.restart",
            show=False,
            tooltip="Start the guide over",
        ),
        Binding("c", "start", "Start", id="guide.start", tooltip="Open it in the editor"),
    ]

    def __init__(self, guide: Guide, *, walk: Walk | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self.walk = walk or Walk(guide)  # the tab and the side column share one walk

    def compose(self) -> ComposeResult:
        # The first question is there from the start: it is the first thing on the screen.
        node = self.walk.current
        first = node if isinstance(node, Question) and not self.walk.answers() else None
        yield Static("Guide: answer to get a plan" if first else "", id="guide-trail")
        yield Static(first.text if first else "", id="guide-question")
        yield Static(first.help if first else "", id="guide-help")
        yield OptionList(*(_options(first) if first else ()), id="guide-options")
        with VerticalScroll(id="recommendation"):
            yield Static(id="recommendation-body")
            yield Button("Start this channel (c)", id="start-channel", variant="primary")

    def on_mount(self) -> None:
        self.show_node()
        self.post_message(ShowFaq(self.walk.current.faq))

    def refresh_step(self) -> None:
        """Show the current node of the walk, here and in any other view of the same walk."""
        for other in self.screen.query(GuidePanel):
            if other is not self and other.walk is self.walk and other.is_mounted:
                other.show_node()
        self.show_node()
        self.post_message(ShowFaq(self.walk.current.faq))
        self.post_message(GuideStepped(self.walk.current))

    def show_node(self) -> None:
        """Draw the walk's current node."""
        node = self.walk.current
        trail = " > ".join(label.split(":")[0] for _, label in self.walk.answers())
        self.query_one("#guide-trail", Static).update(trail or "Guide: answer to get a plan")
        is_question = isinstance(node, Question)
        self.set_class(not is_question, "-recommendation")
        if isinstance(node, Question):
            self.query_one("#guide-question", Static).update(node.text)
            self.query_one("#guide-help", Static).update(node.help)
            options = self.query_one("#guide-options", OptionList)
            options.clear_options()
            options.add_options(_options(node))
            options.highlighted = 0
        else:
            self.query_one("#recommendation-body", Static).update(render_recommendation(node))
        self.refresh_bindings()

    def focus_step(self) -> None:
        """Focus the answers, or the start button at a recommendation."""
        target = "#start-channel" if self.walk.finished else "#guide-options"
        self.query_one(target).focus()

    @on(OptionList.OptionSelected, "#guide-options")
    def answer(self, event: OptionList.OptionSelected) -> None:
        self.walk.choose(int(event.option.id or 0))
        self.refresh_step()
        self.focus_step()

    @on(Button.Pressed, "#start-channel")
    def start(self) -> None:
        self.action_start()

    def action_start(self) -> None:
        """Start a channel from the recommendation reached."""
        node = self.walk.current
        if isinstance(node, Recommendation):
            self.post_message(StartChannel(node))

    def action_back(self) -> None:
        """Undo the last answer."""
        self.walk.back()
        self.refresh_step()
        self.focus_step()

    def action_restart(self) -> None:
        """Start over from the first question."""
        self.walk.restart()
        self.refresh_step()
        self.focus_step()
        self.post_message(GuideRestarted())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Grey out start until a recommendation is reached."""
        return self.walk.finished if action == "start" else True

    def on_key(self, event: events.Key) -> None:
        """Digits pick an answer directly."""
        node = self.walk.current
        if isinstance(node, Question) and event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(node.options):
                event.stop()
                self.walk.choose(index)
                self.refresh_step()
                self.focus_step()


def _options(node: Question | Recommendation) -> list[Option]:
    if not isinstance(node, Question):
        return []
    return [Option(f"{n}. {o.label}", id=str(n - 1)) for n, o in enumerate(node.options, 1)]


def render_recommendation(node: Recommendation) -> str:
    """The recommendation as console markup."""

    def section(title: str, items: tuple[str, ...], mark: str) -> str:
        if not items:
            return ""
        lines = "\n".join(f" {mark} {escape(item)}" for item in items)
        return f"\n[b]{title}[/b]\n{lines}\n"

    return (
        f"[b $accent]{escape(node.title)}[/]\n{escape(node.summary)}\n"
        "[dim]c: start a channel from this · backspace: back · r: start over[/dim]\n"
        + section("Why", node.reasons, "-")
        + section("Pros", node.pros, "+")
        + section("Cons", node.cons, "-")
        + section("Limits", node.limits, "*")
        + section("Warnings", node.warnings, "!")
    )
