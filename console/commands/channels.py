"""smtp-console channels (not built yet)."""

from __future__ import annotations

import argparse


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the channels command."""
    commands.add_parser("channels", help="(not built yet)")
