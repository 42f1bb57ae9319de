"""The key bar: textual's compact Footer look, given by the stylesheet alone."""

from __future__ import annotations

from textual.widgets import Footer


class KeyBar(Footer):
    """A Footer drawn compact without its compact flag.

    The flag makes every key of the bar restyle itself each time the bar is rebuilt, which
    happens on every change of focus; the same look from CSS costs nothing per key.
    """

    DEFAULT_CSS = """
    KeyBar {
        FooterLabel { margin: 0; }
        FooterKey { margin-right: 1; }
        FooterKey.-grouped { margin: 0 1; }
        FooterKey.-command-palette { padding-right: 0; }
        FooterKey .footer-key--key { padding: 0; }
        FooterKey .footer-key--description { padding: 0 0 0 1; }
    }
    """
