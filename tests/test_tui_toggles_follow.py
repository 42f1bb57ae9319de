"""The Rehearse tab's toggles say what the simulator has, whoever changed it (80x24)."""

from __future__ import annotations

from textual.widgets import SelectionList

from console.tui.app import ConsoleApp
from console.tui.widgets.check_panel import CheckPanel
from simulator.server import Simulator
from simulator.state import Account, holds
from tests.console_pilot import started
from tests.test_tui_flows import main_screen, settle
from tests.test_tui_provider_toggles import (
    check,
    gmail_channel,
    play,
    rehearse,
    ses_channel,
    switch,
)
from tests.test_tui_rehearse_lessons import prompts


async def test_a_lessons_events_turn_the_toggles_on_in_words() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await ses_channel(pilot, screen)
        toggles = await play(pilot, screen, "ses-sandbox")
        # The lesson puts the account in the sandbox at 0s: no click, the toggle says so.
        await settle(pilot, lambda: "Sandbox: on" in prompts(toggles))
        assert "sandbox" in toggles.selected and "Quota used up: off" in prompts(toggles)

        await pilot.press("n")  # 30m: the day's quota is used up
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: "Quota used up: on" in prompts(toggles))
        assert (await check(pilot, screen))["mail"] == "failed"
        assert screen.diagnosis is not None
        assert "Daily message quota exceeded" in screen.diagnosis.reply

        await pilot.press("r")  # the lesson afresh: the sandbox again, the quota free
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: "Quota used up: off" in prompts(toggles))
        assert "Sandbox: on" in prompts(toggles)


async def test_two_step_turned_on_at_ten_minutes_shows_on_the_toggle() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot, "me@gmail.com")
        toggles = await play(pilot, screen, "gmail-two-step-turned-on")
        await settle(pilot, lambda: "2-Step on: off" in prompts(toggles))
        assert (await check(pilot, screen))["auth"] == "ok"  # the legacy password signs in

        await pilot.press("f7", "n")  # 10m: Carol (here: the channel's login) turns 2-Step on
        await app.workers.wait_for_complete()
        await settle(pilot, lambda: "2-Step on: on" in prompts(toggles))
        assert "two-step" in toggles.selected
        assert (await check(pilot, screen))["auth"] == "failed"


async def test_a_control_from_outside_the_tab_shows_and_a_click_undoes_it() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await gmail_channel(pilot)
        await rehearse(pilot, screen, "gmail")
        simulator = screen.rehearsal.simulator
        assert simulator is not None
        toggles = screen.query_one("#trainer-toggles", SelectionList)
        await settle(pilot, lambda: "Greylisting: off" in prompts(toggles))

        simulator.control("greylisting_on")  # as a scenario or a test would
        await settle(pilot, lambda: "Greylisting: on" in prompts(toggles))
        position = [p.split(":")[0] for p in prompts(toggles)].index("Greylisting")
        toggles.focus()
        await pilot.press("home", *["down"] * position, "space")
        await settle(pilot, lambda: not simulator.state.greylisting)
        await settle(pilot, lambda: "Greylisting: off" in prompts(toggles))


def test_holds_reads_back_switches_accounts_and_limits() -> None:
    sim = Simulator("office365", accounts=[Account("a@contoso.com", "pw")])
    assert holds(sim.state, "sandbox_on") is False
    sim.control("disable_smtp_auth")
    assert holds(sim.state, "disable_smtp_auth") and not holds(sim.state, "enable_smtp_auth")
    sim.control("disable_smtp_auth_mailbox", "a@contoso.com")
    assert holds(sim.state, "disable_smtp_auth_mailbox", "A@contoso.com")
    assert holds(sim.state, "rotate_password") is None  # a new password cannot be read back
    assert sim.holds("use_up_quota", "a@contoso.com") is False
    sim.control("use_up_quota", "a@contoso.com")
    assert sim.holds("use_up_quota", "a@contoso.com") and sim.holds("use_up_quota")
    assert not sim.holds("throttle", "a@contoso.com")
    sim.control("throttle", "a@contoso.com")
    assert sim.holds("throttle", "a@contoso.com")
    sim.clock.advance(seconds=61)
    assert not sim.holds("throttle", "a@contoso.com")  # the minute has passed
    sim.control("reset_limits")
    assert not sim.holds("use_up_quota")


async def test_the_ses_sandbox_refuses_the_checks_customer_and_the_tab_says_whom() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await ses_channel(pilot, screen)
        await rehearse(pilot, screen, "amazon-ses")
        transcript = screen.query_one(CheckPanel)
        states = await check(pilot, screen)
        assert states["auth"] == "ok" and "failed" not in states.values()
        assert "RCPT TO:<customer@example.net>" in "\n".join(transcript.lines)
        assert transcript.lines[-1] == (
            "* mailed customer@example.net, a customer outside the verified identities: "
            "out of the sandbox, where any recipient is taken"
        )

        await switch(pilot, screen, "Sandbox")
        # The sandbox sends one message a second: a second check in the same second is throttled.
        assert screen.rehearsal.simulator is not None
        screen.rehearsal.simulator.clock.advance(seconds=1)
        states = await check(pilot, screen)
        assert states["auth"] == "ok" and "failed" in states.values()
        assert screen.diagnosis is not None
        assert screen.diagnosis.reply.startswith(
            "554 Message rejected: Email address is not verified. The following identities "
            "failed the check in region US-EAST-1: customer@example.net"
        )
        assert transcript.lines[-1].endswith(
            "in the sandbox, which takes mail only to verified identities"
        )
