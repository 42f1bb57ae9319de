"""The guide beside the editor from 120 columns, tabs below that; From follows the user name."""

from __future__ import annotations

from textual.widgets import Input, Select, TabbedContent

from console.tui.app import ConsoleApp
from console.tui.widgets.guide_panel import GuidePanel
from tests.console_pilot import started
from tests.test_tui_flows import ALICE, main_screen, type_into


async def test_at_160_columns_each_answer_fills_the_draft_beside_the_guide() -> None:
    app = ConsoleApp()
    async with started(app, size=(160, 45)) as pilot:
        screen = main_screen(app)
        side = screen.query_one("#guide-side", GuidePanel)
        editor_form = screen.query_one("#channel-form")
        assert side.region.width > 40 and editor_form.region.width > 60
        assert side.region.x < editor_form.region.x  # side by side
        assert screen.query_one(TabbedContent).active == "tab-channel"
        provider = screen.query_one("#channel-provider", Select)

        await pilot.press("2")  # Gmail: every answer ahead is Gmail
        await pilot.pause()
        assert provider.value == "gmail"
        assert screen.query_one("#server-host", Input).value == "smtp.gmail.com"
        assert app.focused is not None and side in app.focused.ancestors_with_self

        await pilot.press("1", "1", "1")  # own account, no bulk, no OAuth: a recommendation
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert side.walk.finished
        assert screen.query_one("#channel-name", Input).value == side.walk.current.id

        await pilot.press("f2")  # the FAQ, one key away, in the guide's place
        await pilot.pause()
        assert screen.query_one("#faq").region.width > 40 and side.region.width == 0
        await pilot.press("f2")
        await pilot.pause()
        assert side.region.width > 40


async def test_below_120_columns_the_guide_is_a_tab_again() -> None:
    app = ConsoleApp()
    async with started(app, size=(160, 45)) as pilot:
        screen = main_screen(app)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        tabs = screen.query_one(TabbedContent)
        assert screen.query_one("#guide-side").region.width == 0
        await pilot.press("f5")
        await pilot.pause()
        assert tabs.active == "tab-guide"
        assert screen.query_one("#guide", GuidePanel).region.width > 40


async def test_a_user_name_fills_from_as_channels_new_does() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        await pilot.press("f6")
        await type_into(pilot, "auth-username", ALICE, keys=True)
        assert screen.query_one("#sender-from", Input).value == ALICE
        await type_into(pilot, "sender-from", "desk@contoso.com")
        await type_into(pilot, "auth-username", "bob@contoso.com")
        assert screen.query_one("#sender-from", Input).value == "desk@contoso.com"
