"""TOML source helpers: locate a dotted key so errors can name the line, and that error."""

from __future__ import annotations

import re
from pathlib import Path


class SourceError(ValueError):
    """A TOML file that cannot be used, naming the file, line and field at fault."""

    def __init__(self, path: Path, line: int, field: str, reason: str) -> None:
        self.path, self.line, self.field, self.reason = path, line, field, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


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
