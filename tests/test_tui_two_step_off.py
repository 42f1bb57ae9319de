"""Gmail's 2-Step toggle turned off stays off through the next check, which Gmail then refuses."""

from __future__ import annotations

from console.tui.app import ConsoleApp
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, settle
from tests.test_tui_provider_toggles import check, gmail_channel, rehearse, switch
from tests.test_tui_rehearse_lessons import prompts

# Gmail's reply to a wrong password or app password (profiles/gmail.toml auth_failed, OBS).
BAD_CREDENTIALS = "535 5.7.8 Username and Password not accepted."


async def test_two_step_turned_off_sticks_and_the_app_password_is_refused() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot)
        toggles = await rehearse(pilot, screen, "gmail")
        assert (await check(pilot, screen))["auth"] == "ok"  # the app password, with 2-Step
        assert "2-Step on: on" in prompts(toggles)

        await switch(pilot, screen, "2-Step on")
        await settle(pilot, lambda: "2-Step on: off" in prompts(toggles))
        states = await check(pilot, screen)
        assert "2-Step on: off" in prompts(toggles)  # the check did not turn it back on
        assert screen.rehearsal.simulator is not None
        account = screen.rehearsal.simulator.state.account("bob@gmail.com")
        assert account is not None and not account.two_step
        # App passwords need 2-Step: without it Google takes the app password as a wrong one.
        assert states["auth"] == "failed"
        assert screen.diagnosis is not None and BAD_CREDENTIALS in screen.diagnosis.reply

        await switch(pilot, screen, "2-Step on")
        await settle(pilot, lambda: "2-Step on: on" in prompts(toggles))
        assert (await check(pilot, screen))["auth"] == "ok"


async def test_app_password_revoked_stays_revoked_through_the_next_check() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot)
        toggles = await rehearse(pilot, screen, "gmail")
        assert (await check(pilot, screen))["auth"] == "ok"

        await switch(pilot, screen, "App password revoked")
        await settle(pilot, lambda: "App password revoked: on" in prompts(toggles))
        states = await check(pilot, screen)  # the check does not hand the app password back
        assert screen.rehearsal.simulator is not None
        account = screen.rehearsal.simulator.state.account("bob@gmail.com")
        assert account is not None and account.app_password is None
        assert states["auth"] == "failed" and "App password revoked: on" in prompts(toggles)
        assert screen.diagnosis is not None and BAD_CREDENTIALS in screen.diagnosis.reply

        await switch(pilot, screen, "App password revoked")  # a new app password, at once
        await settle(pilot, lambda: "App password revoked: off" in prompts(toggles))
        assert account.app_password is not None
        assert (await check(pilot, screen))["auth"] == "ok"
