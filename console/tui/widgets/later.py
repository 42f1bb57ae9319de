"""Widgets made and mounted just after the first screen is on the terminal: it comes sooner."""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget


class Later(Widget):
    """A stand-in that mounts the widget `make` returns, after the screen's second refresh.

    Headless (tests) it mounts after the first, as textual's Lazy does.

    Textual does not write the frames it lays out while the app itself mounts, so widgets
    mounted at the first refresh (textual's Lazy) would still hold the first screen back.
    `make` may import its widget's module: that, too, then waits until the screen is up.
    """

    DEFAULT_CSS = "Later { display: none; }"

    def __init__(self, make: Callable[[], Widget]) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        if self.app.is_headless:  # no terminal to write a first screen to: mount at once
            self.call_after_refresh(self._replace)
        else:
            self.call_after_refresh(self.call_after_refresh, self._replace)

    async def _replace(self) -> None:
        parent = self.parent
        if isinstance(parent, Widget):
            await parent.mount(self.make(), after=self)
            await self.remove()
