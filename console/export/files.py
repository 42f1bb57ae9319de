"""Writing an export or a secret file: atomically, readable by its owner only when new."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PRIVATE = 0o600


def write_private(path: Path, data: bytes, *, keep_mode: bool) -> None:
    """Replace the file atomically at mode 0600 (an existing file's mode kept if keep_mode)."""
    target = Path(os.path.realpath(path))
    mode = target.stat().st_mode & 0o777 if keep_mode and target.exists() else PRIVATE
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            os.fchmod(stream.fileno(), mode)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
