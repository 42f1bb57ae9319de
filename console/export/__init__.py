"""Export a channel to the software that will send: one module per format, none with secrets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from console.export.base import Context, tool_version

__all__ = ["FORMATS", "Context", "Format", "render", "tool_version"]


@dataclass(frozen=True)
class Format:
    """One export format: its name, what it is, and where its output goes."""

    name: str
    summary: str
    where: str
    render: Callable[[Context], str]


def _load(name: str) -> Format:
    module = import_module(f"console.export.{name}")
    return Format(name, module.SUMMARY, module.WHERE, module.render)


FORMATS: dict[str, Format] = {
    name: _load(name)
    for name in ("postfix", "msmtp", "django", "laravel", "spring", "nodemailer", "env", "swaks")
}


def render(name: str, context: Context) -> str:
    """The export of the channel in the named format (KeyError for an unknown one)."""
    return FORMATS[name].render(context)
