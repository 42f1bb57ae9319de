"""TOML source helpers: locate a dotted key so errors can name the line, and that error."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any


class SourceError(ValueError):
    """A TOML file that cannot be used, naming the file, line and field at fault."""

    def __init__(self, path: Path, line: int, field: str, reason: str) -> None:
        self.path, self.line, self.field, self.reason = path, line, field, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


def read_toml(path: Path, error: type[SourceError]) -> tuple[str, dict[str, Any]]:
    """A TOML file's text and data; `error` says what is wrong (unreadable, not UTF-8, bad TOML)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as failure:
        raise error(path, 0, "", f"cannot be read: {failure.strerror}") from None
    except UnicodeDecodeError:
        raise error(path, 0, "", "is not UTF-8 text") from None
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        found = re.search(r"line (\d+)", str(failure))
        line = int(found.group(1)) if found else 0
        raise error(path, line, "", f"is not valid TOML: {failure}") from None


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'.]+)\s*=")


def find_line(text: str, dotted: str) -> int:
    """Return the 1-based line where `dotted` (e.g. "limits.port") is set, or 0."""
    parts = dotted.split(".")
    best = 0
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = [p.strip().strip("\"'") for p in header.group(1).split(".")]
            if table == parts:
                best = best or number
            continue
        key = _KEY.match(line)
        if key:
            full = table + [p.strip("\"'") for p in key.group(1).split(".")]
            if full == parts:
                return number
            if not best and parts[: len(full)] == full:
                best = number
    if not best and len(parts) > 1:
        return find_line(text, ".".join(parts[:-1]))
    return best


def key_lines(text: str) -> dict[str, int]:
    """The first line setting each dotted key (tables too), in one pass over the text."""
    found: dict[str, int] = {}
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = [p.strip().strip("\"'") for p in header.group(1).split(".")]
            found.setdefault(".".join(table), number)
            continue
        key = _KEY.match(line)
        if key:
            full = table + [p.strip("\"'") for p in key.group(1).split(".")]
            found.setdefault(".".join(full), number)
    return found


def entry_line(text: str, table: str, index: int, key: str | None = None) -> int:
    """The line of `key` in the index-th [[table]] entry, else that entry's header line, or 0."""
    header = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    lines = text.splitlines()
    starts = [number for number, line in enumerate(lines, 1) if header.match(line)]
    if index >= len(starts):
        return 0
    start = starts[index]
    if key is not None:
        setting = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for number, line in enumerate(lines[start:], start + 1):
            if line.lstrip().startswith("["):
                break
            if setting.match(line):
                return number
    return start
