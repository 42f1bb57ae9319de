"""The editor shows an OAuth channel's app registration: client ID, and tenant or secret."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Static

from console.tui.app import ConsoleApp
from console.tui.screens.main import MainScreen
from tests.console_pilot import started
from tests.test_tui_flows import ALICE, main_screen, settle, type_into
from tests.test_tui_provider_toggles import check, rehearse

CLIENT_ID = "5f1e0c2a-7b3d-4e8f-9a61-0c2d3e4f5a6b"
ROWS = ("oauth-client-id", "oauth-tenant", "oauth-client-secret")


def shown(screen: MainScreen) -> list[str]:
    """Which of the [oauth] rows the form shows."""
    return [row for row in ROWS if screen.query_one(f"#{row}").parent.display]  # type: ignore[union-attr]


def problem(screen: MainScreen, field: str) -> str:
    return str(screen.query_one(f"#problem-{field}", Static).render())


async def test_a_guide_drafted_office365_oauth_channel_gets_its_client_id_in_the_editor(
    channels_dir: Path,
) -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        assert shown(screen) == []  # a password channel has no app registration
        for answer in ("1", "1", "1", "1", "2", "c"):  # Office 365 ... OAuth, then the draft
            await pilot.press(answer)
        await pilot.pause()
        assert shown(screen) == ["oauth-client-id", "oauth-tenant"]
        assert "Application (client) ID" in problem(screen, "oauth-client-id")

        await type_into(pilot, "auth-username", ALICE)
        await type_into(pilot, "sender-from", ALICE)
        await type_into(pilot, "oauth-client-id", CLIENT_ID)
        await settle(pilot, lambda: problem(screen, "oauth-client-id") == "")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        saved = (channels_dir / "office365-oauth.toml").read_text()
        assert f'client_id = "{CLIENT_ID}"' in saved and 'flow = "device_code"' in saved
        assert 'tenant = "organizations"' in saved

        await rehearse(pilot, screen, "office365")
        states = await check(pilot, screen)
        assert states["token"] == "ok" and states["auth"] == "ok", states


async def test_a_gmail_oauth_channel_shows_its_client_secret_reference() -> None:
    app = ConsoleApp()
    async with started(app, size=(80, 24)) as pilot:
        screen = main_screen(app)
        for widget_id, value in (
            ("channel-provider", "gmail"),
            ("auth-method", "xoauth2"),
            ("auth-secret-kind", "oauth"),
        ):
            screen.query_one(f"#{widget_id}", Select).value = value
        await pilot.pause()
        assert shown(screen) == ["oauth-client-id", "oauth-client-secret"]
        await type_into(pilot, "oauth-client-secret", "GOCSPX-not-a-reference")
        await settle(pilot, lambda: "by reference" in problem(screen, "oauth-client-secret"))
