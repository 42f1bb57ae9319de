"""smtp-console simulate (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the simulate command."""
    commands.add_parser("simulate", help="(not built yet)")
