"""Widgets made and mounted just after the first screen is on the terminal: it comes sooner."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Later(Widget):
    """A stand-in that mounts the widget `make` returns after the screen's first refresh.

    As textual's Lazy, but `make` may import its widget's module: that, too, then waits
    until the screen is up.
    """

    DEFAULT_CSS = "Later { display: none; }"

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.call_after_refresh(self._replace)

    async def _replace(self) -> None:
        parent = self.parent
        if isinstance(parent, Widget) and parent.is_attached:  # not when quitting already
            await parent.mount(self.make(), after=self)
            await self.remove()
