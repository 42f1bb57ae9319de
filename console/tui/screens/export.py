"""The Export dialog: pick a format, read the preview, copy it (OSC 52) or save it to a file."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from console.channel import Channel
from console.export import FORMATS, Context, render, tool_version
from console.export.files import write_private
from console.tui.widgets.key_bar import KeyBar


class ExportScreen(ModalScreen[None]):
    """The channel as another program's settings; never with the secret."""

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 100%; height: 100%; border: thick $accent; background: $surface;
    }
    ExportScreen #export-body { height: 1fr; }
    ExportScreen #export-formats { width: 14; height: 1fr; }
    ExportScreen #export-preview { width: 1fr; height: 1fr; }
    ExportScreen #export-where { height: 1; }
    ExportScreen #export-actions { height: 3; }
    ExportScreen #export-path { width: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="export.close", tooltip="Back to the console"),
        Binding("ctrl+y", "copy", "Copy", id="export.copy", tooltip="Copy (OSC 52)"),
        Binding("ctrl+s", "save", "Save", id="export.save", tooltip="Save to the file named"),
    ]

    def __init__(self, channel: Channel, reference: str, chosen: str = "msmtp") -> None:
        super().__init__()
        self.context = Context(channel, reference, tool_version())
        self.chosen = chosen

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Export {self.context.channel.name}"
            with Horizontal(id="export-body"):
                yield OptionList(*(Option(name, id=name) for name in FORMATS), id="export-formats")
                yield TextArea(
                    "", read_only=True, soft_wrap=False, show_cursor=False, id="export-preview"
                )
            yield Static("", id="export-where", markup=False)
            with Horizontal(id="export-actions"):
                yield Input(placeholder="file to save to", id="export-path")
                yield Button("Copy", id="export-copy")
                yield Button("Save", id="export-save", variant="primary")
        yield KeyBar()

    def on_mount(self) -> None:
        formats = self.query_one(OptionList)
        formats.highlighted = list(FORMATS).index(self.chosen)
        formats.focus()
        self.show(self.chosen)

    @on(OptionList.OptionHighlighted, "#export-formats")
    def format_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.show(event.option.id or self.chosen)

    def show(self, name: str) -> None:
        """Preview the export in the named format."""
        self.chosen = name
        self.text = render(name, self.context)
        self.query_one(TextArea).load_text(self.text)
        self.query_one("#export-where", Static).update(f"Goes in: {FORMATS[name].where}")

    @on(Button.Pressed, "#export-copy")
    def action_copy(self) -> None:
        """Copy the preview to the terminal's clipboard (OSC 52; most terminals, also over SSH)."""
        self.app.copy_to_clipboard(self.text)
        self.notify(f"Copied the {self.chosen} export (if your terminal allows OSC 52).")

    @on(Button.Pressed, "#export-save")
    def action_save(self) -> None:
        """Write the preview to the named file (mode 0600 when new)."""
        typed = self.query_one("#export-path", Input).value.strip()
        if not typed:
            self.notify("Type the file to save to first.", severity="warning")
            self.query_one("#export-path", Input).focus()
            return
        path = Path(typed).expanduser()
        try:
            write_private(path, self.text.encode(), keep_mode=True)
        except OSError as error:
            self.notify(
                f"{path}: cannot be written: {error.strerror}", severity="error", markup=False
            )
            return
        self.notify(f"Saved {path}", markup=False)

    def action_close(self) -> None:
        """Back to the console."""
        self.dismiss(None)
