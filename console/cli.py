"""The single entry point: smtp-console [COMMAND]."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Any

from console import exitcodes

# Each command lives in console.commands.NAME, with register(subparsers) and its run function.
COMMANDS = ("providers", "channels", "simulate", "check", "burst", "explain", "export", "oauth")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: every command registered, or only the named one (a faster start)."""
    parser = argparse.ArgumentParser(
        prog="smtp-console",
        description="Set up, rehearse and diagnose an outgoing SMTP delivery channel. "
        "With no command, opens the console.",
        epilog="Exit codes: 0 success, 1 the server refused or failed, 2 bad input, "
        "130 interrupted (ctrl+c).",
    )
    parser.add_argument("--version", action=_VersionAction, help="show the version and exit")
    parser.add_argument(
        "--channels-dir",
        dest="global_channels_dir",
        metavar="DIR",
        help="where saved channels live, for whichever command follows",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if only is None or name == only:
            import_module(f"console.commands.{name}").register(commands)
    return parser


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command named first on the line, when it is one (so only its module is imported)."""
    rest = list(argv)
    if rest[:1] == ["--channels-dir"]:
        rest = rest[2:]
    elif rest and rest[0].startswith("--channels-dir="):
        rest = rest[1:]
    return rest[0] if rest and rest[0] in COMMANDS else None


class _VersionAction(argparse.Action):
    """--version, reading the installed version only when asked (importlib.metadata is slow)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.update(nargs=0, default=argparse.SUPPRESS)
        super().__init__(option_strings, argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"smtp-console {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("smtp-console")
    except PackageNotFoundError:
        return "unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command and return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments:
        from console.tui.app import run

        return run()
    parser = build_parser(chosen_command(arguments))
    try:
        args = parser.parse_args(arguments)
    except SystemExit as stop:
        return exitcodes.BAD_INPUT if stop.code else exitcodes.OK
    if args.global_channels_dir or "console.paths" in sys.modules:
        from console import paths  # lazily: a live check need not load platformdirs

        paths.choose_channels_dir(args.global_channels_dir)
    if args.command is None:
        from console.tui.app import run

        return run()
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return exitcodes.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep the exit flush from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return exitcodes.REFUSED
