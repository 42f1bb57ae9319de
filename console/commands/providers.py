"""smtp-console providers (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the providers command."""
    commands.add_parser("providers", help="(not built yet)")
