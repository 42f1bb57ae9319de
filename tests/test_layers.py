"""The simulator stands alone, and only console/tui imports textual."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import importlib, pkgutil, sys
import {package}
for found in pkgutil.walk_packages({package}.__path__, "{package}."):
    if not found.name.startswith({skip!r}) and not found.name.endswith(".__main__"):
        importlib.import_module(found.name)
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})))
"""


def imported(package: str, forbidden: tuple[str, ...], skip: tuple[str, ...] = ()) -> str:
    code = PROBE.format(package=package, forbidden=forbidden, skip=skip)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_simulator_imports_neither_console_nor_textual() -> None:
    assert imported("simulator", ("console", "textual")) == ""


def test_the_console_outside_its_tui_does_not_import_textual() -> None:
    assert imported("console", ("textual",), skip=("console.tui",)) == ""
