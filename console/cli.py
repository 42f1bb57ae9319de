"""The single entry point: smtp-console [COMMAND]."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from console import exitcodes

COMMANDS = ("providers", "channels", "simulate", "check", "burst", "explain", "export")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command module's subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="smtp-console",
        description="Set up, rehearse and diagnose an outgoing SMTP delivery channel. "
        "With no command, opens the console.",
        epilog="Exit codes: 0 success, 1 the server refused or failed, 2 bad input.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        import_module(f"console.commands.{name}").register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return exitcodes.BAD_INPUT if stop.code else exitcodes.OK
    if args.command is None:
        from console.tui.app import run

        return run()
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep the exit flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exitcodes.REFUSED
