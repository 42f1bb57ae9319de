"""A tab switch as a user sees it: from F6 / F7 in tmux until the new tab is on the screen.

    uv run python benchmarks/tab_switch.py [--runs N] [--switches N]

Each run starts a process in a detached tmux pane (80x24), waits for its first screen,
shows both tabs once (the console mounts a tab's panels on its first visit), then presses
F7 and F6 by turns, each time polling the pane until a line only the new tab has appears,
with a pause after each switch for the screen to settle, as a user reads before moving on.
`smtp-console` goes from Channel to Rehearse and back; the baseline, a bare Textual app
with two tabs of one line each (F6 / F7 bound to them, and a Footer), does the same. Runs
alternate between the two; the medians of all switches are compared.
Target: the console's median within 100 ms, which feels immediate; its ratio to the bare
app (whose switch is mostly tmux's own delay) is reported.
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

TARGET_MS = 100
SETTLE = 0.4  # seconds between switches
BARE_APP = """
from textual.app import App
from textual.widgets import Footer, Static, TabbedContent, TabPane

class Bare(App[None]):
    BINDINGS = [("f6", "show('one')", "One"), ("f7", "show('two')", "Two")]

    def compose(self):
        with TabbedContent():
            with TabPane("One", id="one"):
                yield Static("the first tab is shown")
            with TabPane("Two", id="two"):
                yield Static("the second tab is shown")
        yield Footer()

    def action_show(self, tab):
        self.query_one(TabbedContent).active = tab

Bare().run()
"""
# What each shows first, then the line that only its F6 tab has and the one only F7's has.
KINDS = {
    "bare Textual app": (
        [sys.executable, "-c", BARE_APP],
        "the first tab is shown",
        "the first tab is shown",
        "the second tab is shown",
    ),
    "smtp-console": (
        smtp_console(),
        "Which service sends your company's outgoing mail?",
        "Timeout (s)",
        "Simulator",
    ),
}


def switch_times(name: str, switches: int, environment: dict[str, str]) -> list[float]:
    """Seconds for each of `switches` tab switches in one fresh process."""
    command, first, f6_text, f7_text = KINDS[name]
    session = f"tabs{os.getpid()}"
    start_in_pane(session, command, environment)
    try:
        until_pane_shows(session, first, since=time.perf_counter())
        for key, text in (("F7", f7_text), ("F6", f6_text)):  # the first visits mount
            tmux("send-keys", "-t", session, key)
            until_pane_shows(session, text, since=time.perf_counter())
            time.sleep(SETTLE)
        times = []
        for number in range(switches):
            key, text = ("F7", f7_text) if number % 2 == 0 else ("F6", f6_text)
            began = time.perf_counter()
            tmux("send-keys", "-t", session, key)
            times.append(until_pane_shows(session, text, since=began, timeout=10))
            time.sleep(SETTLE)
        return times
    finally:
        tmux("kill-session", "-t", session)


def main() -> int:
    """Print the medians and the verdict; 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--switches", type=int, default=6)
    options = parser.parse_args()
    if shutil.which("tmux") is None:
        print("tmux is not installed: nothing measured; ratio not measured")
        return 1
    timings: dict[str, list[float]] = {name: [] for name in KINDS}
    with tempfile.TemporaryDirectory() as home:
        environment = console_environment(home)
        tmux("new-session", "-d", "-s", "keep", "-x", "80", "-y", "24", "sleep 3600")
        try:
            for name in KINDS:  # warm the file cache and bytecode
                switch_times(name, 1, environment)
            for number in range(options.runs):
                for name in list(KINDS)[:: 1 if number % 2 == 0 else -1]:
                    timings[name] += switch_times(name, options.switches, environment)
        finally:
            tmux("kill-server")
    medians = {name: median(values) for name, values in timings.items()}
    print(
        f"{options.runs} runs x {options.switches} switches per variant "
        f"(alternating, whole processes in tmux 80x24); {load()}"
    )
    for name, value in medians.items():
        print(f"{name:<17} tab on the screen after {value * 1000:6.0f} ms (median)")
    ratio = medians["smtp-console"] / medians["bare Textual app"]
    print(f"ratio smtp-console / bare Textual app: {ratio:.2f} (reported)")
    met = verdict(f"smtp-console / {TARGET_MS} ms", medians["smtp-console"] * 1000 / TARGET_MS, 1)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
