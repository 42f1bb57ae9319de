"""The TOML the editor would save, updated as the user types."""

from __future__ import annotations

import re

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from console.tui.markup import escape

_KEY = re.compile(r"^(\s*)([\w.\-\"]+)(\s*=\s*)(.*)$")


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
        self.text, self.border_subtitle = text, escape(path)
        self.query_one("#toml-text", Static).update(highlight(text))


def highlight(text: str) -> Content:
    """Comments dim, tables bold, keys in the accent colour."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            lines.append(Content.styled(line, "$text-muted"))
        elif stripped.startswith("["):
            lines.append(Content.styled(line, "bold $primary"))
        elif found := _KEY.match(line):
            indent, key, equals, value = found.groups()
            lines.append(Content.assemble(indent, (key, "$accent"), equals, value))
        else:
            lines.append(Content(line))
    return Content("\n").join(lines)
