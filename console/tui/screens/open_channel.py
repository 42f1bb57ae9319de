"""Pick a saved channel to open."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from console.store import ListedChannel
from console.tui.markup import escape


class OpenChannel(ModalScreen[Path | None]):
    """The saved channels; enter opens one, escape cancels."""

    DEFAULT_CSS = """
    OpenChannel { align: center middle; }
    OpenChannel > Vertical {
        width: 70; max-width: 100%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface;
    }
    OpenChannel OptionList { height: auto; max-height: 16; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="open-channel.cancel", tooltip="Open nothing")
    ]

    def __init__(self, channels: list[ListedChannel], folder: Path) -> None:
        super().__init__()
        self.channels, self.folder = channels, folder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Open a saved channel"
            if not self.channels:
                yield Static(f"No saved channels in {escape(str(self.folder))} yet. Press escape.")
            options = []
            for index, listed in enumerate(self.channels):
                if listed.file:
                    channel = listed.file.channel
                    about = f"{channel.provider} {channel.auth.username}"
                    text = f"{escape(channel.name)}  [dim]{escape(about)}[/dim]"
                else:
                    text = f"{escape(listed.path.name)}  [red]cannot be read[/red]"
                options.append(Option(text, id=str(index)))
            yield OptionList(*options, id="saved-channels")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.channels[int(event.option.id or 0)].path)

    def action_cancel(self) -> None:
        """Open nothing."""
        self.dismiss(None)
