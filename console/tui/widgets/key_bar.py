"""The key bar: textual's compact Footer, whose keys are born compact."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer


class KeyBar(Footer):
    """A compact Footer whose keys carry their compact class from the start.

    A key given the class only once mounted restyles itself, and the bar is rebuilt on
    every change of focus: born with it, a key costs no restyle at all.
    """

    def __init__(self) -> None:
        super().__init__(compact=True)

    def compose(self) -> ComposeResult:
        for widget in super().compose():  # the keys (and key groups, were there any)
            widget.add_class("-compact", update=False)
            yield widget
