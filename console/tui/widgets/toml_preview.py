"""The TOML the editor would save, highlighted, updated as the user types."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class TomlPreview(VerticalScroll):
    """A read-only view of the channel file that ctrl+s would write."""

    can_focus = True
    text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="toml-text")

    def on_mount(self) -> None:
        self.border_title = "Channel file preview"

    def show(self, text: str, path: str = "") -> None:
        """Show the file's text, and where it will be saved."""
        self.text, self.border_subtitle = text, path
        syntax = Syntax(text, "toml", theme="ansi_dark", word_wrap=True, background_color="default")
        self.query_one("#toml-text", Static).update(syntax)
