"""The console's check card names a port the provider lacks as the command line does."""

from __future__ import annotations

import pytest
from textual.widgets import Select, Static

from console.tui.app import ConsoleApp
from console.tui.widgets.stage_lights import StageLights
from tests.console_pilot import started
from tests.test_tui_flows import ALICE, office365_personal_channel, type_into

NO_465 = "Office 365 / Exchange Online has no port 465: use 587 with STARTTLS"


@pytest.mark.parametrize("security", ["tls", "starttls"])
async def test_office365_on_465_times_out_and_the_card_says_use_587(security: str) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = await office365_personal_channel(pilot)
        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await type_into(pilot, "server-port", "465")
        await type_into(pilot, "server-timeout", "0.5")
        screen.query_one("#server-security", Select).value = security
        await pilot.pause()
        await pilot.press("ctrl+t")
        await app.workers.wait_for_complete()
        await pilot.pause()
        states = screen.query_one(StageLights).states
        assert "failed" in states.values() and states["auth"] != "ok"
        assert screen.diagnosis is not None and screen.diagnosis.title == NO_465
        card = str(screen.query_one("#diagnosis-text", Static).render())
        assert NO_465 in card.replace("\n", " ")
        simulator = screen.rehearsal.simulator
        assert simulator is not None and simulator.mailbox.messages == []
