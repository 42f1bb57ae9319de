"""The key bar: textual's compact Footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyBar(Footer):
    """A compact Footer whose keys carry their compact class from the start.

    A key given the class only once mounted restyles itself. The bar is asked to rebuild
    itself on every change of focus; it does so only when the keys it shows would differ.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)
        self.shown: tuple[tuple[Any, ...], ...] = ()

    def compose(self) -> ComposeResult:
        for widget in super().compose():  # the keys (and key groups, were there any)
            widget.add_class("-compact", update=False)
            yield widget

    async def recompose(self) -> None:
        if not self.is_attached:  # its screen was closed while the rebuild waited
            return
        shown = tuple(
            (key, binding.action, binding.description, enabled, tooltip)
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == self.app.COMMAND_PALETTE_BINDING
        )
        if shown != self.shown or not self.children:
            self.shown = shown
            await super().recompose()
