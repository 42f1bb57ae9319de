"""The focus marker: a glyph beside whatever has focus, so it shows in 16 colours and NO_COLOR."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input, Label, Select

MARK = "▶"
NO_TOP = frozenset({"", "none", "hidden", "blank"})


def mark(widget: Widget, here: bool) -> None:
    """Show or take away the focus marker on a widget that gains or loses focus."""
    label = _row_label(widget)
    if label is not None:
        # A labelled row: the marker goes before the field's name.
        label.update(f"{MARK if here else ' '} {label.name}", layout=False)  # same width
        label.set_class(here, "-focus")
    elif _framed(widget):
        _title(widget, here)
    elif isinstance(widget.parent, Widget) and _framed(widget.parent):
        _title(widget.parent, here)  # a list filling a framed panel: the panel's edge
    else:
        widget.set_class(here, "-marked")  # anything else: a bar over its left edge (app.tcss)


def _framed(widget: Widget) -> bool:
    return widget.styles.border_top[0] not in NO_TOP


def _title(widget: Widget, here: bool) -> None:
    """The marker in the top edge of a frame, before any title it has."""
    title = str(widget.border_title or "").removeprefix(f"{MARK} ").removeprefix(MARK)
    widget.border_title = f"{MARK} {title}".rstrip() if here else (title or None)


def _row_label(widget: Widget) -> Label | None:
    """The named field label just before the widget in its row, if there is one."""
    parent = widget.parent
    if parent is None or not isinstance(widget, Input | Select):
        return None  # a button names itself
    found: Label | None = None
    for child in parent.children:
        if child is widget:
            return found
        if isinstance(child, Label) and child.has_class("field-label") and child.name:
            found = child
    return None
