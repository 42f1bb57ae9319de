"""At Amazon SES the Burst tab mails a customer, so the sandbox judges a burst as it would live."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen
from tests.console_pilot import started
from tests.test_tui_flows import main_screen
from tests.test_tui_provider_toggles import rehearse, ses_channel, switch

SANDBOX_REFUSAL = (
    "554 Message rejected: Email address is not verified. The following identities failed the "
    "check in region US-EAST-1: customer@example.net"
)


async def burst(pilot: Pilot[int], screen: MainScreen, count: int) -> str:
    """Send a burst of `count` with ctrl+b; the summary the tab shows."""
    screen.query_one("#burst-count", Input).value = str(count)
    await pilot.press("ctrl+b")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return str(screen.query_one("#burst-summary").render())


async def test_the_sandbox_refuses_a_burst_to_a_customer_and_lets_it_through_when_off() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await ses_channel(pilot, screen)
        await rehearse(pilot, screen, "amazon-ses")
        await switch(pilot, screen, "Sandbox")
        simulator = screen.rehearsal.simulator
        assert simulator is not None and simulator.state.sandbox

        summary = await burst(pilot, screen, 3)
        assert "0 on time" in summary and "3 rejected" in summary
        assert "mailed customer@example.net, a customer outside the verified identities" in summary
        assert "in the sandbox" in summary
        assert f"3 rejected after the body: {SANDBOX_REFUSAL}" in summary  # SES's own words
        assert screen.diagnosis is not None and screen.diagnosis.stage == "data"  # after the body
        assert screen.diagnosis.reply.startswith(SANDBOX_REFUSAL)
        assert len(simulator.mailbox.messages) == 0

        await switch(pilot, screen, "Sandbox")
        assert not simulator.state.sandbox
        summary = await burst(pilot, screen, 3)
        assert "3 on time" in summary and "0 rejected" in summary
        assert "out of the sandbox, where any recipient is taken" in summary
        assert [m.recipients for m in simulator.mailbox.messages] == [("customer@example.net",)] * 3
