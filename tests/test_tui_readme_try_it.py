"""The README's "Try it" paragraph, key for key, at 80x24: it shows what the README says."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Input

from console.tui.app import ConsoleApp
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, settle

README = Path(__file__).resolve().parents[1] / "README.md"


def try_it() -> str:
    text = README.read_text(encoding="utf-8")
    return " ".join(text.split("Try it: ", 1)[1].split("\n\n", 1)[0].split())


def shown(app: ConsoleApp, selector: str) -> str:
    return str(main_screen(app).query_one(selector).render())


async def until(pilot: Pilot[int], condition: Callable[[], bool]) -> None:
    await pilot.app.workers.wait_for_complete()
    await settle(pilot, condition)


async def test_the_readme_try_it_steps_do_what_they_say(isolated_config: Path) -> None:
    said = try_it()
    # The claims checked below, as the README words them.
    for claim in (
        "press `1 1 1 1 1`",
        "then `c`",
        "Tab down to **Username**, type `alice@contoso.com`",
        "every stage passes",
        "fails at AUTH with `535 5.7.3`",
        "Press `r` to reset the simulator",
        "type `60`",
        "30 go on time and 10 are delayed",
        "sends all 40 on time",
    ):
        assert claim in said, claim
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"11111", "c")
        await pilot.pause()
        while app.focused is None or app.focused.id != "auth-username":
            await pilot.press("tab")
        await pilot.press(*"alice@contoso.com")
        await pilot.pause()
        assert screen.query_one("#sender-from", Input).value == "alice@contoso.com"
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "✓quit" in re.sub(r"\s", "", shown(app, "#stages")))
        assert "✗" not in shown(app, "#stages")

        await pilot.press("f7")
        toggles = screen.query_one("#trainer-toggles")
        toggles.focus()
        await pilot.press("down", "space", "ctrl+t")
        await until(pilot, lambda: screen.query_one("#diagnosis").display)
        assert "✗auth" in re.sub(r"\s", "", shown(app, "#stages"))
        assert "535 5.7.3" in str(screen.query_one("#diagnosis-text").render())

        await pilot.press("r")
        await until(pilot, lambda: not screen.rehearsal.active)
        await pilot.press("f8", "tab", *"60", "ctrl+b")
        await until(pilot, lambda: "on time" in shown(app, "#burst-summary"))
        summary = shown(app, "#burst-summary")
        assert "30 on time" in summary and "10 delayed" in summary

        await pilot.press("f7", "r")
        await until(pilot, lambda: screen.rehearsal.simulator is not None)
        await pilot.press("f8", "tab", "ctrl+a", "ctrl+k", "ctrl+b")  # per minute left empty
        await until(pilot, lambda: "40 on time" in shown(app, "#burst-summary"))


async def test_a_burst_that_cannot_sign_in_does_not_say_no_burst_yet(isolated_config: Path) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press(*"11111", "c")
        await pilot.pause()
        screen.query_one("#auth-username", Input).focus()
        await pilot.press(*"alice@contoso.com", "f7")
        screen.query_one("#trainer-toggles").focus()
        await pilot.press("down", "space", "f8", "ctrl+b")
        await until(pilot, lambda: "Sign-in refused" in shown(app, "#burst-summary"))
        assert "No message reached the server's queue." in shown(app, "#burst-chart")
