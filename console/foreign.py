"""Recognising a port that answers in another protocol than SMTP."""

from __future__ import annotations

import re

from console.printable import printable

_SIGNS: tuple[tuple[re.Pattern[bytes], str], ...] = (
    (re.compile(rb"\* (OK|PREAUTH|BYE|BAD|NO|CAPABILITY)\b", re.IGNORECASE), "imap"),
    (re.compile(rb"(\+OK|-ERR)\b"), "pop3"),
    (re.compile(rb"SSH-\d"), "ssh"),
    (re.compile(rb"HTTP/\d|<!DOCTYPE html|<html", re.IGNORECASE), "http"),
    (re.compile(rb"[\x14-\x17]\x03[\x00-\x04]"), "tls"),
)
SHOWN = 160


def recognise(data: bytes) -> str:
    """Which protocol the first bytes a server sent belong to: imap, pop3, ssh, http, tls, other."""
    start = data.lstrip(b"\r\n")
    for pattern, name in _SIGNS:
        if pattern.match(start):
            return name
    return "other"


def first_line(data: bytes) -> str:
    """The first line the server sent, escaped and cut short, saying how much more came."""
    line, _, _ = data.lstrip(b"\r\n").partition(b"\n")
    line = line.rstrip(b"\r")
    shown = printable(line[:SHOWN].decode("utf-8", "surrogateescape"))
    rest = len(data) - min(len(line), SHOWN)
    return shown + (f" ... ({rest} more bytes)" if rest > 2 else "")
