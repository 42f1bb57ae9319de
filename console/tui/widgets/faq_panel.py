"""The FAQ beside each step: a search box, the matching questions and one answer."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from console.guide import Faq, FaqEntry
from console.tui.markup import escape


class FaqPanel(Vertical):
    """Searchable questions and answers; the guide suggests entries for each step."""

    def __init__(self, faq: Faq, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.faq = faq
        self.suggested: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search the FAQ", id="faq-search")
        yield OptionList(id="faq-questions")
        with VerticalScroll(id="faq-answer-scroll"):
            yield Static(id="faq-answer")

    def on_mount(self) -> None:
        self.border_title = "FAQ"
        self.list_entries(self.faq.entries)

    def suggest(self, entry_ids: tuple[str, ...]) -> None:
        """List the entries for the current step first (when nothing is being searched)."""
        self.suggested = entry_ids
        if not self.query_one("#faq-search", Input).value.strip():
            first = [self.faq.get(i) for i in entry_ids]
            rest = [e for e in self.faq.entries if e.id not in entry_ids]
            self.list_entries([*first, *rest])

    def show(self, entry_id: str) -> None:
        """Open one entry's answer."""
        entry = self.faq.get(entry_id)
        self.query_one("#faq-answer", Static).update(
            f"[b]{escape(entry.question)}[/b]\n\n{escape(entry.answer)}"
        )
        options = self.query_one("#faq-questions", OptionList)
        index = options.get_option_index(entry.id) if entry.id in self._listed() else None
        if index is not None:
            options.highlighted = index

    def list_entries(self, entries: list[FaqEntry] | tuple[FaqEntry, ...]) -> None:
        """Fill the question list and open the first answer."""
        options = self.query_one("#faq-questions", OptionList)
        options.clear_options()
        options.add_options([Option(escape(e.question), id=e.id) for e in entries])
        if entries:
            self.show(entries[0].id)
        else:
            self.query_one("#faq-answer", Static).update("No entry matches.")

    def _listed(self) -> set[str]:
        options = self.query_one("#faq-questions", OptionList)
        return {o.id for o in options.options if o.id}

    @on(Input.Changed, "#faq-search")
    def search(self, event: Input.Changed) -> None:
        if event.value.strip():
            self.list_entries(self.faq.search(event.value))
        else:
            self.suggest(self.suggested)

    @on(Input.Submitted, "#faq-search")
    def to_results(self) -> None:
        self.query_one("#faq-questions", OptionList).focus()

    @on(OptionList.OptionHighlighted, "#faq-questions")
    def preview(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show(event.option.id)
