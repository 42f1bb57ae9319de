"""smtp-console check (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the check command."""
    commands.add_parser("check", help="(not built yet)")
