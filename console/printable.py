"""Server text made safe for a terminal: control characters and escapes shown, not obeyed."""

from __future__ import annotations

import re

# C0 controls but tab, DEL, C1 controls, and the surrogates that stand for undecodable bytes.
_UNSAFE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\udc80-\udcff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return f"\\x{code - 0xDC00 if code >= 0xDC80 else code:02x}"


def printable(text: str) -> str:
    """The text with every control character, escape and undecodable byte written as \\xNN."""
    return _UNSAFE.sub(_escape, text)
