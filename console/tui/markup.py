"""Text from data or users, made safe to show inside console markup."""

from __future__ import annotations


def escape(text: str) -> str:
    """Text with every "[" escaped, so nothing in it reads as a markup tag."""
    return text.replace("[", r"\[")
