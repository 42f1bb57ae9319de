"""At 80x24 the Rehearse tab lists only the channel's provider's toggles, each saying on or off."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import OptionList, Select, SelectionList

from console.tui.app import ConsoleApp
from console.tui.screens.lessons import LessonScreen
from console.tui.screens.main import MainScreen
from console.tui.widgets.stage_lights import StageLights
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, settle, type_into
from tests.test_tui_rehearse_lessons import prompts

GMAIL_OWN = ["App password revoked: off", "2-Step on: off", "Too many logins: off"]
SES_OWN = ["Sandbox: off", "Sending rate exceeded: off"]


async def switch(pilot: Pilot[int], screen: MainScreen, label: str) -> SelectionList[str]:
    """Switch one toggle with the keyboard (F7, then space on its line); the list."""
    await pilot.press("f7")
    toggles = screen.query_one("#trainer-toggles", SelectionList)
    position = [p.split(":")[0] for p in prompts(toggles)].index(label)
    await pilot.press("home", *["down"] * position, "space")
    await pilot.pause()
    return toggles


async def play(pilot: Pilot[int], screen: MainScreen, name: str) -> SelectionList[str]:
    """Start a lesson from the Rehearse tab with the keyboard; the toggle list."""
    await pilot.press("f7", "l")
    await settle(pilot, lambda: isinstance(pilot.app.screen, LessonScreen))
    lessons = pilot.app.screen.query_one("#lesson-list", OptionList)
    names = [lessons.get_option_at_index(i).id for i in range(lessons.option_count)]
    await pilot.press(*["down"] * names.index(name), "enter")
    await settle(pilot, lambda: screen.rehearsal.lesson_name == name)
    return screen.query_one("#trainer-toggles", SelectionList)


async def ses_channel(pilot: Pilot[int], screen: MainScreen) -> None:
    """Make the draft an Amazon SES channel with its SMTP user and a verified sender."""
    screen.query_one("#channel-provider", Select).value = "amazon-ses"
    await pilot.pause()
    await type_into(pilot, "auth-username", "AKIAEXAMPLESMTPUSER1")
    await type_into(pilot, "sender-from", "news@example.com")


async def gmail_channel(pilot: Pilot[int], user: str = "bob@gmail.com") -> None:
    """The guide's Gmail draft (own account, no bulk, no OAuth), signing in as `user`."""
    await pilot.press("2", "1", "1", "1", "c")
    await pilot.pause()
    await type_into(pilot, "auth-username", user)


async def rehearse(pilot: Pilot[int], screen: MainScreen, provider: str) -> SelectionList[str]:
    """The Rehearse tab (F7), once its simulator imitates `provider`; the toggle list."""
    await pilot.press("f7")
    await settle(pilot, lambda: screen.rehearsal.provider == provider)
    return screen.query_one("#trainer-toggles", SelectionList)


async def check(pilot: Pilot[int], screen: MainScreen) -> dict[str, str]:
    await pilot.press("ctrl+t")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return screen.query_one(StageLights).states


async def test_gmail_shows_its_own_toggles_and_too_many_logins_refuses_the_sign_in() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot)
        toggles = await rehearse(pilot, screen, "gmail")
        await settle(pilot, lambda: "2-Step on: off" in prompts(toggles))
        shown = prompts(toggles)
        assert set(GMAIL_OWN) <= set(shown) and "Quota used up: off" in shown
        assert not [p for p in shown if p.startswith(("Throttle", "Sandbox", "SMTP AUTH"))]

        await switch(pilot, screen, "Too many logins")
        assert "Too many logins: on" in prompts(toggles)
        states = await check(pilot, screen)
        assert states["auth"] == "failed"
        assert screen.diagnosis is not None
        assert "454 4.7.0 Too many login attempts" in screen.diagnosis.reply
        await switch(pilot, screen, "Too many logins")
        assert "Too many logins: off" in prompts(toggles)
        assert (await check(pilot, screen))["auth"] == "ok"

        # The rehearsed account signs in with an app password, which Google issues only
        # with 2-Step on: the toggle says so, as the simulator has it, without a click.
        assert screen.rehearsal.simulator is not None
        account = screen.rehearsal.simulator.state.account("bob@gmail.com")
        assert account is not None and account.two_step
        assert "2-Step on: on" in prompts(toggles)
        await switch(pilot, screen, "2-Step on")
        assert "2-Step on: off" in prompts(toggles) and not account.two_step


async def test_amazon_ses_shows_sandbox_and_sending_rate() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await ses_channel(pilot, screen)
        toggles = await rehearse(pilot, screen, "amazon-ses")
        await settle(pilot, lambda: "Sandbox: off" in prompts(toggles))
        shown = prompts(toggles)
        assert set(SES_OWN) <= set(shown)
        assert not [p for p in shown if p.startswith(("Throttle", "2-Step", "App password"))]

        await switch(pilot, screen, "Sending rate exceeded")
        assert "Sending rate exceeded: on" in prompts(toggles)
        states = await check(pilot, screen)
        assert states["auth"] == "ok" and states["mail"] == "failed"
        assert screen.diagnosis is not None
        assert "454 Throttling failure: Maximum sending rate exceeded" in screen.diagnosis.reply

        await switch(pilot, screen, "Sending rate exceeded")
        await switch(pilot, screen, "Sandbox")
        assert {"Sandbox: on", "Sending rate exceeded: off"} <= set(prompts(toggles))
        assert screen.rehearsal.simulator is not None
        assert screen.rehearsal.simulator.state.sandbox


def test_limit_toggles_are_listed_where_the_profile_has_that_limit() -> None:
    from console.tui.rehearsal import toggles_for
    from simulator.profile import load_all

    for provider, profile in load_all().items():
        ids = {t.id for t in toggles_for(provider)}
        limits = profile.limits
        assert ("throttle" in ids) == (limits.messages_per_minute is not None), provider
        daily = limits.messages_per_day or limits.recipients_per_day
        assert ("quota" in ids) == (daily is not None), provider


async def test_two_step_on_refuses_a_legacy_lessons_password_from_then_on() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot, "me@gmail.com")
        await play(pilot, screen, "gmail-two-step-turned-on")
        assert (await check(pilot, screen))["auth"] == "ok"  # the legacy password signs in

        toggles = await switch(pilot, screen, "2-Step on")
        assert "2-Step on: on" in prompts(toggles)
        assert (await check(pilot, screen))["auth"] == "failed"
        assert screen.diagnosis is not None
        assert "534 5.7.9 Application-specific password required" in screen.diagnosis.reply
