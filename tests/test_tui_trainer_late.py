"""The trainer panel mounts after the first screen; arriving late, it catches up."""

from __future__ import annotations

from textual.widgets import SelectionList

from console.tui.app import ConsoleApp
from console.tui.rehearsal import toggles_for
from console.tui.widgets.rehearse_pane import RehearsePane
from console.tui.widgets.trainer_panel import TrainerPanel
from tests.console_pilot import started
from tests.test_tui_flows import main_screen


async def test_a_panel_mounting_after_the_simulator_started_lists_its_provider() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        pane = main_screen(app).query_one(RehearsePane)
        await pane.rehearsal.start("gmail")  # as when the simulator wins the race to start
        pane.simulated_provider = "gmail"
        await pane.query_one(TrainerPanel).remove()
        late = TrainerPanel(id="trainer")
        mounting = pane.mount(late, before=0)
        pane.tick_clock()  # the one-second tick, before the panel has its widgets: no error
        await mounting
        await pilot.pause()
        await pilot.pause()
        toggles = late.query_one("#trainer-toggles", SelectionList)
        listed = [toggles.get_option_at_index(i).id for i in range(toggles.option_count)]
        assert listed == [toggle.id for toggle in toggles_for("gmail")]
        assert "Gmail" in str(late.query_one("#sim-status").render())
