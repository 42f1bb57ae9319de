"""The console's start, as a user sees it: from `smtp-console` to the first guide text in tmux.

    uv run python benchmarks/startup.py [--runs N]

Each run starts a fresh process in a detached tmux session (80x24) and polls the pane
until the text appears: the guide's first question for `smtp-console`, the only line of
a bare Textual app (a Static and a Footer) for the comparison. Runs alternate between
the two; medians are compared. Target: smtp-console / bare Textual app <= 2.0.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

from _common import (
    console_environment,
    load,
    median,
    smtp_console,
    start_in_pane,
    tmux,
    until_pane_shows,
    verdict,
)

TARGET = 2.0
GUIDE_TEXT = "Which service sends your company's outgoing mail?"
BARE_TEXT = "a bare Textual app is ready"
BARE_APP = f"""
from textual.app import App
from textual.widgets import Footer, Static

class Bare(App[None]):
    def compose(self):
        yield Static({BARE_TEXT!r})
        yield Footer()

Bare().run()
"""


def until_shown(command: list[str], text: str, environment: dict[str, str]) -> float:
    """Seconds from starting `command` in a tmux pane until `text` is on the screen."""
    session = f"bench{os.getpid()}"
    began = time.perf_counter()
    start_in_pane(session, command, environment)
    try:
        return until_pane_shows(session, text, since=began)
    finally:
        tmux("kill-session", "-t", session)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    if shutil.which("tmux") is None:
        print("tmux is not installed: nothing measured; ratio not measured")
        return 1
    with tempfile.TemporaryDirectory() as home:
        environment = console_environment(home)
        kinds = {
            "bare Textual app": ([sys.executable, "-c", BARE_APP], BARE_TEXT),
            "smtp-console": (smtp_console(), GUIDE_TEXT),
        }
        # One idle session keeps the tmux server up between runs: a server that exits with its
        # last session can take the next run's new session down with it.
        tmux("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 3600")
        try:
            for command, text in kinds.values():  # warm the file cache and bytecode
                until_shown(command, text, environment)
            timings: dict[str, list[float]] = {name: [] for name in kinds}
            for number in range(runs):
                order = list(kinds.items())[:: 1 if number % 2 == 0 else -1]
                for name, (command, text) in order:
                    timings[name].append(until_shown(command, text, environment))
        finally:
            tmux("kill-server")
    medians = {name: median(values) for name, values in timings.items()}
    print(f"runs per variant: {runs} (alternating, whole processes in tmux 80x24); {load()}")
    for name, value in medians.items():
        print(f"{name:<17} first text after {value * 1000:7.0f} ms (median)")
    ratio = medians["smtp-console"] / medians["bare Textual app"]
    return 0 if verdict("smtp-console / bare Textual app", ratio, TARGET) else 1


if __name__ == "__main__":
    raise SystemExit(main())
