"""The Textual console (being built)."""

from console.cli import build_parser


def run() -> int:
    """Until the console lands, print the command-line help."""
    build_parser().print_help()
    return 0
