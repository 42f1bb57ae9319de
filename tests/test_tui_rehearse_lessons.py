"""The Rehearse tab at 80x24, keyboard only: lessons, the virtual clock, per-provider toggles."""

from __future__ import annotations

from textual.widgets import OptionList, SelectionList, Static

from console.tui.app import ConsoleApp
from console.tui.screens.lessons import LessonScreen
from console.tui.widgets.stage_lights import StageLights
from tests.console_pilot import started
from tests.test_tui_flows import ALICE, office365_personal_channel, settle, type_into


def prompts(toggles: SelectionList[str]) -> list[str]:
    return [str(toggles.get_option_at_index(i).prompt) for i in range(toggles.option_count)]


async def test_a_lesson_plays_pauses_steps_and_resets_against_the_channel() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await pilot.press("f7")
        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, LessonScreen))
        lessons = app.screen.query_one("#lesson-list", OptionList)
        names = [lessons.get_option_at_index(i).id for i in range(lessons.option_count)]
        await pilot.press(*["down"] * names.index("password-changed"))
        await pilot.pause()
        detail = str(app.screen.query_one("#lesson-detail", Static).render())
        assert "The password changed" in detail and "Timeline:" in detail
        assert " 10m00s  IT reset alice@contoso.com's password" in detail
        await pilot.press("enter")
        await settle(pilot, lambda: screen.rehearsal.lesson_name == "password-changed")
        rehearsal = screen.rehearsal

        await pilot.press("p")  # pause: the virtual clock stands still
        await pilot.pause()
        assert rehearsal.paused
        clock = str(screen.query_one("#sim-clock", Static).render())
        assert "clock: paused" in clock and "lesson password-changed" in clock
        still = rehearsal.elapsed

        await pilot.press("ctrl+t")  # before the reset the channel signs in
        await app.workers.wait_for_complete()
        lights = screen.query_one(StageLights)
        assert lights.states["auth"] == "ok"
        assert rehearsal.elapsed == still

        await pilot.press("f7", "n")  # next event: IT resets the password at 10m
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert rehearsal.elapsed >= 600
        assert "no more events" in str(screen.query_one("#sim-clock", Static).render())
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert lights.states["auth"] == "failed"
        assert screen.diagnosis is not None and "535 5.7.3" in screen.diagnosis.reply

        await pilot.press("f7", "r")  # reset: the lesson from 0m, so the sign-in works again
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert rehearsal.elapsed < 600 and rehearsal.lesson_name == "password-changed"
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert lights.states["auth"] == "ok"


async def test_toggles_are_the_providers_own_and_say_on_or_off() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await pilot.press("f7")
        await settle(pilot, lambda: screen.rehearsal.provider == "office365")
        toggles = screen.query_one("#trainer-toggles", SelectionList)
        await settle(pilot, lambda: "Security Defaults: off" in prompts(toggles))
        assert "SMTP AUTH disabled: off" in prompts(toggles)
        assert not any(p.startswith("App password") for p in prompts(toggles))
        toggles.focus()
        await pilot.press("home", "down", "space")
        await pilot.pause()
        assert "Password rotated: on" in prompts(toggles)
        await pilot.press("space")
        await pilot.pause()
        assert "Password rotated: off" in prompts(toggles)

        await pilot.press("l")
        await settle(pilot, lambda: isinstance(app.screen, LessonScreen))
        lessons = app.screen.query_one("#lesson-list", OptionList)
        names = [lessons.get_option_at_index(i).id for i in range(lessons.option_count)]
        await pilot.press(*["down"] * names.index("gmail-no-app-password"), "enter")
        await settle(pilot, lambda: screen.rehearsal.provider == "gmail")
        await settle(pilot, lambda: "App password revoked: off" in prompts(toggles))
        assert not any(p.startswith(("SMTP AUTH", "Send-as")) for p in prompts(toggles))
