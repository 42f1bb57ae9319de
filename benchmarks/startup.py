"""Time from launch to the console's first interactive screen, against a bare Textual app.

Each run is a fresh Python process (imports included), headless, measured from just
before the process is spawned to the moment the first screen has been painted and
takes keys. Also reported: when the embedded simulator is listening (it starts in a
worker after the screen is up, so it never delays the first screen).

    uv run python benchmarks/startup.py [--runs N]

Target: console / bare <= 2.0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import sys, time
kind = sys.argv[1]
if kind == "bare":
    from textual.app import App
    from textual.widgets import Footer, Static

    class Bare(App[None]):
        def compose(self):
            yield Static("hello")
            yield Footer()

        def on_mount(self) -> None:
            self.call_after_refresh(lambda: (print("ready", time.time()), self.exit()))

    Bare().run(headless=True, size=(80, 24))
else:
    from console.tui.app import ConsoleApp
    from console.tui.screens.main import MainScreen
    from console.tui.widgets.rehearse_pane import RehearsePane

    app = ConsoleApp()
    mount = MainScreen.on_mount
    start = RehearsePane.start_simulator

    def on_mount(self: MainScreen) -> None:
        mount(self)
        self.call_after_refresh(lambda: print("ready", time.time(), flush=True))
        if kind == "interactive":
            self.call_after_refresh(app.exit)

    async def started(self: RehearsePane, provider: str) -> None:
        await start.__wrapped__(self, provider)
        print("simulator", time.time(), flush=True)
        app.exit()

    MainScreen.on_mount = on_mount
    if kind == "simulator":
        from textual import work
        RehearsePane.start_simulator = work(exclusive=True, group="simulator")(started)
    app.run(headless=True, size=(80, 24))
"""


def launch(kind: str, environment: dict[str, str]) -> dict[str, float]:
    """Run one child; seconds from spawn to each mark it printed."""
    began = time.time()
    output = subprocess.run(
        [sys.executable, "-c", CHILD, kind],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=True,
    ).stdout
    marks = {}
    for line in output.splitlines():
        name, _, stamp = line.partition(" ")
        if name in ("ready", "simulator"):
            marks[name] = float(stamp) - began
    return marks


def main() -> int:
    """Measure and print medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as home:
        environment = {
            **os.environ,
            "SMTP_CONSOLE_CONFIG_DIR": home,
            "SMTP_CONSOLE_CHANNELS_DIR": os.path.join(home, "channels"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        }
        launch("bare", environment)  # warm the file cache and bytecode for both
        launch("interactive", environment)
        bare, console, simulator = [], [], []
        for _ in range(runs):
            bare.append(launch("bare", environment)["ready"])
            console.append(launch("interactive", environment)["ready"])
            simulator.append(launch("simulator", environment)["simulator"])
    bare_median, console_median = statistics.median(bare), statistics.median(console)
    print(f"runs per variant:           {runs}")
    print(f"bare Textual app ready:     {bare_median * 1000:7.0f} ms (median)")
    print(f"smtp-console ready:         {console_median * 1000:7.0f} ms (median)")
    print(f"embedded simulator up:      {statistics.median(simulator) * 1000:7.0f} ms (median)")
    ratio = console_median / bare_median
    print(f"ratio console / bare:       {ratio:7.2f}  (target <= 2.0)")
    return 0 if ratio <= 2.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
