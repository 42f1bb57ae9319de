"""smtp-console explain (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the explain command."""
    commands.add_parser("explain", help="(not built yet)")
