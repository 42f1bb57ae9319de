"""smtp-console burst (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the burst command."""
    commands.add_parser("burst", help="(not built yet)")
